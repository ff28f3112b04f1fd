// The tracker's behaviour, run in a sandbox with a stand-in browser: what it sends, when it sends
// nothing, how it tags the redirect of a click. (The real-browser check comes with the pages.)
import { gzipSync } from 'node:zlib';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { trackerScript } from './tracker-script.js';

interface Sent {
  endpoint: string;
  body: Record<string, unknown>;
}

function runTracker(options: { gpc?: boolean; dataset?: Record<string, string>; search?: string; referrer?: string; cookie?: string } = {}) {
  const sent: Sent[] = [];
  const replaced: string[] = [];
  const listeners: Record<string, ((event: unknown) => void)[]> = {};
  const link = {
    href: 'https://links.example.com/r/11111111-1111-4111-8111-111111111111',
    getAttribute: () => '11111111-1111-4111-8111-111111111111',
    getBoundingClientRect: () => ({ left: 100, top: 300, width: 200, height: 40 }),
  };
  const column = { getBoundingClientRect: () => ({ left: 100, top: 50, width: 400, height: 2000 }) };
  const sandbox = {
    document: {
      currentScript: { dataset: { profile: 'p-1', ...options.dataset } },
      referrer: options.referrer ?? '',
      cookie: options.cookie ?? '',
      querySelector: () => column,
      body: column,
      addEventListener: (type: string, listener: (event: unknown) => void) => (listeners[type] ??= []).push(listener),
    },
    navigator: {
      globalPrivacyControl: options.gpc ?? false,
      sendBeacon: (endpoint: string, body: string) => {
        sent.push({ endpoint, body: JSON.parse(body) as Record<string, unknown> });
        return true;
      },
    },
    location: { search: options.search ?? '', href: `https://links.example.com/@ada${options.search ?? ''}#links` },
    history: { state: null, replaceState: (_state: unknown, _title: string, url: string) => void replaced.push(url) },
    performance: { now: () => 1234 },
    crypto: { randomUUID: () => '22222222-2222-4222-8222-222222222222' },
    innerWidth: 390,
    innerHeight: 844,
    URL,
    URLSearchParams,
    JSON,
    Math,
    fetch: () => Promise.resolve(),
  };
  vm.runInNewContext(trackerScript().source, sandbox);
  const click = (event: Record<string, unknown>) => {
    for (const listener of listeners.click ?? []) listener({ target: { closest: () => link }, ...event });
  };
  return { sent, link, click, replaced };
}

describe('tracker', () => {
  it('is under 2 KB gzipped', () => {
    expect(gzipSync(trackerScript().source).length).toBeLessThan(2048);
    expect(trackerScript().cspHash).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
  });

  it('sends a view with the referrer, and the page URL only when it carries UTM parameters', () => {
    expect(runTracker({ referrer: 'https://news.ycombinator.com/item?id=1' }).sent).toEqual([
      { endpoint: '/e', body: { t: 'view', p: 'p-1', r: 'https://news.ycombinator.com/item?id=1' } },
    ]);
    const tagged = runTracker({ search: '?utm_source=newsletter' }).sent[0]!.body;
    expect(tagged.u).toBe('https://links.example.com/@ada?utm_source=newsletter#links');
  });

  it('passes on a QR scan (?trigger=qr): with the view, on the clicks of that visit, then takes it out of the address bar', () => {
    const scan = runTracker({ search: '?trigger=qr&utm_source=poster' });
    expect(scan.sent[0]!.body.u).toBe('https://links.example.com/@ada?trigger=qr&utm_source=poster#links');
    // A reload or a copied address is not another scan.
    expect(scan.replaced).toEqual(['/@ada?utm_source=poster#links']);
    scan.click({ clientX: 300, clientY: 350, detail: 1 });
    expect(Object.fromEntries(new URL(scan.link.href).searchParams)).toMatchObject({ trigger: 'qr', utm_source: 'poster' });

    const visit = runTracker({ search: '?triggered=qr' });
    expect(visit.sent[0]!.body.u).toBeUndefined();
    expect(visit.replaced).toEqual([]);
    visit.click({ clientX: 300, clientY: 350, detail: 1 });
    expect(new URL(visit.link.href).searchParams.has('trigger')).toBe(false);
  });

  it('sends nothing under Global Privacy Control when the creator honours it', () => {
    expect(runTracker({ gpc: true, dataset: { gpc: '1' } }).sent).toEqual([]);
    expect(runTracker({ gpc: true }).sent).toHaveLength(1);
  });

  it('marks the creator’s own visits as internal', () => {
    expect(runTracker({ dataset: { internal: '1' } }).sent[0]!.body.i).toBe(1);
  });

  it('recognises the creator’s browser by the owner cookie their dashboard sets, views and redirects alike', () => {
    const own = runTracker({ cookie: 'theme=dark; lp_owner=p-0.p-1' });
    own.click({ clientX: 300, clientY: 350, detail: 1 });
    expect(own.sent.map((sent) => sent.body.i)).toEqual([1, 1]);
    expect(new URL(own.link.href).searchParams.get('i')).toBe('1');
    // Another creator's marker, or a look-alike cookie name, leaves a visitor a visitor.
    for (const cookie of ['lp_owner=p-2', 'xlp_owner=p-1', 'lp_owner=p-10']) {
      const visitor = runTracker({ cookie });
      visitor.click({ clientX: 300, clientY: 350, detail: 1 });
      expect(visitor.sent.map((sent) => sent.body.i)).toEqual([undefined, undefined]);
      expect(new URL(visitor.link.href).searchParams.has('i')).toBe(false);
    }
  });

  it('sends a click with its position and tags the redirect with the same click id', () => {
    const tracker = runTracker({ referrer: 'https://github.com/ada/repo', search: '?utm_campaign=launch&x=1' });
    tracker.click({ clientX: 300, clientY: 350, detail: 1 });
    expect(tracker.sent[1]!.body).toEqual({
      t: 'click',
      p: 'p-1',
      l: '11111111-1111-4111-8111-111111111111',
      c: '22222222-2222-4222-8222-222222222222',
      x: 0.5,
      y: 300,
      vw: 390,
      vh: 844,
      ttc: 0,
    });
    const url = new URL(tracker.link.href);
    expect(Object.fromEntries(url.searchParams)).toEqual({ c: '22222222-2222-4222-8222-222222222222', ref: 'https://github.com', utm_campaign: 'launch' });
  });

  it('uses the link’s centre for keyboard activation', () => {
    const tracker = runTracker();
    tracker.click({ clientX: 0, clientY: 0, detail: 0 });
    expect(tracker.sent[1]!.body).toMatchObject({ x: 0.25, y: 270 });
  });
});
