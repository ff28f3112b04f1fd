// What a link may point at. Only absolute http(s) URLs, normalised by the WHATWG URL parser (lower-case
// host, punycode, default port dropped, path percent-encoded), at most 2,048 characters, without
// credentials. javascript:, data:, file: and every other scheme are refused: a profile page must never
// run or embed something a click did not ask for. GitHub repository URLs are recognised here so the
// link can become a live repository card.

export const MAX_URL_LENGTH = 2048;

/**
 * The URLs the API document promises to accept: a plain subset of what parseLinkTarget() takes
 * (lower-case host names with a letter-only top-level label, no "--" so no punycode that might not
 * decode, a port below 10000, the path, query and fragment characters URL parsing keeps as they are)
 * and one character short of the limit, since normalising may add a "/". Clients and the API fuzzer
 * generate URLs from it; anything else is still checked by parseLinkTarget().
 */
export const DOCUMENTED_URL_PATTERN =
  "^https?://[a-z0-9]+(?:-[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-[a-z0-9]+)*)*\\.[a-z]{2,63}(?::[1-9][0-9]{0,3})?" +
  "(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*(?:\\?[A-Za-z0-9._~!$&()*+,;=:@%/?-]*)?(?:#[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$";
export const DOCUMENTED_URL_MAX_LENGTH = MAX_URL_LENGTH - 1;

export type LinkTarget =
  | { ok: true; url: string; github: { owner: string; name: string } | undefined }
  | { ok: false; reason: string };

const GITHUB_HOSTS = new Set(['github.com', 'www.github.com']);
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;

export function parseLinkTarget(input: string): LinkTarget {
  const raw = input.trim();
  // Control characters and whitespace inside a URL are a smuggling trick, not a typo to fix up.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f\s]/.test(raw)) return { ok: false, reason: 'must not contain spaces or control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL such as https://example.com' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use http or https' };
  if (url.username || url.password) return { ok: false, reason: 'must not contain a user name or password' };
  if (!url.hostname) return { ok: false, reason: 'must name a host' };
  const normalized = url.href;
  if (normalized.length > MAX_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  return { ok: true, url: normalized, github: githubRepository(url) };
}

/** owner/name when the URL is a repository's home page (https://github.com/owner/name[.git][/]). */
function githubRepository(url: URL): { owner: string; name: string } | undefined {
  if (!GITHUB_HOSTS.has(url.hostname) || url.port || url.search || url.hash) return undefined;
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.length !== 2) return undefined;
  const owner = segments[0]!;
  const name = segments[1]!.replace(/\.git$/, '');
  if (!GITHUB_OWNER.test(owner) || !GITHUB_REPO.test(name) || name === '.' || name === '..') return undefined;
  return { owner, name };
}
