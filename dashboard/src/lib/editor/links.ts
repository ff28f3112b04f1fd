// The editor's link logic, kept out of the components so it can be tested: what a link looks like to
// the editor, which links the public page shows now, moving a link, and the schedule inputs.
import type { Schemas } from '$lib/api/client';
// The API's own URL rules (pure, no server imports): the editor previews exactly what the API accepts.
import { parseLinkTarget } from '../../../../lib/links/link-url.js';

/** A link as the API returns it, and the editor shows it. */
export type EditorLink = Schemas['Link'];

/** Whether the public page shows the link at `now`: enabled, and inside its schedule window. */
export function isLive(link: Pick<EditorLink, 'enabled' | 'startsAt' | 'endsAt'>, now: number): boolean {
  if (!link.enabled) return false;
  if (link.startsAt && Date.parse(link.startsAt) > now) return false;
  if (link.endsAt && Date.parse(link.endsAt) <= now) return false;
  return true;
}

/** Why a link is not on the page now, in words ("" when it is). */
export function hiddenReason(link: Pick<EditorLink, 'enabled' | 'startsAt' | 'endsAt'>, now: number, format: (iso: string) => string): string {
  if (!link.enabled) return 'Hidden';
  if (link.startsAt && Date.parse(link.startsAt) > now) return `Shown from ${format(link.startsAt)}`;
  if (link.endsAt && Date.parse(link.endsAt) <= now) return `Ended ${format(link.endsAt)}`;
  return '';
}

/** A copy of `links` with the item at `from` moved to `to` (both clamped to the list). */
export function moveItem<T>(links: readonly T[], from: number, to: number): T[] {
  const next = [...links];
  if (from < 0 || from >= next.length) return next;
  const target = Math.max(0, Math.min(next.length - 1, to));
  const [moved] = next.splice(from, 1);
  next.splice(target, 0, moved as T);
  return next;
}

export type UrlCheck = { ok: true; github: { owner: string; name: string } | undefined } | { ok: false; reason: string };

/** The URL as the API will judge it; an empty field is not an error yet. */
export function checkUrl(input: string): UrlCheck | null {
  if (input.trim() === '') return null;
  const target = parseLinkTarget(input);
  return target.ok ? { ok: true, github: target.github } : { ok: false, reason: `The URL ${target.reason}` };
}

/** A card for a GitHub URL not added yet: what the page shows until the first sync. */
export function pendingCard(repository: { owner: string; name: string }): Schemas['GitHubCard'] {
  return {
    ...repository,
    status: 'pending',
    description: null,
    language: null,
    languageColor: null,
    stars: null,
    forks: null,
    topics: [],
    pushedAt: null,
    lastSyncedAt: null,
    unreachableSince: null,
    syncFailing: false,
  };
}

const pad = (value: number) => String(value).padStart(2, '0');

/** An instant as the value of <input type="datetime-local"> in the browser's zone. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A <input type="datetime-local"> value (the browser's zone) as an ISO instant, or null when empty. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
