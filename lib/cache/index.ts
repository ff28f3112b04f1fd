import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Cache } from './cache.js';
import { createMemoryCache } from './memory-cache.js';
import { createRedisCache } from './redis-cache.js';

/** Redis when REDIS_URL is set, otherwise memory in this process. */
export function createCache(config: Pick<Config, 'redisUrl'>, logger: Logger): Cache {
  return config.redisUrl ? createRedisCache({ url: config.redisUrl, logger }) : createMemoryCache();
}
