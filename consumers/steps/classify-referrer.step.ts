// Traffic source: the referrer's host and a channel (lib/events/analytics-row.ts CHANNELS). Only the
// host is kept: a referrer's path and query can identify a person (search terms, private pages,
// tokens), so nothing beyond the host ever reaches ClickHouse.
//
// Precedence: utm_medium=email (an explicit tag by the creator) → the referrer's host → when there is
// no referrer, utm_source (a tagged link in an app that sends none) → direct.
import type { Channel } from '../../lib/events/analytics-row.js';
import type { TrackedEvent } from '../../lib/events/tracked-event.js';

export interface ReferrerInfo {
  /** Host of the referrer, lower case, without "www."; '' when there is none. */
  referrer_domain: string;
  channel: Channel;
}

export type UtmInput = Pick<TrackedEvent['utm'], 'source' | 'medium'>;

/** Domains (matched with all their subdomains) per channel, checked in this order. */
const DOMAIN_CHANNELS: readonly (readonly [Channel, readonly string[]])[] = [
  ['email', ['mail.google.com', 'inbox.google.com', 'mail.yahoo.com', 'outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.proton.me', 'mail.protonmail.com', 'app.fastmail.com', 'mail.zoho.com', 'mail.yandex.ru']],
  // github.com and its subdomains (gist., docs.); *.github.io are people's own sites: referral.
  ['github', ['github.com']],
  ['npm', ['npmjs.com', 'npmjs.org']],
  ['hacker_news', ['news.ycombinator.com', 'hn.algolia.com']],
  ['dev_to', ['dev.to']],
  ['stack_overflow', ['stackoverflow.com', 'stackexchange.com', 'superuser.com', 'serverfault.com', 'askubuntu.com']],
  ['reddit', ['reddit.com', 'redd.it']],
  ['x', ['x.com', 'twitter.com', 't.co']],
  ['linkedin', ['linkedin.com', 'lnkd.in']],
  ['youtube', ['youtube.com', 'youtu.be']],
  ['search', ['bing.com', 'duckduckgo.com', 'search.yahoo.com', 'search.yahoo.co.jp', 'ya.ru', 'baidu.com', 'ecosia.org', 'search.brave.com', 'kagi.com', 'startpage.com', 'qwant.com']],
  ['social', [
    'facebook.com', 'fb.com', 'instagram.com', 'threads.net', 'threads.com', 'bsky.app', 't.me', 'telegram.org', 'discord.com',
    'tiktok.com', 'pinterest.com', 'tumblr.com', 'vk.com', 'weibo.com', 'snapchat.com', 'whatsapp.com', 'wa.me',
    // Mastodon has thousands of servers; these are the large general and tech ones.
    'mastodon.social', 'mastodon.online', 'mas.to', 'fosstodon.org', 'hachyderm.io', 'infosec.exchange', 'techhub.social',
  ]],
];

/** Google and Yandex search live on a country domain each: google.de, google.co.uk, yandex.com.tr. */
const COUNTRY_SEARCH_ENGINE = /^(?:google|yandex)\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$/;

/** utm_source values (lower case) that name a channel, for links opened without a referrer. */
const SOURCE_CHANNELS: Readonly<Record<string, Channel>> = {
  github: 'github', gh: 'github',
  npm: 'npm', npmjs: 'npm',
  hn: 'hacker_news', hackernews: 'hacker_news', hacker_news: 'hacker_news', 'hacker-news': 'hacker_news', ycombinator: 'hacker_news',
  devto: 'dev_to', dev_to: 'dev_to', 'dev-to': 'dev_to',
  stackoverflow: 'stack_overflow', stack_overflow: 'stack_overflow', 'stack-overflow': 'stack_overflow',
  reddit: 'reddit',
  x: 'x', twitter: 'x',
  linkedin: 'linkedin',
  youtube: 'youtube', yt: 'youtube',
  google: 'search', bing: 'search', duckduckgo: 'search', ddg: 'search', kagi: 'search',
  facebook: 'social', fb: 'social', instagram: 'social', ig: 'social', threads: 'social', bluesky: 'social', bsky: 'social',
  mastodon: 'social', telegram: 'social', discord: 'social', tiktok: 'social', whatsapp: 'social',
  newsletter: 'email', email: 'email', mail: 'email',
};

const EMAIL_MEDIUMS: ReadonlySet<string> = new Set(['email', 'e-mail', 'e_mail', 'mail', 'newsletter']);
const SOCIAL_MEDIUMS: ReadonlySet<string> = new Set(['social', 'social-media', 'social_media', 'social-network', 'sm']);

export function classifyReferrer(referrer: string | null, utm: UtmInput): ReferrerInfo {
  const referrerDomain = referrerHost(referrer);

  const medium = utm.medium?.trim().toLowerCase() ?? '';
  if (EMAIL_MEDIUMS.has(medium)) return { referrer_domain: referrerDomain, channel: 'email' };
  if (referrerDomain !== '') return { referrer_domain: referrerDomain, channel: channelOfHost(referrerDomain) };

  const source = utm.source?.trim().toLowerCase() ?? '';
  if (source !== '') {
    const channel = SOURCE_CHANNELS[source] ?? (source.includes('.') ? channelOfHost(normaliseHost(source)) : undefined);
    if (channel !== undefined) return { referrer_domain: '', channel };
  }
  if (SOCIAL_MEDIUMS.has(medium)) return { referrer_domain: '', channel: 'social' };
  // Tagged, but with a source we cannot place: it still came from somewhere.
  if (source !== '') return { referrer_domain: '', channel: 'referral' };
  return { referrer_domain: '', channel: 'direct' };
}

/** The referrer's host, lower case, without "www." and the port; '' when absent or unparseable. */
function referrerHost(referrer: string | null): string {
  if (referrer === null || referrer.trim() === '') return '';
  let url: URL;
  try {
    url = new URL(referrer.trim());
  } catch {
    return '';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
  return normaliseHost(url.hostname);
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
}

function matchesDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function channelOfHost(host: string): Channel {
  for (const [channel, domains] of DOMAIN_CHANNELS) {
    if (domains.some((domain) => matchesDomain(host, domain))) return channel;
  }
  if (COUNTRY_SEARCH_ENGINE.test(host)) return 'search';
  return 'referral';
}
