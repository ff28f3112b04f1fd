import { describe, expect, it } from 'vitest';
import { createExportTokens, exportLinkUrl, exportTokenKey } from './account-export.js';

describe('export link secrets', () => {
  const tokens = createExportTokens(exportTokenKey('s'.repeat(40)));

  it('match only the secret they were minted with, under the key they were hashed with', () => {
    const { token, hash } = tokens.newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.matches(token, hash)).toBe(true);
    expect(tokens.matches(tokens.newToken().token, hash)).toBe(false);
    expect(createExportTokens(exportTokenKey('t'.repeat(40))).matches(token, hash)).toBe(false);
    for (const malformed of ['', `${token}x`, token.slice(1), `${token.slice(0, 42)}!`]) expect(tokens.matches(malformed, hash)).toBe(false);
  });

  it('are keyed apart from SESSION_SECRET itself', () => {
    expect(exportTokenKey('s'.repeat(40)).equals(Buffer.from('s'.repeat(40)))).toBe(false);
    expect(exportTokenKey('s'.repeat(40)).equals(exportTokenKey('s'.repeat(40)))).toBe(true);
  });

  it('travel in the fragment of a link to the settings page', () => {
    expect(exportLinkUrl('https://linkpulse.example', 'e1', 'abc')).toBe('https://linkpulse.example/dashboard/settings?export=e1#token=abc');
  });
});
