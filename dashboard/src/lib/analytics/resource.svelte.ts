// One panel's data: a GET of the API that loads again when its request changes, abandons the request
// it replaces (so a slow answer for an old filter never overwrites a newer one), and keeps the last
// data on screen while the next loads. `loading` is what the panel's aria-busy reports.
import type { ApiResult } from '$lib/api/client';

/** Reads the API for a request (path and query parameters, as plain data), abandoned on `signal`. */
export type Fetcher<R, T> = (request: R, signal: AbortSignal) => Promise<ApiResult<T>>;

export class Resource<R, T> {
  data: T | undefined = $state(undefined);
  error: string | null = $state(null);
  /** True until the first answer, and while any later load is under way (not during a quiet refresh). */
  loading = $state(true);
  #request: R | undefined;
  /** The request's JSON: requests are rebuilt whenever the page's view changes, often unchanged. */
  #key: string | undefined;
  #controller: AbortController | undefined;
  readonly #fetcher: Fetcher<R, T>;

  constructor(fetcher: Fetcher<R, T>) {
    this.#fetcher = fetcher;
  }

  /** Loads for `request`, showing the panel as busy, unless that is what it loaded last. */
  load(request: R): void {
    const key = JSON.stringify(request);
    if (key === this.#key) return;
    this.#key = key;
    this.#request = request;
    this.#start(request);
  }

  /** Loads the same request again without marking the panel busy (periodic refreshes). */
  refresh(): void {
    if (this.#request !== undefined && !this.loading) void this.#fetch(this.#request, true);
  }

  retry = (): void => {
    if (this.#request !== undefined) this.#start(this.#request);
  };

  abort(): void {
    this.#controller?.abort();
  }

  #start(request: R): void {
    this.loading = true;
    this.error = null;
    void this.#fetch(request, false);
  }

  async #fetch(request: R, quiet: boolean): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    let result: ApiResult<T>;
    try {
      result = await this.#fetcher(request, controller.signal);
    } catch (error) {
      // Aborted: a newer request (or the page going away) took over.
      if (controller.signal.aborted) return;
      throw error;
    }
    if (controller.signal.aborted) return;
    if (result.ok) this.data = result.data;
    // A quiet refresh that fails keeps the figures on screen; the next one tries again.
    if (!quiet || result.ok) this.error = result.ok ? null : result.message;
    this.loading = false;
  }
}
