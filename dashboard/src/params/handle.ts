import type { ParamMatcher } from '@sveltejs/kit';
import { HANDLE_PATTERN } from '../../../lib/profiles/handle.js';

/** A profile handle, as the API validates it (lower case, 3 to 30 characters). */
export const match: ParamMatcher = (value) => HANDLE_PATTERN.test(value);
