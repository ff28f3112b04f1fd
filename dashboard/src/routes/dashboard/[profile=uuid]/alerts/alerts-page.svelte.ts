// The Alerts tab's state: the page's alert rules, who receives their mail, whether a webhook endpoint
// listens, its links (to name and choose them) and the history of firings, with every action. Made once
// by +page.svelte; its parts read and act through it. What the rules mean is lib/alerts/alert-rules.ts.
import { api, call, type ApiResult, type paths, type Schemas } from '$lib/api/client';
import { toast } from '$lib/ui/toasts.svelte';
import { ALERT_KIND_NAMES, type AlertKind } from '../../../../../../lib/alerts/alert-rules.js';

export type AlertRule = Schemas['AlertRule'];
export type AlertFiring = Schemas['AlertFiring'];
export type AlertsOverview = Schemas['AlertsOverview'];
export type NewAlert = paths['/api/v1/profiles/{profileId}/alerts']['post']['requestBody']['content']['application/json'];
export type AlertChanges = paths['/api/v1/profiles/{profileId}/alerts/{alertId}']['patch']['requestBody']['content']['application/json'];

export class AlertsPage {
  overview: AlertsOverview | null = $state(null);
  links: Schemas['Link'][] = $state([]);
  loadError: string | null = $state(null);
  /** A refusal of an action that has no field of its own (deleting, switching), shown above the rules. */
  actionError: string | null = $state(null);
  firings: AlertFiring[] = $state([]);
  next: string | null = $state(null);
  historyKind: AlertKind | '' = $state('');
  historyLoading = $state(true);
  historyError: string | null = $state(null);
  mailSaving = $state(false);

  constructor(readonly profileId: string) {}

  get rules(): AlertRule[] {
    return this.overview?.rules ?? [];
  }

  rulesOf<K extends AlertKind>(kind: K): Extract<AlertRule, { kind: K }>[] {
    return this.rules.filter((rule): rule is Extract<AlertRule, { kind: K }> => rule.kind === kind);
  }

  /** A link's title, or what to call a link that is gone. */
  linkTitle(linkId: string | null): string {
    if (linkId === null) return 'Every link';
    return this.links.find((link) => link.id === linkId)?.title ?? 'A deleted link';
  }

  async load(): Promise<void> {
    this.loadError = null;
    const path = { profileId: this.profileId };
    const [overview, links] = await Promise.all([
      call(api.GET('/api/v1/profiles/{profileId}/alerts', { params: { path } })),
      call(api.GET('/api/v1/profiles/{profileId}/links', { params: { path } })),
      this.loadHistory(),
    ]);
    if (!overview.ok) {
      this.loadError = overview.message;
      return;
    }
    if (links.ok) this.links = links.data.links;
    this.overview = overview.data;
  }

  async loadHistory(more = false): Promise<void> {
    this.historyLoading = true;
    this.historyError = null;
    const query = { ...(this.historyKind ? { kind: this.historyKind } : {}), ...(more && this.next ? { before: this.next } : {}) };
    const page = await call(api.GET('/api/v1/profiles/{profileId}/alerts/firings', { params: { path: { profileId: this.profileId }, query } }));
    this.historyLoading = false;
    if (!page.ok) {
      this.historyError = page.message;
      return;
    }
    this.firings = more ? [...this.firings, ...page.data.firings] : page.data.firings;
    this.next = page.data.next;
  }

  async create(body: NewAlert): Promise<ApiResult<AlertRule>> {
    this.actionError = null;
    const created = await call(api.POST('/api/v1/profiles/{profileId}/alerts', { params: { path: { profileId: this.profileId } }, body }));
    if (created.ok && this.overview) {
      this.overview.rules = [...this.overview.rules, created.data];
      toast(`${ALERT_KIND_NAMES[created.data.kind]} alert is on.`);
    }
    return created;
  }

  async update(rule: AlertRule, changes: AlertChanges, done: string): Promise<ApiResult<AlertRule>> {
    this.actionError = null;
    const changed = await call(api.PATCH('/api/v1/profiles/{profileId}/alerts/{alertId}', { params: { path: { profileId: this.profileId, alertId: rule.id } }, body: changes }));
    if (changed.ok) {
      this.replace(changed.data);
      toast(done);
    }
    return changed;
  }

  /** Turns a rule on or off at once; a refusal is shown above the rules. */
  async setEnabled(rule: AlertRule, enabled: boolean): Promise<void> {
    const changed = await this.update(rule, { enabled }, `${ALERT_KIND_NAMES[rule.kind]} alert turned ${enabled ? 'on' : 'off'}.`);
    if (!changed.ok) this.actionError = changed.message;
  }

  async remove(rule: AlertRule): Promise<void> {
    this.actionError = null;
    const removed = await call(api.DELETE('/api/v1/profiles/{profileId}/alerts/{alertId}', { params: { path: { profileId: this.profileId, alertId: rule.id } } }));
    if (!removed.ok) {
      this.actionError = removed.message;
      return;
    }
    if (this.overview) this.overview.rules = this.overview.rules.filter((candidate) => candidate.id !== rule.id);
    toast(`${ALERT_KIND_NAMES[rule.kind]} alert deleted. Its past firings stay in the history.`);
  }

  /** The caller's own choice to receive this page's alert mail. */
  async setMail(receive: boolean): Promise<void> {
    this.actionError = null;
    this.mailSaving = true;
    const saved = await call(api.PUT('/api/v1/profiles/{profileId}/alerts/mail', { params: { path: { profileId: this.profileId } }, body: { receive } }));
    this.mailSaving = false;
    if (!saved.ok) {
      this.actionError = saved.message;
      return;
    }
    // Who receives it changed: read the list again rather than guess it.
    const overview = await call(api.GET('/api/v1/profiles/{profileId}/alerts', { params: { path: { profileId: this.profileId } } }));
    if (overview.ok) this.overview = overview.data;
    toast(receive ? 'You will receive this page’s alerts by mail.' : 'You will no longer receive this page’s alerts by mail.');
  }

  private replace(rule: AlertRule): void {
    if (this.overview) this.overview.rules = this.overview.rules.map((candidate) => (candidate.id === rule.id ? rule : candidate));
  }
}
