import type { ParamMatcher } from '@sveltejs/kit';

/** A profile handle, as api/profiles/profiles.routes.ts validates it (lower case, 3 to 30 characters). */
export const match: ParamMatcher = (value) => /^[a-z0-9][a-z0-9_-]{1,28}[a-z0-9]$/.test(value);
