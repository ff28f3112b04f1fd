import type { ParamMatcher } from '@sveltejs/kit';

/** A profile id in /dashboard/<id>/…: a UUID, so the creator's other pages (/dashboard/settings) never match. */
export const match: ParamMatcher = (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
