import { MemoryStore, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFailoverRateLimitStore } from './failover-rate-limit-store.js';

const LIMITER_OPTIONS = { windowMs: 60_000 } as Options;

/**
 * A shared store that behaves like rate-limit-redis: init() loads a script and keeps the promise,
 * and every increment awaits it, so an init made while the server was down fails for ever.
 */
class FakeSharedStore implements Store {
  readonly localKeys = false;
  readonly prefix = 'lp:rl:test:';
  isUp = true;
  inits = 0;
  readonly hits = new Map<string, number>();
  private script: Promise<string> = Promise.reject(new Error('init was never called'));

  constructor() {
    this.script.catch(() => undefined);
  }

  private reach(): void {
    if (!this.isUp) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  }

  async init(): Promise<void> {
    this.inits += 1;
    this.script = this.isUp ? Promise.resolve('sha') : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    await this.script;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    await this.script;
    this.reach();
    const totalHits = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, totalHits);
    return { totalHits, resetTime: new Date(Date.now() + 60_000) };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    this.reach();
    const totalHits = this.hits.get(key);
    return totalHits === undefined ? undefined : { totalHits, resetTime: new Date(Date.now() + 60_000) };
  }

  async decrement(key: string): Promise<void> {
    this.reach();
    this.hits.set(key, (this.hits.get(key) ?? 1) - 1);
  }

  async resetKey(key: string): Promise<void> {
    this.reach();
    this.hits.delete(key);
  }
}

interface LogLine {
  level: number;
  msg: string;
  err?: string;
}

describe('failover rate-limit store', () => {
  let shared: FakeSharedStore;
  let local: MemoryStore;
  let logs: LogLine[];
  let store: Store;

  beforeEach(() => {
    shared = new FakeSharedStore();
    local = new MemoryStore();
    logs = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
    store = createFailoverRateLimitStore(shared, local, logger);
  });

  const warnings = () => logs.filter((line) => line.level === 40);
  const notices = () => logs.filter((line) => line.level === 30);

  it('counts in the shared store while it answers, and says its keys are shared', async () => {
    await store.init?.(LIMITER_OPTIONS);
    expect((await store.increment('client-a')).totalHits).toBe(1);
    expect((await store.increment('client-a')).totalHits).toBe(2);
    expect(shared.hits.get('client-a')).toBe(2);
    expect(await local.get('client-a')).toBeUndefined();
    expect(store.localKeys).toBe(false);
    expect(store.prefix).toBe('lp:rl:test:');
    expect(logs).toEqual([]);
  });

  it('still limits, in this process, when the shared store is down from the start', async () => {
    shared.isUp = false;
    await expect(store.init?.(LIMITER_OPTIONS)).resolves.toBeUndefined();
    const counts = [];
    for (let i = 0; i < 3; i += 1) counts.push((await store.increment('client-a')).totalHits);
    expect(counts).toEqual([1, 2, 3]);
    expect((await store.increment('client-b')).totalHits).toBe(1);
    // One warning for the whole outage, naming the cause.
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.err).toMatch(/ECONNREFUSED/);
  });

  it('re-initialises the shared store once it is back, instead of keeping the failed init', async () => {
    shared.isUp = false;
    await store.init?.(LIMITER_OPTIONS);
    await store.increment('client-a');
    shared.isUp = true;
    const initsBefore = shared.inits;
    expect((await store.increment('client-a')).totalHits).toBe(1);
    expect(shared.inits).toBe(initsBefore + 1);
    expect((await store.increment('client-a')).totalHits).toBe(2);
    // Initialised once, not before every call.
    expect(shared.inits).toBe(initsBefore + 1);
    expect(notices().map((line) => line.msg)).toEqual([expect.stringMatching(/recovered/)]);
  });

  it('recovers from an outage that starts after a good init', async () => {
    await store.init?.(LIMITER_OPTIONS);
    await store.increment('client-a');
    shared.isUp = false;
    expect((await store.increment('client-a')).totalHits).toBe(1);
    expect((await store.increment('client-a')).totalHits).toBe(2);
    shared.isUp = true;
    const initsBefore = shared.inits;
    // The shared count resumes where it was; the script is loaded again first.
    expect((await store.increment('client-a')).totalHits).toBe(2);
    expect(shared.inits).toBe(initsBefore + 1);
    // Down again: a second outage is reported again.
    shared.isUp = false;
    await store.increment('client-a');
    expect(warnings()).toHaveLength(2);
    expect(notices()).toHaveLength(1);
  });

  it('shares one re-initialisation between concurrent requests', async () => {
    shared.isUp = false;
    await store.init?.(LIMITER_OPTIONS);
    shared.isUp = true;
    const initsBefore = shared.inits;
    const results = await Promise.all(Array.from({ length: 5 }, async () => store.increment('client-a')));
    expect(results.map((result) => result.totalHits).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(shared.inits).toBe(initsBefore + 1);
  });

  it('never throws from get, decrement or resetKey while the shared store is down', async () => {
    await store.init?.(LIMITER_OPTIONS);
    shared.isUp = false;
    await store.increment('client-a');
    await store.increment('client-a');
    await expect(store.decrement('client-a')).resolves.toBeUndefined();
    expect((await store.get?.('client-a'))?.totalHits).toBe(1);
    await expect(store.resetKey('client-a')).resolves.toBeUndefined();
    expect(await store.get?.('client-a')).toBeUndefined();
  });

  it('resets a client in both stores, so an old outage count does not come back', async () => {
    await store.init?.(LIMITER_OPTIONS);
    shared.isUp = false;
    await store.increment('client-a');
    await store.increment('client-a');
    shared.isUp = true;
    await store.increment('client-a');
    await store.resetKey('client-a');
    expect(shared.hits.has('client-a')).toBe(false);
    shared.isUp = false;
    expect((await store.increment('client-a')).totalHits).toBe(1);
  });
});
