import { DEMO_HANDLE } from '../../../../lib/demo-account.js';
import type { LayoutServerLoad } from './$types';

/** Whether the live demo exists here (`npm run demo`, never in production): its page is published. */
export const load: LayoutServerLoad = async ({ platform }) => ({
  demo: platform?.demoAccount !== undefined && (await platform.publicProfiles.get(DEMO_HANDLE)).body !== undefined,
});
