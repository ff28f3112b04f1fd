// The analytics page's panels, filled from one streamed read per view (dashboard-stream.ts): each
// panel shows its skeleton until its own line arrives, then its data or its error; the panels that
// already answered keep their figures on screen (dimmed) while the next view loads. A new view aborts
// the read in flight and starts one new read, so a slow answer for an old filter never lands.
import { DASHBOARD_PANELS, panelErrorText, readDashboard, type DashboardLine, type DashboardPanel, type DashboardQuery, type PanelBody } from './dashboard-stream';
import type { AnalyticsSource } from './source';

/** One panel's state, as Panel.svelte shows it. `loading` is what the panel's aria-busy reports. */
export class PanelSlot<T> {
  data: T | undefined = $state(undefined);
  error: string | null = $state(null);
  /** True until this panel's line of the current read arrives. */
  loading = $state(true);
  /** Reads the view again (one request for every panel: the batch is the page's one read). */
  readonly retry: () => void;

  constructor(retry: () => void) {
    this.retry = retry;
  }
}

/**
 * A new task: lines often arrive several to a chunk, and each panel's render is then a task of its
 * own instead of one long task for all of them (what a phone's main thread, and Total Blocking Time,
 * would feel).
 */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export type DashboardSlots = { [K in DashboardPanel]: PanelSlot<PanelBody<K>> };

/** Whose analytics, and the view's query (plain data: requests are compared by their JSON). */
export interface DashboardRequest {
  source: AnalyticsSource;
  query: DashboardQuery;
}

export class DashboardBatch {
  readonly panels: DashboardSlots;
  #request: DashboardRequest | undefined;
  #key: string | undefined;
  #controller: AbortController | undefined;

  constructor() {
    const retry = () => {
      if (this.#request) void this.#read(this.#request);
    };
    this.panels = Object.fromEntries(DASHBOARD_PANELS.map((panel) => [panel, new PanelSlot(retry)])) as DashboardSlots;
  }

  /** Reads the panels for `request`, unless that is what was read last (views are rebuilt often, unchanged). */
  load(request: DashboardRequest): void {
    const key = JSON.stringify(request);
    if (key === this.#key) return;
    this.#key = key;
    this.#request = request;
    void this.#read(request);
  }

  abort(): void {
    this.#controller?.abort();
  }

  #slot(panel: DashboardPanel): PanelSlot<unknown> {
    return this.panels[panel];
  }

  #show(line: Exclude<DashboardLine, { done: true }>): void {
    const slot = this.#slot(line.panel);
    if ('body' in line) {
      slot.data = line.body;
      slot.error = null;
    } else slot.error = panelErrorText(line.error);
    slot.loading = false;
  }

  async #read(request: DashboardRequest): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    for (const panel of DASHBOARD_PANELS) {
      this.#slot(panel).loading = true;
      this.#slot(panel).error = null;
    }
    // Local bookkeeping of this read, not state the page shows.
    const arrived: Partial<Record<DashboardPanel, true>> = {};
    try {
      const result = await readDashboard(request.source, request.query, controller.signal, async (line) => {
        if (controller.signal.aborted || 'done' in line) return;
        arrived[line.panel] = true;
        this.#show(line);
        await nextTask();
      });
      if (controller.signal.aborted || result.ok) return;
      // Refused before the stream, or cut short: the panels still waiting say why.
      for (const panel of DASHBOARD_PANELS.filter((name) => !arrived[name])) this.#show({ panel, error: { status: result.status, code: '', message: result.message, requestId: '' } });
    } catch (error) {
      // Aborted: a newer view (or the page going away) took over.
      if (controller.signal.aborted) return;
      throw error;
    }
  }
}
