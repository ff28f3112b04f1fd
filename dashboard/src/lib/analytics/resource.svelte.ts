// One panel's data: a JSON GET that reloads when its URL changes, abandons the request it replaces
// (so a slow answer for an old filter never overwrites a newer one), and keeps the last data on
// screen while the next loads. `loading` is what the panel's aria-busy reports.
import { errorMessage } from '$lib/api/session';

export class Resource<T> {
  data: T | undefined = $state(undefined);
  error: string | null = $state(null);
  /** True until the first answer, and while any later load is under way (not during a quiet refresh). */
  loading = $state(true);
  #url = '';
  #controller: AbortController | undefined;

  /** Loads `url` (again), showing the panel as busy. */
  load(url: string): void {
    this.#url = url;
    this.loading = true;
    this.error = null;
    void this.#fetch(url, false);
  }

  /** Loads the same URL again without marking the panel busy (periodic refreshes). */
  refresh(): void {
    if (this.#url && !this.loading) void this.#fetch(this.#url, true);
  }

  retry = (): void => this.load(this.#url);

  abort(): void {
    this.#controller?.abort();
  }

  async #fetch(url: string, quiet: boolean): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    try {
      const response = await fetch(url, { signal: controller.signal });
      const body = response.ok ? ((await response.json()) as T) : undefined;
      const failure = response.ok ? null : await errorMessage(response);
      if (controller.signal.aborted) return;
      if (body !== undefined) this.data = body;
      // A quiet refresh that fails keeps the figures on screen; the next one tries again.
      if (!quiet || failure === null) this.error = failure;
    } catch (error) {
      if (controller.signal.aborted) return;
      if (!quiet) this.error = error instanceof Error ? `Could not load this: ${error.message}` : 'Could not load this';
    }
    this.loading = false;
  }
}
