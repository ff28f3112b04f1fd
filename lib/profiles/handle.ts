// What a profile handle looks like, for every side that checks one: the API's schemas
// (api/profiles/profiles.routes.ts), the public page's lookup, and the dashboard (its route matcher
// and the handle fields). The database checks the same pattern (migrations/).

/** Lower case, 3 to 30 characters: letters, digits, - and _, starting and ending with a letter or digit. */
export const HANDLE_PATTERN = /^[a-z0-9][a-z0-9_-]{1,28}[a-z0-9]$/;
