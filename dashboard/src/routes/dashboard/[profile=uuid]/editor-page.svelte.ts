// The profile editor's state: the profile as saved and as being edited, publishing, the links with
// their optimistic changes (shown at once, undone with the server's words if it refuses), reordering
// by keyboard and by dragging, and watching GitHub cards fill. The editor's components read it and
// act through its methods; focus moves after a change are made here, with the change.
import { onDestroy, onMount, tick } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import { can } from '../../../../../lib/profiles/roles.js';
import { api, call, type Schemas } from '$lib/api/client';
import { profileContext } from '$lib/api/profile-context';
import { isHandleAvailable } from '$lib/editor/handle';
import { checkUrl, fromLocalInput, isLive, moveItem, toLocalInput, type EditorLink } from '$lib/editor/links';
import { latestOnly, optimistic } from '$lib/editor/optimistic';
import { toast } from '$lib/ui/toasts.svelte';
import { viewLinkOf, type ViewLink, type ViewProfile } from '$lib/profile/profile-view';

type Profile = Schemas['Profile'];
type Draft = Pick<Profile, 'handle' | 'displayName' | 'bio' | 'theme' | 'accentColor' | 'pageTheme' | 'socialLinks' | 'respectGpc'>;
type LinkChanges = Partial<Pick<EditorLink, 'title' | 'url' | 'enabled' | 'startsAt' | 'endsAt' | 'icon' | 'thumbnailAssetId'>>;
const DRAFT_FIELDS = ['handle', 'displayName', 'bio', 'theme', 'accentColor', 'pageTheme', 'socialLinks', 'respectGpc'] as const satisfies readonly (keyof Draft)[];

/** The draft of a saved profile: copies, so editing the social links leaves the saved ones alone. */
const draftOf = (profile: Profile): Draft => ({ ...profile, socialLinks: profile.socialLinks.map((link) => ({ ...link })) });
/** Fields compare by value (the social links are a list). */
const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Pending cards are watched for this long (GitHub may be unreachable or limited: they stay pending). */
const PENDING_WATCH_MS = 2 * 60_000;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDate = (iso: string) => dateTime.format(Date.parse(iso));

/** Puts the focus on an element once the change that shows it has been rendered. */
async function focusAfterRender(id: string): Promise<void> {
  await tick();
  document.getElementById(id)?.focus();
}

export class EditorPage {
  readonly #context = profileContext();
  /** The profile as the layout knows it (its handle follows a save). */
  readonly profile = $derived(this.#context.profile);
  readonly profileId = this.#context.profile.id;
  /** Where the site is served: what QR codes point to. */
  readonly origin = typeof location === 'undefined' ? '' : location.origin;
  readonly #profilePath = { path: { profileId: this.profileId } };
  #linkPath = (linkId: string) => ({ path: { profileId: this.profileId, linkId } });

  loadState: 'loading' | 'ready' | { failed: string } = $state('loading');
  saved: Profile | null = $state(null);
  draft: Draft = $state({ handle: '', displayName: '', bio: '', theme: 'auto', accentColor: '#2563eb', pageTheme: 'classic', socialLinks: [], respectGpc: true });
  avatarUrl: string | null = $state(null);
  links: EditorLink[] = $state([]);
  /** The clock the preview and the links' badges use: scheduled links come and go as it moves. */
  now = $state(Date.now());

  /** Why the last save or publish was refused (a success is a toast). */
  profileMessage: { kind: 'error'; text: string } | null = $state(null);
  /** The server's refusals by field path ('handle', 'socialLinks.2.url'), shown next to each field. */
  profileErrors: Readonly<Record<string, string>> = $state({});
  savingProfile = $state(false);
  handleAvailable: boolean | null = $state(null);
  linkError: string | null = $state(null);
  /** The retention select: '' for the server's default, else the days; only owners may save it. */
  retentionChoice = $state('');
  savingRetention = $state(false);
  retentionError: string | null = $state(null);
  readonly canSetRetention = $derived(this.saved !== null && can(this.saved.role, 'retention'));
  readonly retentionChosen = $derived(this.retentionChoice === '' ? null : Number(this.retentionChoice));
  /** What the polite live region says after a change screen readers would not notice. */
  announcement = $state('');

  newTitle = $state('');
  /** The server's refusals of the new link's fields. */
  newLinkErrors: Readonly<Record<string, string>> = $state({});
  newUrl = $state('');
  adding = $state(false);
  readonly newUrlCheck = $derived(checkUrl(this.newUrl));

  /** The link being edited, with its form values. */
  editing: { id: string; title: string; url: string; startsAt: string; endsAt: string; icon: string; thumbnailAssetId: string | null; thumbnailUrl: string | null } | null =
    $state(null);
  /** The server's refusals of the link being edited, by field. */
  editErrors: Readonly<Record<string, string>> = $state({});
  confirmingDelete: string | null = $state(null);
  dragging: string | null = $state(null);
  /** The order the server has: what a refused reorder goes back to. */
  #savedOrder: string[] = [];
  /** The order when a drag began: a cancelled drag (Escape, or dropped outside the list) goes back to it. */
  #orderBeforeDrag: EditorLink[] = [];
  #poll: ReturnType<typeof setTimeout> | undefined;
  /** Cards asked to refresh: link id → the sync they showed then, and when to stop waiting for a newer one. */
  readonly #refreshing = new SvelteMap<string, { since: string | null; giveUpAt: number }>();
  #watchPendingUntil = 0;
  /** Set when the page goes: nothing started after that may schedule more work. */
  #destroyed = false;

  readonly dirty = $derived(this.saved !== null && DRAFT_FIELDS.some((key) => !sameValue(this.draft[key], this.saved?.[key])));

  readonly previewProfile: ViewProfile = $derived({
    displayName: this.draft.displayName || 'Your name',
    handle: this.draft.handle,
    bio: this.draft.bio,
    avatarUrl: this.avatarUrl,
    theme: this.draft.theme,
    // Rows still being filled in are left out.
    socialLinks: this.draft.socialLinks.filter((link) => link.url.trim() !== ''),
  });
  readonly previewLinks: ViewLink[] = $derived(this.links.filter((link) => isLive(link, this.now)).map(viewLinkOf));

  /** Made while the page's component initialises: loading and the clock live as long as it does. */
  constructor() {
    let clock: ReturnType<typeof setInterval> | undefined;
    onMount(() => {
      void this.load();
      // Scheduled links appear and disappear in the preview as their windows open and close.
      clock = setInterval(() => (this.now = Date.now()), 30_000);
    });
    onDestroy(() => {
      this.#destroyed = true;
      clearTimeout(this.#poll);
      clearInterval(clock);
    });
  }

  #byId = (id: string) => this.links.find((link) => link.id === id);

  load = async () => {
    this.loadState = 'loading';
    const [profile, list] = await Promise.all([
      call(api.GET('/api/v1/profiles/{profileId}', { params: this.#profilePath })),
      call(api.GET('/api/v1/profiles/{profileId}/links', { params: this.#profilePath })),
    ]);
    if (!profile.ok) {
      this.loadState = { failed: profile.message };
      return;
    }
    if (!list.ok) {
      this.loadState = { failed: list.message };
      return;
    }
    const saved = profile.data;
    this.saved = saved;
    this.draft = draftOf(saved);
    this.retentionChoice = saved.analyticsRetentionDays === null ? '' : String(saved.analyticsRetentionDays);
    this.links = list.data.links;
    this.#savedOrder = this.links.map((link) => link.id);
    if (saved.avatarAssetId) {
      const asset = await call(api.GET('/api/v1/assets/{assetId}', { params: { path: { assetId: saved.avatarAssetId } } }));
      if (asset.ok) this.avatarUrl = asset.data.url;
    }
    this.loadState = 'ready';
    this.#watchPendingCards();
  };

  async #reloadLinks() {
    const list = await call(api.GET('/api/v1/profiles/{profileId}/links', { params: this.#profilePath }));
    if (list.ok) {
      // Only the cards change under the editor (the scheduler fills them): set them on the links shown,
      // so a change in flight keeps working on the same objects.
      const fresh = Object.fromEntries(list.data.links.map((link) => [link.id, link]));
      for (const link of this.links) {
        if (!Object.hasOwn(fresh, link.id)) continue;
        link.github = fresh[link.id]!.github;
        link.githubSync = fresh[link.id]!.githubSync;
      }
      // A refresh is over once GitHub was asked again, whatever it answered (the card says how it went).
      for (const [id, wait] of this.#refreshing) {
        const attempted = Object.hasOwn(fresh, id) ? fresh[id]!.githubSync?.lastAttemptAt : undefined;
        if ((attempted ?? null) !== wait.since || Date.now() > wait.giveUpAt) this.#refreshing.delete(id);
      }
    }
    // A failed look is tried again at the next tick, until the watch ends.
    this.#schedulePoll();
  }

  /** A new GitHub link's card fills within seconds, and a refreshed one changes: look again until it has. */
  #watchPendingCards() {
    this.#watchPendingUntil = Date.now() + PENDING_WATCH_MS;
    this.#schedulePoll();
  }

  #schedulePoll() {
    clearTimeout(this.#poll);
    if (this.#destroyed) return;
    const pending = Date.now() < this.#watchPendingUntil && this.links.some((link) => link.github?.status === 'pending');
    if (this.#refreshing.size > 0 || pending) this.#poll = setTimeout(() => void this.#reloadLinks(), 1_500);
  }

  avatarSaved = (url: string) => {
    this.avatarUrl = url;
  };

  checkHandle = async () => {
    this.handleAvailable = null;
    if (!this.saved || this.draft.handle === this.saved.handle) return;
    const asked = this.draft.handle;
    const available = await isHandleAvailable(asked);
    if (this.draft.handle === asked) this.handleAvailable = available;
  };

  saveProfile = async (event: SubmitEvent) => {
    event.preventDefault();
    const saved = this.saved;
    if (!saved) return;
    const submitted: Draft = $state.snapshot(this.draft);
    const changes = Object.fromEntries(DRAFT_FIELDS.filter((key) => !sameValue(submitted[key], saved[key])).map((key) => [key, submitted[key]]));
    if (Object.keys(changes).length === 0) return;
    this.savingProfile = true;
    this.profileMessage = null;
    this.profileErrors = {};
    const result = await call(api.PATCH('/api/v1/profiles/{profileId}', { params: this.#profilePath, body: changes }));
    this.savingProfile = false;
    if (!result.ok) {
      // The form keeps what the creator typed, so they can fix it; each refusal shows at its field.
      this.profileErrors = result.fields;
      this.profileMessage = { kind: 'error', text: Object.keys(result.fields).length > 0 ? 'Not saved: fix the fields marked in red.' : result.message };
      return;
    }
    this.saved = result.data;
    // The server's version of each field not edited since the save began (it trims, normalises
    // addresses); what was typed meanwhile stays.
    const fresh = draftOf(result.data);
    for (const key of DRAFT_FIELDS) if (sameValue(this.draft[key], submitted[key])) (this.draft as Record<string, unknown>)[key] = fresh[key];
    this.handleAvailable = null;
    this.#context.updated({ handle: result.data.handle, displayName: result.data.displayName });
    toast('Profile saved.');
  };

  /** Saved on its own (owners only, and a shorter time deletes data): not part of the profile form. */
  saveRetention = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!this.saved || this.retentionChosen === this.saved.analyticsRetentionDays) return;
    this.savingRetention = true;
    this.retentionError = null;
    const result = await call(api.PATCH('/api/v1/profiles/{profileId}', { params: this.#profilePath, body: { analyticsRetentionDays: this.retentionChosen } }));
    this.savingRetention = false;
    if (!result.ok) {
      this.retentionError = result.fields.analyticsRetentionDays ?? result.message;
      return;
    }
    const { analyticsRetentionDays, analyticsRetention } = result.data;
    // Only these fields: the profile form's draft and its saved state stay as they are.
    this.saved = { ...this.saved, analyticsRetentionDays, analyticsRetention };
    this.#context.updated({ analyticsRetentionDays, analyticsRetention });
    toast(analyticsRetentionDays === null ? 'Analytics retention set to the operator default.' : 'Analytics retention saved.');
  };

  setPublished = async (published: boolean) => {
    if (!this.saved) return;
    this.profileMessage = null;
    const outcome = await optimistic(
      () => {
        if (this.saved) this.saved.published = published;
        return () => {
          if (this.saved) this.saved.published = !published;
        };
      },
      () => call(api.PATCH('/api/v1/profiles/{profileId}', { params: this.#profilePath, body: { published } })),
    );
    if (!outcome.ok) this.profileMessage = { kind: 'error', text: outcome.message };
  };

  /** Typing again in a form takes its old refusal (or "Saved.") away: a message describes the last submit, not what is there now. */
  clearLinkError = () => {
    this.linkError = null;
    this.editErrors = {};
    this.newLinkErrors = {};
  };
  clearProfileMessage = () => {
    this.profileMessage = null;
  };
  /** A field's refusal goes when the creator changes that field. */
  clearProfileError = (path: string) => {
    if (!(path in this.profileErrors)) return;
    const { [path]: _cleared, ...rest } = this.profileErrors;
    this.profileErrors = rest;
  };

  addSocialLink = async () => {
    const taken = this.draft.socialLinks.map((link) => link.network);
    const network = (['github', 'mastodon', 'bluesky', 'linkedin', 'x', 'youtube', 'email', 'website'] as const).find((candidate) => !taken.includes(candidate)) ?? 'website';
    this.draft.socialLinks.push({ network, url: '' });
    await focusAfterRender(`social-url-${this.draft.socialLinks.length - 1}`);
  };

  removeSocialLink = async (index: number) => {
    this.draft.socialLinks.splice(index, 1);
    // Refusals of rows after it no longer match their rows.
    this.profileErrors = Object.fromEntries(Object.entries(this.profileErrors).filter(([path]) => !path.startsWith('socialLinks.')));
    await focusAfterRender(this.draft.socialLinks.length > 0 ? `social-url-${Math.min(index, this.draft.socialLinks.length - 1)}` : 'add-social');
  };

  moveSocialLink = (index: number, by: -1 | 1) => {
    this.draft.socialLinks = moveItem(this.draft.socialLinks, index, index + by);
    this.profileErrors = Object.fromEntries(Object.entries(this.profileErrors).filter(([path]) => !path.startsWith('socialLinks.')));
  };

  addLink = async (event: SubmitEvent) => {
    event.preventDefault();
    if (this.newUrlCheck && !this.newUrlCheck.ok) return;
    this.adding = true;
    this.linkError = null;
    const added = await call(api.POST('/api/v1/profiles/{profileId}/links', { params: this.#profilePath, body: { title: this.newTitle, url: this.newUrl } }));
    this.adding = false;
    if (!added.ok) {
      // A refused field is marked where it was typed; a refusal of the whole link goes above the list.
      this.newLinkErrors = added.fields;
      if (!added.fields.title && !added.fields.url) this.linkError = added.message;
      return;
    }
    const link = added.data;
    this.links = [...this.links, link];
    this.#savedOrder = [...this.#savedOrder, link.id];
    toast(`Added ${link.title}.`);
    this.newTitle = '';
    this.newUrl = '';
    this.#watchPendingCards();
  };

  /** Changes a link at once; undone, with the server's message, if the server refuses. */
  change = async (id: string, changes: LinkChanges): Promise<boolean> => {
    this.linkError = null;
    const title = this.#byId(id)?.title ?? 'The link';
    const outcome = await optimistic(
      () => {
        const link = this.#byId(id);
        if (!link) return () => {};
        // Undo restores only these fields: another change that went through meanwhile stays.
        const before = Object.fromEntries(Object.keys(changes).map((key) => [key, link[key as keyof LinkChanges]]));
        Object.assign(link, changes);
        return () => Object.assign(this.#byId(id) ?? {}, before);
      },
      () => call(api.PATCH('/api/v1/profiles/{profileId}/links/{linkId}', { params: this.#linkPath(id), body: changes })),
    );
    if (!outcome.ok) {
      this.linkError = `${title}: ${outcome.message}`;
      if (this.editing?.id === id) this.editErrors = outcome.fields;
      return false;
    }
    // The server's view: a changed URL may have become (or stopped being) a GitHub card.
    const link = this.#byId(id);
    if (link) Object.assign(link, outcome.data);
    this.#watchPendingCards();
    return true;
  };

  /**
   * A link as the server now has it, after a change made outside the edit form (an A/B test started or
   * ended: the URL may change with it). Saved as it stands: the server has applied it.
   */
  replaceLink = (updated: EditorLink) => {
    this.links = this.links.map((link) => (link.id === updated.id ? updated : link));
    if (this.editing?.id === updated.id) this.editing.url = updated.url;
  };

  startEditing = (link: EditorLink) => {
    this.confirmingDelete = null;
    this.editErrors = {};
    this.editing = {
      id: link.id,
      title: link.title,
      url: link.url,
      startsAt: toLocalInput(link.startsAt),
      endsAt: toLocalInput(link.endsAt),
      icon: link.icon ?? '',
      thumbnailAssetId: link.thumbnailAssetId,
      thumbnailUrl: link.thumbnailUrl,
    };
  };

  saveEdit = async (event: SubmitEvent, link: EditorLink) => {
    event.preventDefault();
    const form = this.editing;
    if (!form) return;
    const changes: LinkChanges = {};
    if (form.title !== link.title) changes.title = form.title;
    if (form.url !== link.url) changes.url = form.url;
    const startsAt = fromLocalInput(form.startsAt);
    const endsAt = fromLocalInput(form.endsAt);
    if (startsAt !== link.startsAt) changes.startsAt = startsAt;
    if (endsAt !== link.endsAt) changes.endsAt = endsAt;
    const icon = form.icon === '' ? null : form.icon;
    if (icon !== link.icon) changes.icon = icon as EditorLink['icon'];
    if (form.thumbnailAssetId !== link.thumbnailAssetId) changes.thumbnailAssetId = form.thumbnailAssetId;
    if (Object.keys(changes).length === 0 || (await this.change(link.id, changes))) await this.closeEditing(link.id);
  };

  /** Closes the link's edit form and gives the focus back to its Edit button. */
  closeEditing = async (id: string) => {
    this.editing = null;
    await focusAfterRender(`edit-${id}`);
  };

  askToDelete = async (id: string) => {
    this.confirmingDelete = id;
    await focusAfterRender(`confirm-delete-${id}`);
  };

  keep = async (id: string) => {
    this.confirmingDelete = null;
    await focusAfterRender(`delete-${id}`);
  };

  remove = async (id: string) => {
    this.linkError = null;
    this.confirmingDelete = null;
    const index = this.links.findIndex((link) => link.id === id);
    const link = this.links[index];
    if (!link) return;
    // Where the focus goes once the link is gone: the next link's handle, else the previous one's, else the heading.
    const neighbour = this.links[index + 1] ?? this.links[index - 1];
    const outcome = await optimistic(
      () => {
        this.links = this.links.filter((candidate) => candidate.id !== id);
        return () => (this.links = [...this.links.slice(0, index), link, ...this.links.slice(index)]);
      },
      () => call(api.DELETE('/api/v1/profiles/{profileId}/links/{linkId}', { params: this.#linkPath(id) })),
    );
    if (outcome.ok) {
      this.#savedOrder = this.#savedOrder.filter((candidate) => candidate !== id);
      toast(`Deleted ${link.title}.`);
      await focusAfterRender(neighbour ? `handle-${neighbour.id}` : 'links-heading');
    } else {
      this.linkError = `${link.title}: ${outcome.message}`;
      await focusAfterRender(`delete-${id}`);
    }
  };

  readonly #saveOrder = latestOnly(async (order: string[]) => {
    const result = await call(api.PUT('/api/v1/profiles/{profileId}/links/order', { params: this.#profilePath, body: { linkIds: order } }));
    if (result.ok) {
      this.#savedOrder = order;
      return;
    }
    // Moves made while this one was on its way build on it: drop them too, or the server would take
    // an order the screen no longer shows.
    this.#saveOrder.discard();
    this.linkError = `The new order was not saved: ${result.status === 0 ? 'Linkpulse could not be reached.' : result.message}`;
    const shown = Object.fromEntries(this.links.map((link) => [link.id, link]));
    this.links = [...this.#savedOrder.map((id) => shown[id]).filter((link) => link !== undefined), ...this.links.filter((link) => !this.#savedOrder.includes(link.id))];
    this.announcement = 'The order was restored.';
  });

  async #move(link: EditorLink, to: number) {
    const from = this.links.indexOf(link);
    if (from === to || to < 0 || to >= this.links.length) return;
    this.linkError = null;
    this.links = moveItem(this.links, from, to);
    this.announcement = `${link.title}: position ${to + 1} of ${this.links.length}.`;
    // Moving the element takes the focus with it in some browsers but not others: put it back.
    await focusAfterRender(`handle-${link.id}`);
    void this.#saveOrder(this.links.map((candidate) => candidate.id));
  }

  /** ↑ ↓ Home End on a link's handle move it. */
  handleKeys = (event: KeyboardEvent, link: EditorLink) => {
    const index = this.links.indexOf(link);
    const target = { ArrowUp: index - 1, ArrowDown: index + 1, Home: 0, End: this.links.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    void this.#move(link, target);
  };

  dragStart = (event: DragEvent, link: EditorLink) => {
    this.dragging = link.id;
    this.#orderBeforeDrag = [...this.links];
    event.dataTransfer?.setData('text/plain', link.title);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
  };

  dragOver = (event: DragEvent, over: EditorLink) => {
    if (!this.dragging) return;
    event.preventDefault();
    const moving = this.links.find((link) => link.id === this.dragging);
    if (moving && moving !== over) this.links = moveItem(this.links, this.links.indexOf(moving), this.links.indexOf(over));
  };

  dragEnd = (event: DragEvent) => {
    if (!this.dragging) return;
    // No drop on a link: the drag was cancelled.
    this.dragging = null;
    if (event.dataTransfer?.dropEffect === 'none') this.links = this.#orderBeforeDrag;
  };

  drop = (event: DragEvent) => {
    if (!this.dragging) return;
    event.preventDefault();
    const moved = this.links.find((link) => link.id === this.dragging);
    this.dragging = null;
    if (moved) this.announcement = `${moved.title}: position ${this.links.indexOf(moved) + 1} of ${this.links.length}.`;
    if (this.links.some((link, index) => link.id !== this.#savedOrder[index])) void this.#saveOrder(this.links.map((link) => link.id));
  };

  refreshCard = async (link: EditorLink) => {
    this.linkError = null;
    const result = await call(api.POST('/api/v1/profiles/{profileId}/links/{linkId}/refresh', { params: this.#linkPath(link.id) }));
    if (!result.ok) {
      this.linkError = result.message;
      return;
    }
    toast(`Refreshing ${link.title} from GitHub.`);
    this.#refreshing.set(link.id, { since: link.githubSync?.lastAttemptAt ?? null, giveUpAt: Date.now() + 30_000 });
    this.#watchPendingCards();
  };
}
