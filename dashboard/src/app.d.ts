// Types shared between the SvelteKit app and the process that mounts it (dashboard/main.ts).
import type { DashboardPlatform } from '../platform.js';

declare global {
  namespace App {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Platform extends DashboardPlatform {}
  }
}

export {};
