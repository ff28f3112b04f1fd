// A Map that keeps at most `limit` entries, and at most `maxWeight` in total when given a weight per
// entry, dropping the least recently used: for per-process memos of things that can be made again
// (rendered pages, parsed cache entries), so memory stays bounded however many profiles are visited
// and however large each one is.
export interface LruOptions<V> {
  /** With weigh: the total the entries may weigh (e.g. bytes). */
  maxWeight?: number;
  weigh?: (value: V) => number;
}

export class LruMap<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  readonly #entries = new Map<K, { value: V; weight: number }>();
  #weight = 0;

  constructor(
    readonly limit: number,
    private readonly options: LruOptions<V> = {},
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`an LRU map holds at least one entry (got ${limit})`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entries' total weight (0 without a weigh function). */
  get weight(): number {
    return this.#weight;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps the value unless it alone weighs more than maxWeight; then the key is dropped instead. */
  set(key: K, value: V): this {
    this.delete(key);
    const weight = this.options.weigh?.(value) ?? 0;
    if (this.options.maxWeight !== undefined && weight > this.options.maxWeight) return this;
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
    while (this.#entries.size > this.limit || (this.options.maxWeight !== undefined && this.#weight > this.options.maxWeight)) {
      this.delete(this.#entries.keys().next().value!);
    }
    return this;
  }

  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#weight -= entry.weight;
    return true;
  }
}
