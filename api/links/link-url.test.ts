import { describe, expect, it } from 'vitest';
import { parseLinkTarget } from './link-url.js';

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
});
