import { describe, expect, it } from 'vitest';
import { checkSocialLink, documentedSocialUrlPattern, linkIconFor, socialHref, SOCIAL_NETWORKS } from './social-links.js';

describe('social links', () => {
  it('accepts an address on the network’s own hosts, subdomains included', () => {
    expect(checkSocialLink('github', 'https://github.com/octocat')).toEqual({ ok: true, url: 'https://github.com/octocat' });
    expect(checkSocialLink('linkedin', ' https://www.linkedin.com/in/ada ')).toMatchObject({ ok: true });
    expect(checkSocialLink('x', 'https://twitter.com/ada')).toMatchObject({ ok: true });
    expect(checkSocialLink('mastodon', 'https://hachyderm.io/@ada')).toMatchObject({ ok: true });
  });

  it('says what it expected when the address is elsewhere, not https, or not an address', () => {
    expect(checkSocialLink('github', 'https://youtube.com/@ada')).toEqual({ ok: false, reason: 'must be a github.com address, such as https://github.com/you' });
    expect(checkSocialLink('github', 'https://evilgithub.com/x')).toMatchObject({ ok: false });
    expect(checkSocialLink('website', 'http://ada.dev')).toEqual({ ok: false, reason: 'must be an https:// address, such as https://you.dev' });
    expect(checkSocialLink('website', 'javascript:alert(1)')).toMatchObject({ ok: false });
    expect(checkSocialLink('myspace', 'https://myspace.com/ada')).toMatchObject({ ok: false });
  });

  it('takes an email address with or without mailto: and links it with mailto:', () => {
    const checked = checkSocialLink('email', 'mailto:Ada@Example.com');
    expect(checked).toEqual({ ok: true, url: 'ada@example.com' });
    expect(socialHref({ network: 'email', url: 'ada@example.com' })).toBe('mailto:ada@example.com');
    expect(checkSocialLink('email', 'ada@example.com?bcc=x@y.z')).toMatchObject({ ok: false });
    expect(checkSocialLink('email', 'not an address')).toMatchObject({ ok: false });
    // Nothing that would add a Cc, a body or headers to the mailto: link.
    for (const smuggled of ['x?cc=spy%40evil.com&body=hi@example.com', 'a%0d%0abcc:x@example.com', 'a#b@example.com', 'a/b@example.com']) {
      expect(checkSocialLink('email', smuggled), smuggled).toMatchObject({ ok: false });
    }
    expect(checkSocialLink('email', "o'brien+links@example.com")).toMatchObject({ ok: true });
    expect(checkSocialLink('website', `https://ada.dev/${'x'.repeat(500)}`)).toEqual({ ok: false, reason: 'must be at most 500 characters' });
  });

  it('has an example for every network that its own check accepts', () => {
    for (const network of SOCIAL_NETWORKS) {
      expect(checkSocialLink(network.id, network.example.replace('…', 'x')), network.id).toMatchObject({ ok: true });
    }
  });

  it('documents for each network a pattern whose matches it always accepts', () => {
    const samples: Record<string, string[]> = {
      email: ['a@b.co', 'a1.b+c@x-y.example.org', `${'a'.repeat(20)}.${'b'.repeat(20)}@${'c'.repeat(20)}-${'d'.repeat(20)}-${'e'.repeat(20)}.${'f'.repeat(20)}`],
    };
    for (const network of SOCIAL_NETWORKS) {
      const pattern = new RegExp(documentedSocialUrlPattern(network.id));
      const host = 'hosts' in network ? network.hosts[0] : 'ada.dev';
      const candidates = samples[network.id] ?? [`https://${host}`, `https://${host}/`, `https://a-b.c.${host}/x/../._~-/${'y'.repeat(40)}`, `https://${'z'.repeat(20)}-0.${host}/0`];
      for (const candidate of candidates) {
        expect(pattern.test(candidate), `${network.id}: ${candidate} matches`).toBe(true);
        expect(checkSocialLink(network.id, candidate), `${network.id}: ${candidate}`).toMatchObject({ ok: true });
      }
      expect(pattern.test('javascript:alert(1)')).toBe(false);
    }
  });

  it('picks a link’s icon: the chosen one, else its host’s network, never on request', () => {
    expect(linkIconFor({ icon: null, url: 'https://www.youtube.com/watch?v=1' })).toBe('youtube');
    expect(linkIconFor({ icon: null, url: 'https://example.com' })).toBeNull();
    expect(linkIconFor({ icon: 'book', url: 'https://www.youtube.com/' })).toBe('book');
    expect(linkIconFor({ icon: 'none', url: 'https://www.youtube.com/' })).toBeNull();
  });
});
