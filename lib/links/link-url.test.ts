import { describe, expect, it } from 'vitest';
import { seededRandom } from '../seeded-random.js';
import { DOCUMENTED_URL_MAX_LENGTH, DOCUMENTED_URL_PATTERN, MAX_URL_LENGTH, parseLinkTarget } from './link-url.js';

describe('link targets', () => {
  it.each([
    ['https://Example.COM:443/a b'.replace(' ', '%20'), 'https://example.com/a%20b'],
    ['http://example.com', 'http://example.com/'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
    ['  https://example.com/path?q=1#top  ', 'https://example.com/path?q=1#top'],
  ])('normalises %s', (input, expected) => {
    expect(parseLinkTarget(input)).toEqual({ ok: true, url: expected, github: undefined });
  });

  it.each([
    ['javascript:alert(1)', 'must use http or https'],
    ['JaVaScRiPt:alert(1)', 'must use http or https'],
    ['data:text/html,<script>alert(1)</script>', 'must use http or https'],
    ['file:///etc/passwd', 'must use http or https'],
    ['ftp://example.com/', 'must use http or https'],
    ['https://user:secret@example.com/', 'must not contain a user name or password'],
    ['https://user@example.com/', 'must not contain a user name or password'],
    ['//example.com/', 'must be an absolute URL such as https://example.com'],
    ['example.com', 'must be an absolute URL such as https://example.com'],
    ['https://exa mple.com/', 'must not contain spaces or control characters'],
    ['java\tscript:alert(1)', 'must not contain spaces or control characters'],
    [`https://example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('rejects %s', (input, reason) => {
    expect(parseLinkTarget(input)).toEqual({ ok: false, reason });
  });

  it('recognises GitHub repository home pages only', () => {
    expect(parseLinkTarget('https://github.com/nodejs/node')).toEqual({ ok: true, url: 'https://github.com/nodejs/node', github: { owner: 'nodejs', name: 'node' } });
    expect(parseLinkTarget('https://www.github.com/sveltejs/kit.git/')).toMatchObject({ github: { owner: 'sveltejs', name: 'kit' } });
    for (const other of ['https://github.com/nodejs', 'https://github.com/nodejs/node/issues', 'https://github.com/nodejs/node?tab=readme', 'https://gist.github.com/a/b', 'https://github.com/-bad/x', 'https://github.com:8443/nodejs/node']) {
      expect(parseLinkTarget(other)).toMatchObject({ ok: true, github: undefined });
    }
  });

  // The API document promises these: a client (or the fuzzer) generating from the pattern must
  // never be refused. Random URLs built from the pattern's parts, edges included.
  it('accepts every URL of the documented pattern, normalised within the limit', () => {
    const next = seededRandom(13);
    const pick = (alphabet: string, min: number, max: number) =>
      Array.from({ length: min + Math.floor(next() * (max - min + 1)) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const label = () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick('abcdefghijklmnopqrstuvwxyz0123456789', 1, 20)).join('-');
    const pathChars = "ABCxyz019._~!$&'()*+,;=:@%-";
    const pattern = new RegExp(DOCUMENTED_URL_PATTERN);
    for (let i = 0; i < 500; i++) {
      const host = [...Array.from({ length: Math.floor(next() * 3) }, label), label(), pick('abcdefghijklmnopqrstuvwxyz', 2, 63)].join('.');
      const port = next() < 0.3 ? `:${1 + Math.floor(next() * 9998)}` : '';
      const path = Array.from({ length: Math.floor(next() * 4) }, () => `/${pick(pathChars, 0, 30)}`).join('');
      const query = next() < 0.3 ? `?${pick("ABCxyz019._~!$&()*+,;=:@%/?-", 0, 30)}` : '';
      const fragment = next() < 0.3 ? `#${pick("ABCxyz019._~!$&'()*+,;=:@%/?-", 0, 30)}` : '';
      const url = `http${next() < 0.5 ? 's' : ''}://${host}${port}${path}${query}${fragment}`;
      expect(pattern.test(url), url).toBe(true);
      const target = parseLinkTarget(url);
      expect(target.ok, url).toBe(true);
    }
    // The longest a documented URL may be still fits once normalised (a "/" may be added).
    const longest = `https://a.bc?${'q'.repeat(DOCUMENTED_URL_MAX_LENGTH - 'https://a.bc?'.length)}`;
    expect(pattern.test(longest)).toBe(true);
    expect(parseLinkTarget(longest)).toMatchObject({ ok: true });
    expect((parseLinkTarget(longest) as { url: string }).url.length).toBe(MAX_URL_LENGTH);
  });
});

