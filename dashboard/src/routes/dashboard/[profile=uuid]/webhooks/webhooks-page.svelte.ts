// The Webhooks tab's state: the profile's endpoints with their health and the form that adds one
// (EndpointsPage), and one endpoint with its deliveries, their attempts, and every action on it
// (EndpointPage). A new or rotated signing secret is held here only until the creator says they have
// copied it: the API never shows it again. While deliveries wait for the worker, the endpoint page
// looks again every few seconds for a while, so a test event is seen arriving.
import { onDestroy } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import { goto } from '$app/navigation';
import { resolve } from '$app/paths';
import { api, call, type Schemas } from '$lib/api/client';
import { profileContext } from '$lib/api/profile-context';
import { toast } from '$lib/ui/toasts.svelte';
import { can } from '../../../../../../lib/profiles/roles.js';

export type Endpoint = Schemas['WebhookEndpoint'];
export type Delivery = Schemas['WebhookDelivery'];
export type DeliveryDetail = Schemas['WebhookDeliveryDetail'];
export type EventType = Endpoint['eventTypes'][number];
export type DeliveryStatus = Delivery['status'];
export type DeliveryEventType = Delivery['eventType'];

/** What the endpoint form edits. */
export interface EndpointDraft {
  url: string;
  description: string;
  eventTypes: EventType[];
}

/** A secret the creator has to copy now: from a new endpoint, or a rotation (with the old one's end). */
export interface RevealedSecret {
  endpointId: string;
  url: string;
  secret: string;
  previousSecretValidUntil: string | null;
}

const PAGE_SIZE = 25;
/** While deliveries are pending: look again this often, this many times (two minutes). */
const REFRESH_MS = 5_000;
const REFRESHES = 24;

export class EndpointsPage {
  readonly #context = profileContext();
  readonly profileId = this.#context.profile.id;
  readonly canManage = can(this.#context.profile.role, 'webhooks');

  endpoints: Endpoint[] | null = $state(null);
  maxEndpoints = $state(10);
  loadError: string | null = $state(null);

  adding = $state(false);
  draft: EndpointDraft = $state({ url: '', description: '', eventTypes: [] });
  /** The server's refusals by field ('url', 'eventTypes'); a refusal of no field is `formMessage`. */
  formErrors: Readonly<Record<string, string>> = $state({});
  formMessage: string | null = $state(null);
  creating = $state(false);
  revealed: RevealedSecret | null = $state(null);

  readonly full = $derived(this.endpoints !== null && this.endpoints.length >= this.maxEndpoints);

  async load(): Promise<void> {
    this.loadError = null;
    const loaded = await call(api.GET('/api/v1/profiles/{profileId}/webhooks', { params: { path: { profileId: this.profileId } } }));
    if (!loaded.ok) {
      this.loadError = loaded.message;
      return;
    }
    this.endpoints = loaded.data.endpoints;
    this.maxEndpoints = loaded.data.maxEndpoints;
  }

  startAdding(): void {
    this.adding = true;
    this.revealed = null;
    this.draft = { url: '', description: '', eventTypes: [] };
    this.formErrors = {};
    this.formMessage = null;
  }

  async create(): Promise<void> {
    this.creating = true;
    this.formErrors = {};
    this.formMessage = null;
    const created = await call(
      api.POST('/api/v1/profiles/{profileId}/webhooks', {
        params: { path: { profileId: this.profileId } },
        body: { url: this.draft.url.trim(), description: this.draft.description, eventTypes: this.draft.eventTypes },
      }),
    );
    this.creating = false;
    if (!created.ok) {
      this.formErrors = created.fields;
      if (Object.keys(created.fields).length === 0) this.formMessage = created.message;
      return;
    }
    this.adding = false;
    this.revealed = { endpointId: created.data.endpoint.id, url: created.data.endpoint.url, secret: created.data.secret, previousSecretValidUntil: null };
    toast('Endpoint added: copy its signing secret now.');
    await this.load();
  }
}

type ExpandedDelivery = 'loading' | { failed: string } | DeliveryDetail;

export class EndpointPage {
  readonly #context = profileContext();
  readonly profileId = this.#context.profile.id;
  readonly canManage = can(this.#context.profile.role, 'webhooks');
  readonly endpointId: string;
  readonly #path: { profileId: string; endpointId: string };

  endpoint: Endpoint | null = $state(null);
  /** Why the endpoint could not be loaded; `missing`: there is no such endpoint (deleted, or another page's). */
  loadError: { missing: true } | { message: string } | null = $state(null);
  /** The last action's refusal, shown above the deliveries until the next action. */
  actionError: string | null = $state(null);
  busy: 'test' | 'rotate' | 'toggle' | 'delete' | 'resend-failed' | 'save' | null = $state(null);

  editing = $state(false);
  draft: EndpointDraft = $state({ url: '', description: '', eventTypes: [] });
  formErrors: Readonly<Record<string, string>> = $state({});
  formMessage: string | null = $state(null);
  revealed: RevealedSecret | null = $state(null);
  confirming: 'delete' | 'rotate' | null = $state(null);
  confirmError: string | null = $state(null);

  deliveries: Delivery[] = $state([]);
  next: string | null = $state(null);
  deliveriesLoading = $state(true);
  deliveriesError: string | null = $state(null);
  statusFilter: DeliveryStatus | '' = $state('');
  eventFilter: DeliveryEventType | '' = $state('');
  readonly expanded = new SvelteMap<string, ExpandedDelivery>();
  resending = new SvelteMap<string, boolean>();
  /** The clock relative times are written against. */
  now = $state(Date.now());

  #refreshesLeft = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(endpointId: string) {
    this.endpointId = endpointId;
    this.#path = { profileId: this.profileId, endpointId };
    onDestroy(() => clearInterval(this.#timer));
  }

  async load(): Promise<void> {
    this.loadError = null;
    await Promise.all([this.loadEndpoint(), this.loadDeliveries()]);
    if (this.deliveries.some((delivery) => delivery.status === 'pending')) this.watchPending();
  }

  async loadEndpoint(): Promise<void> {
    const loaded = await call(api.GET('/api/v1/profiles/{profileId}/webhooks/{endpointId}', { params: { path: this.#path } }));
    if (loaded.ok) this.endpoint = loaded.data;
    else this.loadError = loaded.status === 404 ? { missing: true } : { message: loaded.message };
  }

  async loadDeliveries(more = false): Promise<void> {
    this.deliveriesLoading = true;
    this.deliveriesError = null;
    const query = {
      limit: PAGE_SIZE,
      ...(this.statusFilter ? { status: this.statusFilter } : {}),
      ...(this.eventFilter ? { eventType: this.eventFilter } : {}),
      ...(more && this.next ? { before: this.next } : {}),
    };
    const page = await call(api.GET('/api/v1/profiles/{profileId}/webhooks/{endpointId}/deliveries', { params: { path: this.#path, query } }));
    this.deliveriesLoading = false;
    this.now = Date.now();
    if (!page.ok) {
      this.deliveriesError = page.message;
      return;
    }
    this.deliveries = more ? [...this.deliveries, ...page.data.deliveries] : page.data.deliveries;
    this.next = page.data.next;
  }

  /** Looks again every few seconds while deliveries of the first page wait for the worker. */
  watchPending(): void {
    this.#refreshesLeft = REFRESHES;
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#refreshesLeft-- <= 0 || !this.deliveries.some((delivery) => delivery.status === 'pending')) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        return;
      }
      // Not while hidden, nor once the creator has paged further (a reload would drop those pages).
      if (document.hidden || this.deliveries.length > PAGE_SIZE) return;
      void this.loadEndpoint();
      void this.loadDeliveries();
      for (const [id, detail] of this.expanded) if (typeof detail === 'object' && !('failed' in detail)) void this.loadDetail(id);
    }, REFRESH_MS);
  }

  async toggleDelivery(id: string): Promise<void> {
    if (this.expanded.has(id)) {
      this.expanded.delete(id);
      return;
    }
    this.expanded.set(id, 'loading');
    await this.loadDetail(id);
  }

  async loadDetail(id: string): Promise<void> {
    const detail = await call(api.GET('/api/v1/profiles/{profileId}/webhooks/{endpointId}/deliveries/{deliveryId}', { params: { path: { ...this.#path, deliveryId: id } } }));
    if (!this.expanded.has(id)) return;
    this.expanded.set(id, detail.ok ? detail.data : { failed: detail.message });
  }

  async sendTest(): Promise<void> {
    this.busy = 'test';
    this.actionError = null;
    const sent = await call(api.POST('/api/v1/profiles/{profileId}/webhooks/{endpointId}/test', { params: { path: this.#path } }));
    this.busy = null;
    if (!sent.ok) {
      this.actionError = sent.message;
      return;
    }
    toast('Test event sent: it appears below, and is delivered in a moment.');
    this.statusFilter = '';
    this.eventFilter = '';
    await this.load();
    this.watchPending();
  }

  async resend(delivery: Delivery): Promise<void> {
    this.resending.set(delivery.id, true);
    this.actionError = null;
    const resent = await call(
      api.POST('/api/v1/profiles/{profileId}/webhooks/{endpointId}/deliveries/{deliveryId}/resend', { params: { path: { ...this.#path, deliveryId: delivery.id } } }),
    );
    this.resending.delete(delivery.id);
    if (!resent.ok) {
      this.actionError = resent.message;
      return;
    }
    toast(`The ${delivery.eventType} delivery is queued again.`);
    this.deliveries = this.deliveries.map((candidate) => (candidate.id === resent.data.id ? resent.data : candidate));
    void this.loadEndpoint();
    this.watchPending();
  }

  async resendFailed(): Promise<void> {
    this.busy = 'resend-failed';
    this.actionError = null;
    const resent = await call(api.POST('/api/v1/profiles/{profileId}/webhooks/{endpointId}/resend-failed', { params: { path: this.#path } }));
    this.busy = null;
    if (!resent.ok) {
      this.actionError = resent.message;
      return;
    }
    toast(resent.data.resent === 0 ? 'No failed delivery to resend.' : `${resent.data.resent} failed ${resent.data.resent === 1 ? 'delivery is' : 'deliveries are'} queued again.`);
    await this.load();
    this.watchPending();
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.busy = 'toggle';
    this.actionError = null;
    const changed = await call(api.PATCH('/api/v1/profiles/{profileId}/webhooks/{endpointId}', { params: { path: this.#path }, body: { enabled } }));
    this.busy = null;
    if (!changed.ok) {
      this.actionError = changed.message;
      return;
    }
    this.endpoint = changed.data;
    toast(enabled ? 'Endpoint enabled: new events are delivered again.' : 'Endpoint disabled: nothing is sent to it until you enable it.');
    await this.loadDeliveries();
  }

  startEditing(): void {
    if (!this.endpoint) return;
    this.draft = { url: this.endpoint.url, description: this.endpoint.description, eventTypes: [...this.endpoint.eventTypes] };
    this.formErrors = {};
    this.formMessage = null;
    this.editing = true;
  }

  async save(): Promise<void> {
    if (!this.endpoint) return;
    this.busy = 'save';
    this.formErrors = {};
    this.formMessage = null;
    const url = this.draft.url.trim();
    const body = {
      ...(url !== this.endpoint.url ? { url } : {}),
      ...(this.draft.description !== this.endpoint.description ? { description: this.draft.description } : {}),
      eventTypes: this.draft.eventTypes,
    };
    const saved = await call(api.PATCH('/api/v1/profiles/{profileId}/webhooks/{endpointId}', { params: { path: this.#path }, body }));
    this.busy = null;
    if (!saved.ok) {
      this.formErrors = saved.fields;
      if (Object.keys(saved.fields).length === 0) this.formMessage = saved.message;
      return;
    }
    this.endpoint = saved.data;
    this.editing = false;
    toast('Endpoint saved.');
  }

  async rotate(): Promise<void> {
    this.busy = 'rotate';
    this.confirmError = null;
    const rotated = await call(api.POST('/api/v1/profiles/{profileId}/webhooks/{endpointId}/rotate-secret', { params: { path: this.#path } }));
    this.busy = null;
    if (!rotated.ok) {
      this.confirmError = rotated.message;
      return;
    }
    this.confirming = null;
    this.revealed = { endpointId: this.endpointId, url: this.endpoint?.url ?? '', secret: rotated.data.secret, previousSecretValidUntil: rotated.data.previousSecretValidUntil };
    toast('New signing secret made: copy it now.');
    await this.loadEndpoint();
  }

  async remove(): Promise<void> {
    this.busy = 'delete';
    this.confirmError = null;
    const removed = await call(api.DELETE('/api/v1/profiles/{profileId}/webhooks/{endpointId}', { params: { path: this.#path } }));
    this.busy = null;
    if (!removed.ok && removed.status !== 404) {
      this.confirmError = removed.message;
      return;
    }
    this.confirming = null;
    toast('Endpoint deleted: nothing more is sent to it.');
    await goto(resolve('/dashboard/[profile=uuid]/webhooks', { profile: this.profileId }));
  }
}
