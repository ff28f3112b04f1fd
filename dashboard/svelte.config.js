import adapter from './adapter.js';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  kit: {
    // The build is mounted by dashboard/main.ts (one process with the other roles, or alone).
    adapter: adapter({ out: 'build' }),
    // Strict CSP with per-response nonces for SvelteKit's own inline scripts; nothing third-party.
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self'],
        'img-src': ['self', 'data:'],
        'font-src': ['self'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['none'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
    // Form actions are checked against the request origin, which dashboard/main.ts derives from PUBLIC_URL.
    csrf: { trustedOrigins: [] },
  },
};

export default config;
