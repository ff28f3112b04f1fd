// The social-icons row of a public page, and the icons a link can wear. A network is a brand icon
// from simple-icons (or one of ours where the brand is not in it: LinkedIn, email, website) and,
// where the network lives on known hosts, a check that the address is really there, so a creator
// who pastes a YouTube URL as their GitHub hears about it.
import { parseLinkTarget } from '../links/link-url.js';

export interface SocialNetwork {
  id: string;
  label: string;
  /** Hosts an address must be on (a subdomain counts); none: any https address (Mastodon, RSS, a website). */
  hosts?: readonly string[];
  /** An example the form shows. */
  example: string;
}

export const SOCIAL_NETWORKS = [
  { id: 'github', label: 'GitHub', hosts: ['github.com'], example: 'https://github.com/you' },
  { id: 'gitlab', label: 'GitLab', hosts: ['gitlab.com'], example: 'https://gitlab.com/you' },
  { id: 'codeberg', label: 'Codeberg', hosts: ['codeberg.org'], example: 'https://codeberg.org/you' },
  { id: 'x', label: 'X', hosts: ['x.com', 'twitter.com'], example: 'https://x.com/you' },
  { id: 'mastodon', label: 'Mastodon', example: 'https://mastodon.social/@you' },
  { id: 'bluesky', label: 'Bluesky', hosts: ['bsky.app'], example: 'https://bsky.app/profile/you.bsky.social' },
  { id: 'linkedin', label: 'LinkedIn', hosts: ['linkedin.com'], example: 'https://www.linkedin.com/in/you' },
  { id: 'youtube', label: 'YouTube', hosts: ['youtube.com', 'youtu.be'], example: 'https://www.youtube.com/@you' },
  { id: 'twitch', label: 'Twitch', hosts: ['twitch.tv'], example: 'https://www.twitch.tv/you' },
  { id: 'instagram', label: 'Instagram', hosts: ['instagram.com'], example: 'https://www.instagram.com/you' },
  { id: 'tiktok', label: 'TikTok', hosts: ['tiktok.com'], example: 'https://www.tiktok.com/@you' },
  { id: 'threads', label: 'Threads', hosts: ['threads.net', 'threads.com'], example: 'https://www.threads.net/@you' },
  { id: 'discord', label: 'Discord', hosts: ['discord.gg', 'discord.com'], example: 'https://discord.gg/invite' },
  { id: 'reddit', label: 'Reddit', hosts: ['reddit.com'], example: 'https://www.reddit.com/user/you' },
  { id: 'stackoverflow', label: 'Stack Overflow', hosts: ['stackoverflow.com'], example: 'https://stackoverflow.com/users/1/you' },
  { id: 'devto', label: 'DEV', hosts: ['dev.to'], example: 'https://dev.to/you' },
  { id: 'hashnode', label: 'Hashnode', hosts: ['hashnode.dev', 'hashnode.com'], example: 'https://you.hashnode.dev' },
  { id: 'medium', label: 'Medium', hosts: ['medium.com'], example: 'https://medium.com/@you' },
  { id: 'substack', label: 'Substack', hosts: ['substack.com'], example: 'https://you.substack.com' },
  { id: 'npm', label: 'npm', hosts: ['npmjs.com'], example: 'https://www.npmjs.com/~you' },
  { id: 'githubsponsors', label: 'GitHub Sponsors', hosts: ['github.com'], example: 'https://github.com/sponsors/you' },
  { id: 'opencollective', label: 'Open Collective', hosts: ['opencollective.com'], example: 'https://opencollective.com/project' },
  { id: 'kofi', label: 'Ko-fi', hosts: ['ko-fi.com'], example: 'https://ko-fi.com/you' },
  { id: 'patreon', label: 'Patreon', hosts: ['patreon.com'], example: 'https://www.patreon.com/you' },
  { id: 'buymeacoffee', label: 'Buy Me a Coffee', hosts: ['buymeacoffee.com'], example: 'https://www.buymeacoffee.com/you' },
  { id: 'spotify', label: 'Spotify', hosts: ['spotify.com'], example: 'https://open.spotify.com/artist/…' },
  { id: 'rss', label: 'RSS feed', example: 'https://you.dev/feed.xml' },
  { id: 'website', label: 'Website', example: 'https://you.dev' },
  { id: 'email', label: 'Email', example: 'you@example.com' },
] as const satisfies readonly SocialNetwork[];

export type SocialNetworkId = (typeof SOCIAL_NETWORKS)[number]['id'];
export const SOCIAL_NETWORK_IDS = SOCIAL_NETWORKS.map((network) => network.id) as [SocialNetworkId, ...SocialNetworkId[]];
export const MAX_SOCIAL_LINKS = 12;
/** Characters of one address: a profile link is short, and 12 of them stay well inside the column's limit. */
export const MAX_SOCIAL_URL_LENGTH = 500;

export interface SocialLink {
  network: SocialNetworkId;
  /** An https address, or for email the address itself. */
  url: string;
}

// A practical address check (what a form can judge); whether it receives mail is the owner's business.
// The local part is letters, digits and . _ + - ' only: `?`, `&`, `%`, `#` or `/` in a mailto: link
// would smuggle in a hidden Cc, a body or encoded headers.
const EMAIL = /^[a-z0-9._+'-]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export type SocialLinkCheck = { ok: true; url: string } | { ok: false; reason: string };

/** The address normalised, or why it is not one for this network. */
export function checkSocialLink(networkId: string, value: string): SocialLinkCheck {
  const network: SocialNetwork | undefined = SOCIAL_NETWORKS.find((candidate) => candidate.id === networkId);
  if (!network) return { ok: false, reason: 'must be one of the networks listed' };
  const trimmed = value.trim();
  if (trimmed.length > MAX_SOCIAL_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_SOCIAL_URL_LENGTH} characters` };
  if (network.id === 'email') {
    const address = trimmed.replace(/^mailto:/i, '');
    return address.length <= 254 && EMAIL.test(address) ? { ok: true, url: address.toLowerCase() } : { ok: false, reason: `must be an email address, such as ${network.example}` };
  }
  const target = parseLinkTarget(trimmed);
  if (!target.ok) return { ok: false, reason: `${target.reason} (for example ${network.example})` };
  const { protocol, hostname } = new URL(target.url);
  if (protocol !== 'https:') return { ok: false, reason: `must be an https:// address, such as ${network.example}` };
  if (network.hosts && !network.hosts.some((host) => hostname === host || hostname.endsWith(`.${host}`))) {
    return { ok: false, reason: `must be a ${network.hosts[0]} address, such as ${network.example}` };
  }
  return { ok: true, url: target.url };
}

// Bounded so that every match stays inside the check's limits (labels ≤ 63, addresses ≤ 254 and 500).
const LABEL = '[a-z0-9]{1,20}(?:-[a-z0-9]{1,20}){0,2}';
const PATH = '(?:/[A-Za-z0-9._~-]{0,40}){0,4}';
/**
 * For the API's documentation (and its fuzzer): a pattern of addresses this network always accepts.
 * The check itself (checkSocialLink) accepts more (query strings, any https address where the network
 * has no hosts of its own); what it refuses, no string matching this has.
 */
export function documentedSocialUrlPattern(networkId: SocialNetworkId): string {
  const network: SocialNetwork = SOCIAL_NETWORKS.find((candidate) => candidate.id === networkId)!;
  if (network.id === 'email') return `^[a-z0-9]{1,20}(?:[._+-][a-z0-9]{1,20}){0,2}@${LABEL}(?:\\.${LABEL}){0,2}\\.[a-z]{2,20}$`;
  const host = network.hosts
    ? `(?:${LABEL}\\.){0,2}(?:${network.hosts.map((name) => name.replaceAll('.', '\\.')).join('|')})`
    : `${LABEL}(?:\\.${LABEL}){0,2}\\.[a-z]{2,20}`;
  return `^https://${host}${PATH}$`;
}

/** Where the icon links to: a mailto: for email, the address otherwise. */
export const socialHref = (link: SocialLink) => (link.network === 'email' ? `mailto:${link.url}` : link.url);

export const socialLabel = (network: string) => SOCIAL_NETWORKS.find((candidate) => candidate.id === network)?.label ?? network;

/**
 * Icons a link can show beside its title: every network above, plus general ones (drawn by the
 * dashboard with Lucide). A link without a chosen icon shows its site's network icon when its URL is
 * on one of the networks' hosts (linkIconFor), and nothing otherwise.
 */
export const GENERAL_LINK_ICONS = ['link', 'globe', 'book', 'newspaper', 'video', 'mic', 'music', 'calendar', 'download', 'shopping-bag', 'heart', 'code', 'briefcase', 'coffee'] as const;
export const LINK_ICON_IDS = [...SOCIAL_NETWORK_IDS, ...GENERAL_LINK_ICONS] as [string, ...string[]];
export type LinkIconId = SocialNetworkId | (typeof GENERAL_LINK_ICONS)[number];
/** A link's icon setting: 'none' turns the automatic icon off. */
export const LINK_ICON_NONE = 'none';

/** The icon a link shows: the chosen one, else its host's network (GitHub repositories have their card). */
export function linkIconFor(link: { icon: string | null; url: string }): LinkIconId | null {
  if (link.icon === LINK_ICON_NONE) return null;
  if (link.icon && (LINK_ICON_IDS as readonly string[]).includes(link.icon)) return link.icon as LinkIconId;
  let hostname: string;
  try {
    hostname = new URL(link.url).hostname;
  } catch {
    return null;
  }
  const network = SOCIAL_NETWORKS.find((candidate) => 'hosts' in candidate && candidate.hosts.some((host) => hostname === host || hostname.endsWith(`.${host}`)));
  return network && network.id !== 'githubsponsors' ? network.id : null;
}
