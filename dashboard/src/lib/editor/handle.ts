// Profile handles as the API validates them (api/profiles/profiles.routes.ts), and whether one is free.

/** Lower case, 3 to 30 characters, letters, digits, - and _, starting and ending with a letter or digit. */
export const HANDLE_REGEX = /^[a-z0-9][a-z0-9_-]{1,28}[a-z0-9]$/;
/** The same rule for an <input pattern> (a v-flag regex there, so '-' is escaped). */
export const HANDLE_PATTERN = '[a-z0-9][a-z0-9_\\-]{1,28}[a-z0-9]';
export const HANDLE_RULE = '3–30 characters: lower-case letters, digits, - and _, starting and ending with a letter or digit';

/** true/false from the API, or null when there is no answer (a handle that is not valid, or no connection). */
export async function isHandleAvailable(handle: string): Promise<boolean | null> {
  if (!HANDLE_REGEX.test(handle)) return null;
  const response = await fetch(`/api/v1/handles/${handle}`).catch(() => null);
  return response?.ok ? ((await response.json()) as { available: boolean }).available : null;
}
