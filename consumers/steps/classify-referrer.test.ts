import { describe, expect, it } from 'vitest';
import type { Channel } from '../../lib/events/analytics-row.js';
import { classifyReferrer, type UtmInput } from './classify-referrer.step.js';

const NO_UTM: UtmInput = { source: null, medium: null };

describe('classifyReferrer', () => {
  it.each<[string, string, Channel]>([
    ['https://github.com', 'github.com', 'github'],
    ['https://github.com/octocat/hello-world/blob/main/README.md', 'github.com', 'github'],
    ['https://gist.github.com/octocat/6cad326836d38bd3a7ae', 'gist.github.com', 'github'],
    ['https://octocat.github.io/', 'octocat.github.io', 'referral'], // someone's own site, hosted on GitHub Pages
    ['https://www.npmjs.com/package/linkpulse', 'npmjs.com', 'npm'],
    ['https://news.ycombinator.com/item?id=40000000', 'news.ycombinator.com', 'hacker_news'],
    ['https://dev.to/someone/my-post-1a2b', 'dev.to', 'dev_to'],
    ['https://stackoverflow.com/questions/1/how', 'stackoverflow.com', 'stack_overflow'],
    ['https://unix.stackexchange.com/questions/2', 'unix.stackexchange.com', 'stack_overflow'],
    ['https://www.reddit.com/r/programming/comments/abc', 'reddit.com', 'reddit'],
    ['https://old.reddit.com/r/node', 'old.reddit.com', 'reddit'],
    ['https://out.reddit.com/t3_abc', 'out.reddit.com', 'reddit'],
    ['https://t.co/AbCdEf', 't.co', 'x'],
    ['https://x.com/someone/status/1', 'x.com', 'x'],
    ['https://twitter.com/someone', 'twitter.com', 'x'],
    ['https://www.linkedin.com/feed/', 'linkedin.com', 'linkedin'],
    ['https://lnkd.in/abc', 'lnkd.in', 'linkedin'],
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'youtube.com', 'youtube'],
    ['https://youtu.be/dQw4w9WgXcQ', 'youtu.be', 'youtube'],
    ['https://www.google.com/', 'google.com', 'search'],
    ['https://www.google.co.uk/', 'google.co.uk', 'search'],
    ['https://www.google.com.au/', 'google.com.au', 'search'],
    ['https://www.google.de/', 'google.de', 'search'],
    ['https://www.bing.com/search?q=linkpulse', 'bing.com', 'search'],
    ['https://duckduckgo.com/', 'duckduckgo.com', 'search'],
    ['https://search.yahoo.com/', 'search.yahoo.com', 'search'],
    ['https://uk.search.yahoo.com/', 'uk.search.yahoo.com', 'search'],
    ['https://yandex.ru/', 'yandex.ru', 'search'],
    ['https://www.baidu.com/', 'baidu.com', 'search'],
    ['https://www.ecosia.org/', 'ecosia.org', 'search'],
    ['https://search.brave.com/', 'search.brave.com', 'search'],
    ['https://kagi.com/', 'kagi.com', 'search'],
    ['https://docs.google.com/document/d/1', 'docs.google.com', 'referral'], // Google, but not its search
    ['https://mail.google.com/', 'mail.google.com', 'email'],
    ['https://outlook.live.com/', 'outlook.live.com', 'email'],
    ['https://l.facebook.com/', 'l.facebook.com', 'social'],
    ['https://www.instagram.com/', 'instagram.com', 'social'],
    ['https://t.me/somechannel', 't.me', 'social'],
    ['https://bsky.app/profile/someone', 'bsky.app', 'social'],
    ['https://www.threads.net/@someone', 'threads.net', 'social'],
    ['https://mastodon.social/@someone', 'mastodon.social', 'social'],
    ['https://hachyderm.io/@someone', 'hachyderm.io', 'social'],
    ['https://blog.example.org/2024/03/my-setup', 'blog.example.org', 'referral'],
    ['https://WWW.Example.COM:8443/', 'example.com', 'referral'],
  ])('%s → %s (%s)', (referrer, domain, channel) => {
    expect(classifyReferrer(referrer, NO_UTM)).toEqual({ referrer_domain: domain, channel });
  });

  it('keeps only the host: no path, query, fragment, credentials or port', () => {
    const result = classifyReferrer('https://alice:secret@www.example.com:8080/private/page?token=abc#section', NO_UTM);
    expect(result).toEqual({ referrer_domain: 'example.com', channel: 'referral' });
  });

  it.each([null, '', '   ', 'not a url', 'javascript:alert(1)', 'file:///etc/passwd', 'android-app://com.google.android.gm/'])(
    'treats %j as no referrer: direct',
    (referrer) => {
      expect(classifyReferrer(referrer, NO_UTM)).toEqual({ referrer_domain: '', channel: 'direct' });
    },
  );

  it.each<[string, Channel]>([
    ['github', 'github'],
    ['GitHub', 'github'],
    ['npm', 'npm'],
    ['hn', 'hacker_news'],
    ['devto', 'dev_to'],
    ['stackoverflow', 'stack_overflow'],
    ['reddit', 'reddit'],
    ['twitter', 'x'],
    ['linkedin', 'linkedin'],
    ['youtube', 'youtube'],
    ['google', 'search'],
    ['instagram', 'social'],
    ['newsletter', 'email'],
    ['news.ycombinator.com', 'hacker_news'],
    ['www.github.com', 'github'],
    ['my-podcast', 'referral'], // tagged, so it came from somewhere, but nowhere we can name
  ])('without a referrer, utm_source=%s → %s', (source, channel) => {
    expect(classifyReferrer(null, { source, medium: null })).toEqual({ referrer_domain: '', channel });
  });

  it('prefers the referrer to utm_source when both are present', () => {
    expect(classifyReferrer('https://news.ycombinator.com', { source: 'github', medium: null })).toEqual({
      referrer_domain: 'news.ycombinator.com',
      channel: 'hacker_news',
    });
  });

  it('counts utm_medium=email as email whatever the referrer, keeping the referrer domain', () => {
    expect(classifyReferrer(null, { source: 'buttondown', medium: 'email' })).toEqual({ referrer_domain: '', channel: 'email' });
    expect(classifyReferrer('https://mail.proton.me', { source: null, medium: 'Email' })).toEqual({ referrer_domain: 'mail.proton.me', channel: 'email' });
    expect(classifyReferrer('https://github.com', { source: 'github', medium: 'newsletter' })).toEqual({ referrer_domain: 'github.com', channel: 'email' });
  });

  it('uses utm_medium=social when there is no referrer and the source names no channel', () => {
    expect(classifyReferrer(null, { source: 'some-forum', medium: 'social' })).toEqual({ referrer_domain: '', channel: 'social' });
    expect(classifyReferrer(null, { source: null, medium: 'social' })).toEqual({ referrer_domain: '', channel: 'social' });
  });
});
