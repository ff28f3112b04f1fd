// The public profile page over HTTP, from a whole process (ingest, api, dashboard on embedded
// defaults): server-rendered HTML with no script but the tracker, links through /r/<id>, Open
// Graph and canonical tags, a strict CSP, CDN caching headers, 404 for unknown handles, and the
// short /:handle form redirected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { startSite, type Site } from '../server/testing/site.js';

let site: Site;
let creator: ApiClient;
let profile: { id: string; handle: string };
let links: { id: string }[];

beforeAll(async () => {
  site = await startSite('public-page', ['ingest', 'api', 'dashboard']);
  creator = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
  profile = await creator.newProfile({ published: true, bio: 'Building <things> & tools', accentColor: '#0f766e', theme: 'dark' });
  links = [
    await creator.newLink(profile.id, { title: 'My blog', url: 'https://example.com/blog' }),
    await creator.newLink(profile.id, { title: 'Linkpulse', url: 'https://github.com/linkpulse/linkpulse' }),
  ];
}, 120_000);
afterAll(async () => {
  await site?.stop();
});

describe('the public profile page', () => {
  it('renders the profile on the server, with the tracker as its only script', async () => {
    const response = await fetch(`${site.origin}/@${profile.handle}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    // Escaped: the creator's text never becomes markup.
    expect(html).toContain('Building &lt;things');
    expect(html).not.toContain('<things>');
    expect(html).toContain(`href="/r/${links[0]!.id}"`);
    expect(html).toContain(`data-lp-link="${links[0]!.id}"`);
    expect(html).toContain('data-lp-content');
    expect(html).toContain('aria-label="linkpulse/linkpulse on GitHub"');
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(new RegExp(`^<script src="/t\\.js\\?v=[0-9a-f]{16}" data-profile="${profile.id}" data-gpc="1" defer>$`));
    expect(html).toContain(`<link rel="canonical" href="${site.origin}/@${profile.handle}"`);
    expect(html).toContain('<meta property="og:title"');
    expect(html).toContain('<meta name="twitter:card" content="summary_large_image"');
    expect(html).toMatch(/class="page theme-dark[ "]/);
  });

  it('sends a strict CSP and caching a CDN can follow', async () => {
    const response = await fetch(`${site.origin}/@${profile.handle}`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    // A card is still waiting for GitHub (no scheduler here): the page stays fresh only briefly.
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=0, s-maxage=\d+, stale-while-revalidate=\d+$/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Weak on a compressed copy (fetch accepts gzip and br): a strong tag names one representation's bytes.
    expect(response.headers.get('etag')).toMatch(/^W\/"/);
  });

  it('revalidates with 304, without a policy that would replace the cached page’s (browsers merge a 304’s headers)', async () => {
    const first = await fetch(`${site.origin}/@${profile.handle}`);
    const again = await fetch(`${site.origin}/@${profile.handle}`, { headers: { 'If-None-Match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('content-security-policy')).toBeNull();
    expect(again.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the theme and accent colour as a stylesheet and the tracker as a versioned script', async () => {
    const theme = await fetch(`${site.origin}/@${profile.handle}/theme.css`);
    expect(theme.headers.get('content-type')).toMatch(/^text\/css/);
    const css = await theme.text();
    expect(css).toMatch(/^:root\{[^{}]+\}\n$/);
    expect(css).toContain('--accent:#0f766e;--on-accent:#ffffff');
    expect(css).toContain('--lp-dark-background:#0d1117');
    const html = await (await fetch(`${site.origin}/@${profile.handle}`)).text();
    const src = /<script src="([^"]+)"/.exec(html)![1]!;
    const tracker = await fetch(`${site.origin}${src}`);
    expect(tracker.status).toBe(200);
    expect(tracker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(tracker.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await tracker.text()).toContain('sendBeacon');
  });

  it('serves the build’s scripts precompressed to a browser that accepts it, and plain to one that does not', async () => {
    // The public page runs no app script; the login page loads the app's.
    const html = await (await fetch(`${site.origin}/login`)).text();
    const script = /(\/_app\/immutable\/[^"]+\.js)"/.exec(html)![1]!;
    const plain = await fetch(`${site.origin}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const source = await plain.text();
    for (const [accepted, encoding] of [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
    ] as const) {
      // fetch decodes the body by its Content-Encoding: the same script, smaller on the wire.
      const compressed = await fetch(`${site.origin}${script}`, { headers: { 'accept-encoding': accepted } });
      expect(compressed.headers.get('content-encoding'), accepted).toBe(encoding);
      expect(compressed.headers.get('content-type')).toBe('text/javascript; charset=UTF-8');
      expect(compressed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(compressed.headers.get('vary')).toBe('Accept-Encoding');
      expect(await compressed.text()).toBe(source);
    }
  });

  it('serves the page prepared once per version: the same page in every encoding, HEAD without a body, and the next version right after an edit', async () => {
    const url = `${site.origin}/@${profile.handle}`;
    const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const html = await plain.text();
    for (const encoding of ['br', 'gzip']) {
      const compressed = await fetch(url, { headers: { 'accept-encoding': encoding } });
      expect(compressed.headers.get('content-encoding')).toBe(encoding);
      expect(compressed.headers.get('vary')).toBe('Accept-Encoding');
      expect(compressed.headers.get('content-security-policy')).toBe(plain.headers.get('content-security-policy'));
      expect(await compressed.text()).toBe(html);
    }
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(`W/${plain.headers.get('etag')}`);
    expect(await head.text()).toBe('');

    expect((await creator.patch(`/api/v1/profiles/${profile.id}`, { displayName: 'Renamed at once' })).status).toBe(200);
    const edited = await fetch(url);
    expect(edited.headers.get('etag')).not.toBe(plain.headers.get('etag'));
    expect(await edited.text()).toContain('Renamed at once');
    const held = await fetch(url, { headers: { 'If-None-Match': plain.headers.get('etag')! } });
    expect(held.status).toBe(200);
  });

  it('draws the page’s theme, social icons and link icons, and serves its Open Graph image at a URL that changes with it', async () => {
    const styled = await creator.newProfile({
      published: true,
      displayName: 'Ada Themed',
      pageTheme: 'aurora',
      socialLinks: [
        { network: 'github', url: 'https://github.com/ada' },
        { network: 'email', url: 'ada@example.com' },
      ],
    });
    await creator.newLink(styled.id, { title: 'Talk video', url: 'https://www.youtube.com/watch?v=1' });
    await creator.newLink(styled.id, { title: 'Slides', url: 'https://example.com/slides', icon: 'book' });
    const html = await (await fetch(`${site.origin}/@${styled.handle}`)).text();
    expect(html).toContain('aria-label="GitHub"');
    expect(html).toContain('href="mailto:ada@example.com"');
    expect(html).toContain('rel="me noopener"');
    // The YouTube link wears YouTube's mark (found from its host), the slides the chosen book.
    expect((html.match(/class="icon/g) ?? []).length).toBe(2);
    expect(await (await fetch(`${site.origin}/@${styled.handle}/theme.css`)).text()).toContain('--lp-light-background:linear-gradient(160deg, #3730a3, #9d174d)');

    const image = new RegExp(`<meta property="og:image" content="${site.origin}(/og/${styled.handle}/[0-9a-f]{32}\\.png)"`).exec(html)?.[1];
    expect(image).toBeDefined();
    const png = await fetch(`${site.origin}${image}`);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    // 1200 × 630, from the IHDR chunk.
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1200, 630]);
    // Stored: the second answer is the same picture.
    expect(Buffer.from(await (await fetch(`${site.origin}${image}`)).arrayBuffer()).equals(bytes)).toBe(true);

    expect((await creator.patch(`/api/v1/profiles/${styled.id}`, { bio: 'Now with a bio' })).status).toBe(200);
    const changed = new RegExp(`<meta property="og:image" content="${site.origin}(/og/[^"]+)"`).exec(await (await fetch(`${site.origin}/@${styled.handle}`)).text())?.[1];
    expect(changed).not.toBe(image);
    // The old URL (shared before the change) leads to the current picture.
    const old = await fetch(`${site.origin}${image}`, { redirect: 'manual' });
    expect({ status: old.status, location: old.headers.get('location') }).toEqual({ status: 302, location: changed });
    // Drawn and stored in the old one's place: one picture per profile, however often it changes.
    expect((await fetch(`${site.origin}${changed}`)).status).toBe(200);
    const stored: string[] = [];
    for await (const object of site.running.platform.storage!.list(`og/${styled.id}/`)) stored.push(object.key);
    expect(stored).toEqual([`og/${styled.id}/${changed!.split('/').pop()}`]);
    expect((await fetch(`${site.origin}/og/no-such-handle/${'0'.repeat(32)}.png`)).status).toBe(404);
    expect((await fetch(`${site.origin}/og/${styled.handle}/../../etc/passwd`)).status).toBe(404);
  });

  it('answers 404 for unknown and unpublished handles, and redirects the short and the mixed-case forms', async () => {
    expect((await fetch(`${site.origin}/@no-such-handle`)).status).toBe(404);
    const hidden = await creator.newProfile({ published: false });
    const unpublished = await fetch(`${site.origin}/@${hidden.handle}`);
    expect(unpublished.status).toBe(404);
    expect(await unpublished.text()).toContain('Nothing here');
    const short = await fetch(`${site.origin}/${profile.handle}`, { redirect: 'manual' });
    expect({ status: short.status, location: short.headers.get('location') }).toEqual({ status: 301, location: `/@${profile.handle}` });
    const mixed = await fetch(`${site.origin}/@${profile.handle.toUpperCase()}`, { redirect: 'manual' });
    expect({ status: mixed.status, location: mixed.headers.get('location') }).toEqual({ status: 301, location: `/@${profile.handle}` });
  });
});
