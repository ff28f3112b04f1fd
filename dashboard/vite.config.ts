import tailwindcss from '@tailwindcss/vite';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig, type Plugin } from 'vite';

/**
 * The browser's build only (the server's modules keep the shape SvelteKit checks): Vite splits the
 * app into dozens of chunks of a few hundred bytes, so a page waits on ~40 requests (six at a time
 * over HTTP/1.1) before it can render. Chunks under 10 kB join a chunk loaded in the same places.
 */
const mergeSmallClientChunks: Plugin = {
  name: 'linkpulse:merge-small-client-chunks',
  apply: 'build',
  outputOptions(options) {
    if (this.environment.config.consumer !== 'client') return null;
    return { ...options, experimentalMinChunkSize: 10_000 };
  },
};

export default defineConfig({
  plugins: [tailwindcss(), sveltekit(), mergeSmallClientChunks],
  // Svelte component libraries ship .svelte files: the server's build compiles them in, as Node
  // cannot import them at run time.
  ssr: { noExternal: ['@lucide/svelte'] },
});
