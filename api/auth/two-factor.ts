// Two-factor authentication: a time-based code from an authenticator app (TOTP, RFC 6238, otplib;
// 6 digits, 30 s, one step of clock drift either way), or one of ten single-use recovery codes.
// The secret is pending until a code from it turns two-factor on (so a mistyped setup never locks
// anyone out), stored sealed (credentials.sealSecret), and a code is accepted once (its time step is
// remembered). Everything runs as the account, through RLS.
import { randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { AppError } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser, type Tx } from '../../lib/postgres/tenant.js';
import type { Credentials } from './credentials.js';

const RECOVERY_CODES = 10;
/** Recovery code characters: no 0/o, 1/l/i to misread. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const TOTP_CODE = /^\d{6}$/;

export interface TwoFactorStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}

export function createTwoFactor(deps: { db: Database; credentials: Credentials; issuer: string }) {
  const { db, credentials } = deps;

  const newRecoveryCodes = async (tx: Tx, userId: string): Promise<string[]> => {
    const codes = Array.from({ length: RECOVERY_CODES }, () => {
      const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
      return `${chars.slice(0, 5)}-${chars.slice(5)}`;
    });
    await tx.query('DELETE FROM recovery_codes');
    for (const code of codes) await tx.query('INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)', [userId, credentials.recoveryCodeHash(code)]);
    return codes;
  };

  /** A code from the secret, after the last one accepted: its time step, or undefined. */
  const checkTotp = async (secret: string, code: string, lastTimeStep: number | null): Promise<number | undefined> => {
    const result = await verify({ secret, token: code, epochTolerance: 30, ...(lastTimeStep === null ? {} : { afterTimeStep: lastTimeStep }) });
    // otplib's result type covers HOTP too; a TOTP match carries its time step.
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  };

  return {
    async status(userId: string): Promise<TwoFactorStatus> {
      return withUser(db, userId, async (tx) => {
        const { rows } = await tx.query<{ enabled: boolean; left: number }>(
          `SELECT EXISTS (SELECT 1 FROM user_totp WHERE confirmed_at IS NOT NULL) AS enabled,
                  (SELECT count(*)::int FROM recovery_codes WHERE used_at IS NULL) AS left`,
        );
        return { enabled: rows[0]!.enabled, recoveryCodesLeft: rows[0]!.enabled ? rows[0]!.left : 0 };
      });
    },

    /** A new pending secret (replacing an earlier pending one) and its otpauth:// address for a QR code. */
    async setUp(userId: string, email: string): Promise<{ secret: string; otpauthUrl: string }> {
      const secret = generateSecret();
      await withUser(db, userId, async (tx) => {
        const { rows } = await tx.query<{ confirmed_at: Date | null }>('SELECT confirmed_at FROM user_totp FOR UPDATE');
        if (rows[0]?.confirmed_at) throw new AppError('CONFLICT', 'Two-factor authentication is on already. Turn it off first to move it to another app.');
        await tx.query('DELETE FROM user_totp');
        await tx.query('INSERT INTO user_totp (user_id, secret_encrypted) VALUES ($1, $2)', [userId, credentials.sealSecret(secret)]);
      });
      return { secret, otpauthUrl: generateURI({ issuer: deps.issuer, label: email, secret }) };
    },

    /** Turns two-factor on with a code from the pending secret: the recovery codes, shown once. */
    async enable(userId: string, code: string): Promise<string[]> {
      return withUser(db, userId, async (tx) => {
        const { rows } = await tx.query<{ secret_encrypted: Buffer; confirmed_at: Date | null }>('SELECT secret_encrypted, confirmed_at FROM user_totp FOR UPDATE');
        const row = rows[0];
        if (!row) throw new AppError('CONFLICT', 'Start the setup first: it gives the code to add to your authenticator app.');
        if (row.confirmed_at) throw new AppError('CONFLICT', 'Two-factor authentication is on already.');
        const step = TOTP_CODE.test(code) ? await checkTotp(credentials.openSecret(row.secret_encrypted), code, null) : undefined;
        if (step === undefined) throw invalidCode('That code is not right. Enter the 6 digits your app shows now.');
        await tx.query('UPDATE user_totp SET confirmed_at = now(), last_time_step = $1', [step]);
        return newRecoveryCodes(tx, userId);
      });
    },

    async disable(userId: string): Promise<void> {
      await withUser(db, userId, async (tx) => {
        await tx.query('DELETE FROM user_totp');
        await tx.query('DELETE FROM recovery_codes');
      });
    },

    /** New recovery codes (the old ones stop working), with two-factor on. */
    async renewRecoveryCodes(userId: string): Promise<string[]> {
      return withUser(db, userId, async (tx) => {
        const { rows } = await tx.query('SELECT 1 FROM user_totp WHERE confirmed_at IS NOT NULL');
        if (rows.length === 0) throw new AppError('CONFLICT', 'Two-factor authentication is off: there are no recovery codes to renew.');
        return newRecoveryCodes(tx, userId);
      });
    },

    async isEnabled(userId: string): Promise<boolean> {
      return (await this.status(userId)).enabled;
    },

    /** The second step of a login: a current code (once) or an unused recovery code (then used). */
    async verifyLogin(userId: string, code: string): Promise<'totp' | 'recovery-code' | undefined> {
      return withUser(db, userId, async (tx) => {
        const { rows } = await tx.query<{ secret_encrypted: Buffer; last_time_step: string | null }>(
          'SELECT secret_encrypted, last_time_step FROM user_totp WHERE confirmed_at IS NOT NULL FOR UPDATE',
        );
        const row = rows[0];
        if (!row) return undefined;
        const trimmed = code.replace(/\s/g, '');
        if (TOTP_CODE.test(trimmed)) {
          const step = await checkTotp(credentials.openSecret(row.secret_encrypted), trimmed, row.last_time_step === null ? null : Number(row.last_time_step));
          if (step === undefined) return undefined;
          await tx.query('UPDATE user_totp SET last_time_step = $1', [step]);
          return 'totp';
        }
        const used = await tx.query('UPDATE recovery_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL', [credentials.recoveryCodeHash(trimmed)]);
        return used.rowCount === 1 ? 'recovery-code' : undefined;
      });
    },
  };
}

export type TwoFactor = ReturnType<typeof createTwoFactor>;

const invalidCode = (message: string) => new AppError('INVALID_INPUT', message, { details: { fields: [{ field: 'body.code', message }] } });
