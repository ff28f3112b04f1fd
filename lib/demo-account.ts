// The demo creator of `npm run demo` (server/demo/seed-demo.ts seeds it), also offered by the landing
// and log-in pages while its page is published. Known on purpose: the demo is for a machine you run
// locally (refused with NODE_ENV=production). The password still has to pass the password rule
// (lib/passwords) like anyone's.
export const DEMO_CREDENTIALS = { email: 'demo@linkpulse.dev', password: 'watch-the-pulse-grow' } as const;
export const DEMO_HANDLE = 'demo';
