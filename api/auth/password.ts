// Password hashing with scrypt (memory-hard, in Node's crypto: no native add-on to build or fetch).
// Parameters N = 2^15, r = 8, p = 3: one of the settings OWASP's Password Storage Cheat Sheet lists as
// equivalent to its scrypt minimum (N = 2^17, r = 8, p = 1), chosen because it needs 32 MiB per hash
// instead of 128 MiB, so concurrent logins on a small server stay bounded (libuv runs at most 4 at once).
// A 16-byte random salt and a 32-byte key, stored as scrypt$N$r$p$salt$key (base64url), so the
// parameters can be raised later while old hashes still verify. Time per hash: `npm run bench`.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, parameters: ScryptParameters, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { ...parameters, maxmem: 256 * parameters.N * parameters.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time comparison; false for a malformed stored hash. */
  verify(password: string, stored: string): Promise<boolean>;
}

export function createPasswordHasher(parameters: ScryptParameters = DEFAULT_SCRYPT): PasswordHasher {
  return {
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const key = await derive(password, salt, parameters, KEY_LENGTH);
      return `scrypt$${parameters.N}$${parameters.r}$${parameters.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
    },
    async verify(password, stored) {
      const [scheme, n, r, p, salt, key] = stored.split('$');
      if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
      const expected = Buffer.from(key, 'base64url');
      const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
