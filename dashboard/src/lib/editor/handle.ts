// Profile handles as the API validates them (lib/profiles/handle.ts), and whether one is free.
import { api, call } from '$lib/api/client';
import { HANDLE_PATTERN as HANDLE_REGEX } from '../../../../lib/profiles/handle.js';

/**
 * The same rule for an <input pattern>: the browser anchors it itself, and compiles it with the v
 * flag, under which a '-' inside a class must be escaped.
 */
export const HANDLE_PATTERN = HANDLE_REGEX.source.replace(/^\^|\$$/g, '').replaceAll('-]', '\\-]');
export const HANDLE_RULE = '3–30 characters: lower-case letters, digits, - and _, starting and ending with a letter or digit';

/** true/false from the API, or null when there is no answer (a handle that is not valid, or no connection). */
export async function isHandleAvailable(handle: string): Promise<boolean | null> {
  if (!HANDLE_REGEX.test(handle)) return null;
  const result = await call(api.GET('/api/v1/handles/{handle}', { params: { path: { handle } } }));
  return result.ok ? result.data.available : null;
}
