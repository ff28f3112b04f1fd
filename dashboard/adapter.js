// A minimal SvelteKit adapter for Linkpulse. It writes SvelteKit's server, manifest and client
// assets to build/, and dashboard/main.ts mounts them in our own HTTP server. Unlike adapter-node's
// handler, that lets us pass our services as `event.platform`, take the public origin from
// PUBLIC_URL (config.ts) instead of environment variables read behind the config's back, and choose
// the cache headers of static assets.
import { writeFileSync } from 'node:fs';

/** @returns {import('@sveltejs/kit').Adapter} */
export default function linkpulseAdapter({ out = 'build' } = {}) {
  return {
    name: 'linkpulse-adapter',
    async adapt(builder) {
      builder.rimraf(out);
      builder.mkdirp(out);
      const base = builder.config.kit.paths.base;
      builder.writeClient(`${out}/client${base}`);
      // Brotli and gzip copies of the client's text assets (.br, .gz beside each), served by
      // dashboard/main.ts to browsers that accept them: the analytics page's script is ~3x smaller.
      await builder.compress(`${out}/client${base}`);
      builder.writePrerendered(`${out}/prerendered${base}`);
      builder.writeServer(`${out}/server`);
      writeFileSync(
        `${out}/server/manifest.js`,
        `export const manifest = ${builder.generateManifest({ relativePath: './' })};\n\n` +
          `export const prerendered = new Set(${JSON.stringify(builder.prerendered.paths)});\n` +
          `export const base = ${JSON.stringify(base)};\n`,
      );
    },
  };
}
