// An express-rate-limit store that counts in the shared store (Redis) and, while that fails, in this
// process: during an outage every instance still limits, each on its own budget, and no limiter
// ever sees an error. Every call tries the shared store first, so counting moves back as soon as it
// answers again.
//
// rate-limit-redis loads its Lua script once, in init(), and keeps the promise: if Redis was down
// then, every later increment awaits that rejected promise for ever. So after any failure the shared
// store is initialised again (reloading the script) before its next use.
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import { describeError } from '../health.js';
import type { Logger } from '../logger.js';

export function createFailoverRateLimitStore(primary: Store, fallback: Store, logger: Logger): Store {
  let options: Options | undefined;
  // The primary's pending or finished init with the limiter's options; cleared by any failure.
  let primaryInit: Promise<void> | undefined;
  let isPrimaryDown = false;

  const initPrimary = async (): Promise<void> => {
    // Until the limiter calls init there are no options to give the primary; it is used as it is.
    if (options === undefined || primary.init === undefined) return;
    const limiterOptions = options;
    // Concurrent calls share one init rather than each reloading the script.
    primaryInit ??= Promise.resolve().then(() => primary.init?.(limiterOptions));
    await primaryInit;
  };

  async function withFailover<T>(operation: string, onPrimary: () => T | Promise<T>, onFallback: () => T | Promise<T>): Promise<T> {
    try {
      await initPrimary();
      const result = await onPrimary();
      if (isPrimaryDown) {
        isPrimaryDown = false;
        logger.info('Shared rate-limit store recovered; counting across instances again');
      }
      return result;
    } catch (error) {
      primaryInit = undefined;
      if (!isPrimaryDown) {
        isPrimaryDown = true;
        logger.warn({ err: describeError(error), operation }, 'Shared rate-limit store failed; counting in this process until it recovers');
      }
      return onFallback();
    }
  }

  const store: Store = {
    // Keys are shared between instances (through the primary), and prefixed as the primary's are, so
    // express-rate-limit's double-count check tells this store's limiters apart.
    localKeys: false,
    prefix: primary.prefix,
    async init(limiterOptions) {
      options = limiterOptions;
      primaryInit = undefined;
      await fallback.init?.(limiterOptions);
      await withFailover('init', () => undefined, () => undefined);
    },
    increment: (key): Promise<IncrementResponse> => withFailover('increment', () => primary.increment(key), () => fallback.increment(key)),
    decrement: (key) => withFailover('decrement', () => primary.decrement(key), () => fallback.decrement(key)),
    async resetKey(key) {
      // Forget the client in both: a reset must not resurface with the next outage's counts.
      await fallback.resetKey(key);
      await withFailover('resetKey', () => primary.resetKey(key), () => undefined);
    },
    async shutdown() {
      await fallback.shutdown?.();
      await primary.shutdown?.();
    },
  };
  const primaryGet = primary.get?.bind(primary);
  if (primaryGet) {
    store.get = (key): Promise<ClientRateLimitInfo | undefined> => withFailover('get', () => primaryGet(key), () => fallback.get?.(key));
  }
  return store;
}
