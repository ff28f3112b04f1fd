// Where stored images are served, and how caches may keep them. No dependencies: the public profile
// (and the SvelteKit page through it) builds avatar URLs with this.

/** Content-addressed objects never change: any cache may keep them for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The path an object is served at: /assets/<sha256>. */
export const assetPath = (objectKey: string) => `/${objectKey}`;
