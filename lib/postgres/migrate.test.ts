import { describe, expect, it } from 'vitest';
import { scramVerifier } from './migrate.js';

describe('SCRAM verifiers', () => {
  it('match the RFC 7677 test vector shape and PostgreSQL format', () => {
    const verifier = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    // PostgreSQL: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>; values from RFC 7677.
    expect(verifier).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
  });

  it('salts every verifier differently', () => {
    expect(scramVerifier('same')).not.toBe(scramVerifier('same'));
  });
});
