import type { PageServerLoad } from './$types';

/** With ?demo (the landing page's "explore its analytics") and a live demo: its log-in, to fill in. */
export const load: PageServerLoad = async ({ parent, platform, url }) => {
  const { demo } = await parent();
  return { demoAccount: demo && url.searchParams.has('demo') ? platform?.demoAccount : undefined };
};
