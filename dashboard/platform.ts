// What dashboard/main.ts hands to SvelteKit as `event.platform` on every request: the running
// process's services, so pages read them directly instead of calling back over HTTP.
import type { PublicProfiles } from '../lib/public-profile.js';
import type { ReadinessReport } from '../lib/health.js';

export interface DashboardPlatform {
  /** The roles running in this process. */
  roles: readonly string[];
  /** Dependency health, as /readyz reports it. */
  readiness(): Promise<ReadinessReport>;
  /** Published profiles as visitors see them, from the cache (PostgreSQL on a miss). */
  publicProfiles: Pick<PublicProfiles, 'get'>;
  /** Where profile pages load the tracker from (served by the ingest role). */
  trackerUrl: string;
  /**
   * The demo creator's log-in (`npm run demo`), offered on the landing and log-in pages while its page
   * @demo is published; undefined in production, where no demo is seeded.
   */
  demoAccount: { email: string; password: string } | undefined;
}
