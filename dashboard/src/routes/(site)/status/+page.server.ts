import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ platform, setHeaders }) => {
  // Health changes from moment to moment: never cache this page.
  setHeaders({ 'cache-control': 'no-store' });
  if (!platform) return { roles: [], readiness: undefined };
  return { roles: [...platform.roles], readiness: await platform.readiness() };
};
