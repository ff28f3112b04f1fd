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
        // The one inline style SvelteKit itself writes: the route announcer's (a style attribute,
        // hence 'unsafe-hashes', limited to that exact text). The browser test fails on any other.
        'style-src': ['self', 'unsafe-hashes', 'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='],
        // blob: for the preview of an image compressed in the browser before upload.
        'img-src': ['self', 'data:', 'blob:'],
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
