// The rules of accounts: sign-up, login, logout, password change and reset, account deletion.
// Enumeration: sign-up answers the same whether or not the address is taken (a weak password is
// refused before anything is looked up), and login fails with one message whether the address is
// unknown or the password wrong. Both paths run the KDF exactly once (against a dummy hash for unknown
// addresses), and the login throttle counts per email address, not per account, so their timing and
// throttling match too. A password reset request answers the same, at once, for any address; the
// mail (if the address has an account) goes out after the answer.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type pg from 'pg';
import { AppError } from '../../lib/errors.js';
import { loadPasswordEstimator } from '../../lib/passwords/password-strength.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { SessionAuth, UserRole } from './auth-context.js';
import type { Cache } from '../../lib/cache/cache.js';
import type { Logger } from '../../lib/logger.js';
import type { Mailer } from '../../lib/mail/mailer.js';
import { emailChangedMail, emailChangeFromMail, emailChangeToMail, emailVerificationMail, passwordResetMail, signupWithExistingAccountMail } from '../../lib/mail/account-mail.js';
import {
  countEmailVerificationsSince,
  deleteCurrentUser,
  findLoginCandidate,
  findPasswordResetAccount,
  getCurrentUser,
  insertEmailVerification,
  insertSession,
  lockCurrentUser,
  insertUser,
  requestPasswordReset,
  listLiveSessions,
  revokeAllSessions,
  revokeLiveSession,
  revokeOtherSessions,
  revokeSession,
  type UserRow,
  updatePassword,
  useEmailVerification,
  usePasswordReset,
} from './auth.repository.js';
import type { Credentials } from './credentials.js';
import type { KnownDevices } from './known-device.js';
import type { TwoFactor } from './two-factor.js';
import { LoginBackoffError, type LoginAttempt, type LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password.js';
import { SESSION_TTL_MS } from './session-cookie.js';
import { summarizeUserAgent } from './user-agent.js';

export interface User {
  id: string;
  email: string;
  role: UserRole;
  createdAt: string;
  /** When the address was confirmed by a mailed link; null until then. */
  emailVerifiedAt: string | null;
  twoFactorEnabled: boolean;
}

export interface NewSession {
  token: string;
  csrfToken: string;
  user: User;
}

export interface LoggedIn extends NewSession {
  /** The known-device cookie's new value (known-device.ts). */
  knownDevice: string;
}

/** The password was right and the account has two-factor on: the code comes next, with this challenge. */
export interface SecondFactorNeeded {
  twoFactorRequired: true;
  challenge: string;
  expiresAt: string;
}

export interface AuthServiceDeps {
  db: Database;
  hasher: PasswordHasher;
  credentials: Credentials;
  audit: AuditLog;
  throttle: LoginThrottle;
  knownDevices: KnownDevices;
  twoFactor: TwoFactor;
  mailer: Mailer;
  logger: Logger;
  /** Remembers, for an hour, that an address's owner was told of a sign-up attempt (one such mail an hour). */
  cache: Cache;
  /** PUBLIC_URL: links in mails point here. */
  publicUrl: string;
  /** Drops cached public pages of these handles (their profiles are gone). */
  invalidateProfiles(handles: string[]): Promise<void>;
}

const LOGIN_FAILED = 'The email address or password is incorrect';
/** How long an address change waits for its two confirmations. */
export const EMAIL_CHANGE_TTL_HOURS = 48;
const EMAIL_CHANGES_PER_HOUR = 5;
const EMAIL_CHANGE_LINK_DEAD = 'This link has expired, was already used, or the change was cancelled. Ask for the change again in the settings.';

/** A pending address change as its owner sees it. */
export interface PendingEmailChange {
  newEmail: string;
  currentConfirmed: boolean;
  newConfirmed: boolean;
  expiresAt: string;
}

/** How the use of an address change link ended: the change done, or waiting for the other address. */
export interface EmailChangeOutcome {
  applied: boolean;
  /** Which address this link was mailed to. */
  confirmed: 'current' | 'new';
  newEmail: string;
}

/** How long the second step of a two-factor login may take, and how many wrong codes an account may send in 15 minutes. */
const SECOND_FACTOR_TTL_MS = 5 * 60_000;
const SECOND_FACTOR_FAILURES = 10;
/** How long a password reset link works. */
export const PASSWORD_RESET_TTL_MINUTES = 60;
const RESET_LINK_DEAD = 'This reset link has expired or was already used. Ask for a new one below.';
/** How long an address confirmation link works, and how many an account may be sent an hour. */
export const EMAIL_VERIFICATION_TTL_HOURS = 48;
const EMAIL_VERIFICATIONS_PER_HOUR = 5;
const VERIFICATION_LINK_DEAD = 'This confirmation link has expired, was already used, or is for an address the account no longer has. Log in and ask for a new one in the settings.';

/** A mailed link whose token is not live (unknown, expired, used): there is nothing at that address any more. */
const deadLink = (message: string) => new AppError('NOT_FOUND', message);

const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as pg.DatabaseError | undefined)?.code === '23505' && (error as pg.DatabaseError).constraint === constraint;

export function createAuthService(deps: AuthServiceDeps) {
  const { db, hasher, credentials, audit, throttle, knownDevices } = deps;
  // Verified against when the address is unknown, so an unknown address costs one KDF run too.
  const dummyHash = hasher.hash(randomBytes(16).toString('hex'));

  const startSession = async (request: Request, userId: string): Promise<NewSession> => {
    const { token, hash } = credentials.newSessionToken();
    return withUser(db, userId, async (tx) => {
      // Rotation: the session the browser came with (if it was this user's) ends here.
      if (request.auth?.via === 'session' && request.auth.userId === userId) await revokeSession(tx, request.auth.sessionId);
      const sessionId = await insertSession(tx, {
        userId,
        tokenHash: hash,
        userAgent: summarizeUserAgent(request.headers['user-agent']),
        expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      });
      const user = await getCurrentUser(tx);
      return { token, csrfToken: credentials.csrfTokenFor(sessionId), user: toUser(user!) };
    });
  };

  const verifyCurrentPassword = async (request: Request, userId: string, password: string, action: 'auth.password_change' | 'auth.account_delete' | 'auth.two_factor' | 'auth.email_change') => {
    const user = await withUser(db, userId, getCurrentUser);
    if (!user || !(await hasher.verify(password, user.password_hash))) {
      await audit.record(request, { action, outcome: 'failure', target: userId, details: { reason: 'wrong-password' } });
      // Named as the field it came in: the form marks it there.
      const field = action === 'auth.password_change' ? 'body.currentPassword' : 'body.password';
      throw new AppError('AUTH_FAILED', 'The current password is incorrect', { details: { fields: [{ field, message: 'This is not your current password: type it again.' }] } });
    }
    return user;
  };

  /** The password rule (lib/passwords): INVALID_INPUT naming the field and saying why. */
  const requireStrongPassword = async (password: string, email: string, field: string) => {
    const strength = (await loadPasswordEstimator())(password, email);
    if (!strength.isAcceptable) {
      throw new AppError('INVALID_INPUT', `Choose a stronger password: ${strength.feedback}`, {
        details: { reason: 'weak_password', fields: [{ field, message: strength.feedback }] },
      });
    }
  };

  return {
    async signUp(request: Request, input: { email: string; password: string }): Promise<void> {
      await requireStrongPassword(input.password, input.email, 'body.password');
      const passwordHash = await hasher.hash(input.password);
      const id = randomUUID();
      const { token, hash } = credentials.newLinkToken('email-verification');
      try {
        await withUser(db, id, async (tx) => {
          await insertUser(tx, { id, email: input.email, passwordHash });
          await insertEmailVerification(tx, { userId: id, email: input.email, tokenHash: hash, expiresAt: new Date(Date.now() + EMAIL_VERIFICATION_TTL_HOURS * 3_600_000) });
        });
        await audit.record(request, { action: 'auth.signup', outcome: 'success', actorUserId: id, target: id });
        deps.mailer.deliverLater(emailVerificationMail(input.email, `${deps.publicUrl}/verify-email#token=${token}`, EMAIL_VERIFICATION_TTL_HOURS));
      } catch (error) {
        if (!isUniqueViolation(error, 'users_email_key')) throw error;
        await audit.record(request, { action: 'auth.signup', outcome: 'failure', details: { reason: 'email-taken' } });
        // The owner hears of it, at most once an hour (a mailbox cannot be flooded through this form).
        if (await deps.cache.add(`signup-taken:${credentials.opaqueKey(input.email.toLowerCase())}`, '1', 3_600)) deps.mailer.deliverLater(signupWithExistingAccountMail(input.email, `${deps.publicUrl}/login`));
      }
    },

    async logIn(request: Request, input: { email: string; password: string }): Promise<LoggedIn | SecondFactorNeeded> {
      // Looked up first: a known-device cookie is checked against the account's id.
      const candidate = await findLoginCandidate(db, input.email);
      const deviceCookie = knownDevices.read(request);
      const attempt: LoginAttempt = {
        email: input.email,
        ip: request.ip ?? 'unknown',
        deviceId: candidate ? knownDevices.recognize(deviceCookie, candidate.userId) : undefined,
      };
      try {
        await throttle.admit(attempt);
      } catch (error) {
        if (error instanceof LoginBackoffError) {
          await audit.record(request, { action: 'rate_limit.block', outcome: 'denied', target: 'POST /auth/login', details: { reason: 'login-backoff', backoff: error.backoff } });
        }
        throw error;
      }
      const valid = await hasher.verify(input.password, candidate?.passwordHash ?? (await dummyHash));
      if (!candidate || !valid) {
        await throttle.recordFailure(attempt);
        await audit.record(request, {
          action: 'auth.login',
          outcome: 'failure',
          ...(candidate ? { target: candidate.userId } : {}),
          details: { reason: candidate ? 'wrong-password' : 'unknown-email' },
        });
        throw new AppError('AUTH_FAILED', LOGIN_FAILED);
      }
      await throttle.recordSuccess(attempt);
      if (await deps.twoFactor.isEnabled(candidate.userId)) {
        const expiresAt = Date.now() + SECOND_FACTOR_TTL_MS;
        return { twoFactorRequired: true, challenge: credentials.twoFactorChallenge(candidate.userId, expiresAt), expiresAt: new Date(expiresAt).toISOString() };
      }
      const session = await startSession(request, candidate.userId);
      await audit.record(request, { action: 'auth.login', outcome: 'success', actorUserId: candidate.userId, target: candidate.userId });
      return { ...session, knownDevice: knownDevices.renew(deviceCookie, candidate.userId) };
    },

    /** The second step of a two-factor login: a current code from the app, or a recovery code. */
    async logInSecondFactor(request: Request, input: { challenge: string; code: string }): Promise<LoggedIn> {
      const userId = credentials.readTwoFactorChallenge(input.challenge, Date.now());
      if (!userId) throw new AppError('AUTH_FAILED', 'This sign-in took too long or was not started here. Log in again.');
      // Only wrong codes count (the owner's right ones never lock them out), checked before each try.
      const failuresKey = `2fa-failures:${credentials.opaqueKey(userId)}`;
      if (Number((await deps.cache.get(failuresKey)) ?? 0) >= SECOND_FACTOR_FAILURES) {
        await audit.record(request, { action: 'rate_limit.block', outcome: 'denied', target: 'POST /auth/login/two-factor', details: { reason: 'second-factor-failures' } });
        throw new AppError('RATE_LIMIT', 'Too many wrong codes. Wait 15 minutes, or use a recovery code after that.', { retryAfterSeconds: 15 * 60 });
      }
      const method = await deps.twoFactor.verifyLogin(userId, input.code);
      if (!method) {
        await deps.cache.increment(failuresKey, 15 * 60_000);
        await audit.record(request, { action: 'auth.login', outcome: 'failure', target: userId, details: { reason: 'wrong-second-factor' } });
        const message = 'That code is not right. Enter the 6 digits your app shows now, or one of your recovery codes.';
        throw new AppError('AUTH_FAILED', message, { details: { fields: [{ field: 'body.code', message }] } });
      }
      const session = await startSession(request, userId);
      await audit.record(request, { action: 'auth.login', outcome: 'success', actorUserId: userId, target: userId, details: { secondFactor: method } });
      return { ...session, knownDevice: knownDevices.renew(knownDevices.read(request), userId) };
    },

    async listSessions(auth: SessionAuth): Promise<SessionSummary[]> {
      const rows = await withUser(db, auth.userId, listLiveSessions);
      return rows.map((row) => ({
        id: row.id,
        device: row.user_agent ?? 'Unknown device',
        createdAt: row.created_at.toISOString(),
        lastSeenAt: (row.last_seen_at ?? row.created_at).toISOString(),
        current: row.id === auth.sessionId,
      }));
    },

    /** Ends one of the account's sessions (this one too, if named): false when it has no such live session. */
    async revokeSession(request: Request, auth: SessionAuth, sessionId: string): Promise<boolean> {
      const revoked = await withUser(db, auth.userId, (tx) => revokeLiveSession(tx, sessionId));
      if (revoked) await audit.record(request, { action: 'auth.logout', outcome: 'success', target: auth.userId, details: { scope: sessionId === auth.sessionId ? 'this' : 'one' } });
      return revoked;
    },

    /** "Log out everywhere else": every session but this one ends. */
    async revokeOtherSessions(request: Request, auth: SessionAuth): Promise<number> {
      const count = await withUser(db, auth.userId, async (tx) => {
        // Whoever else was signed in may have started moving the account away: that ends too.
        await tx.query('DELETE FROM email_changes');
        return revokeOtherSessions(tx, auth.sessionId);
      });
      await audit.record(request, { action: 'auth.logout', outcome: 'success', target: auth.userId, details: { scope: 'others', sessions: count } });
      return count;
    },

    /**
     * Starts moving the account to another address (with the password): a link to each address; the
     * change applies when both are used. Replaces a pending change.
     */
    async requestEmailChange(request: Request, userId: string, input: { newEmail: string; password: string }): Promise<void> {
      const user = await verifyCurrentPassword(request, userId, input.password, 'auth.email_change');
      // Each request mails an address of the requester's choosing: a few an hour per account.
      if ((await deps.cache.increment(`email-change:${credentials.opaqueKey(userId)}`, 3_600_000)).count > EMAIL_CHANGES_PER_HOUR) {
        throw new AppError('RATE_LIMIT', `${EMAIL_CHANGES_PER_HOUR} address changes were asked for in the last hour. Try again later.`, { retryAfterSeconds: 3_600 });
      }
      if (user.email.toLowerCase() === input.newEmail.toLowerCase()) {
        const message = 'That is the address of your account already.';
        throw new AppError('INVALID_INPUT', message, { details: { fields: [{ field: 'body.newEmail', message }] } });
      }
      const current = credentials.newLinkToken('email-change');
      const next = credentials.newLinkToken('email-change');
      await withUser(db, userId, async (tx) => {
        await tx.query('DELETE FROM email_changes');
        await tx.query(
          "INSERT INTO email_changes (user_id, old_email, new_email, old_token_hash, new_token_hash, expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))",
          [userId, user.email, input.newEmail, current.hash, next.hash, EMAIL_CHANGE_TTL_HOURS],
        );
      });
      await audit.record(request, { action: 'auth.email_change', outcome: 'success', target: userId, details: { step: 'requested' } });
      const link = (token: string) => `${deps.publicUrl}/confirm-email-change#token=${token}`;
      deps.mailer.deliverLater(emailChangeFromMail(user.email, input.newEmail, link(current.token), EMAIL_CHANGE_TTL_HOURS));
      deps.mailer.deliverLater(emailChangeToMail(input.newEmail, link(next.token), EMAIL_CHANGE_TTL_HOURS));
    },

    async pendingEmailChange(userId: string): Promise<PendingEmailChange | null> {
      return withUser(db, userId, async (tx) => {
        const { rows } = await tx.query<{ new_email: string; old_confirmed_at: Date | null; new_confirmed_at: Date | null; expires_at: Date }>(
          'SELECT new_email, old_confirmed_at, new_confirmed_at, expires_at FROM email_changes WHERE expires_at > now()',
        );
        const row = rows[0];
        return row ? { newEmail: row.new_email, currentConfirmed: row.old_confirmed_at !== null, newConfirmed: row.new_confirmed_at !== null, expiresAt: row.expires_at.toISOString() } : null;
      });
    },

    async cancelEmailChange(request: Request, userId: string): Promise<boolean> {
      const { rowCount } = await withUser(db, userId, (tx) => tx.query('DELETE FROM email_changes'));
      if (rowCount) await audit.record(request, { action: 'auth.email_change', outcome: 'success', target: userId, details: { step: 'cancelled' } });
      return Boolean(rowCount);
    },

    /** Uses one of an address change's links: done when the other was used already. */
    async confirmEmailChange(request: Request, input: { token: string }): Promise<EmailChangeOutcome> {
      const hash = credentials.linkTokenHash('email-change', input.token);
      if (!hash) throw deadLink(EMAIL_CHANGE_LINK_DEAD);
      type Row = { user_id: string; side: 'old' | 'new'; applied: boolean; old_email: string; new_email: string };
      let row: Row | undefined;
      try {
        row = (await db.query<Row>('SELECT * FROM auth_confirm_email_change($1)', [hash])).rows[0];
      } catch (error) {
        if (!isUniqueViolation(error, 'users_email_key')) throw error;
        throw new AppError('CONFLICT', 'Another account took this address in the meantime, so the address stays as it was.');
      }
      if (!row) throw deadLink(EMAIL_CHANGE_LINK_DEAD);
      if (row.applied) {
        await audit.record(request, { action: 'auth.email_change', outcome: 'success', target: row.user_id, details: { step: 'applied' } });
        deps.mailer.deliverLater(emailChangedMail(row.old_email, row.new_email, `${deps.publicUrl}/forgot-password`));
      }
      return { applied: row.applied, confirmed: row.side === 'old' ? 'current' : 'new', newEmail: row.new_email };
    },

    twoFactorStatus: (userId: string) => deps.twoFactor.status(userId),

    async setUpTwoFactor(userId: string): Promise<{ secret: string; otpauthUrl: string }> {
      const user = await withUser(db, userId, getCurrentUser);
      return deps.twoFactor.setUp(userId, user!.email);
    },

    /** Two-factor on (the password and a code from the pending secret): the recovery codes, shown once. */
    async enableTwoFactor(request: Request, userId: string, input: { password: string; code: string }): Promise<string[]> {
      await verifyCurrentPassword(request, userId, input.password, 'auth.two_factor');
      const codes = await deps.twoFactor.enable(userId, input.code);
      await audit.record(request, { action: 'auth.two_factor', outcome: 'success', target: userId, details: { change: 'enable' } });
      return codes;
    },

    async disableTwoFactor(request: Request, userId: string, input: { password: string }): Promise<void> {
      await verifyCurrentPassword(request, userId, input.password, 'auth.two_factor');
      await deps.twoFactor.disable(userId);
      await audit.record(request, { action: 'auth.two_factor', outcome: 'success', target: userId, details: { change: 'disable' } });
    },

    async renewRecoveryCodes(request: Request, userId: string, input: { password: string }): Promise<string[]> {
      await verifyCurrentPassword(request, userId, input.password, 'auth.two_factor');
      const codes = await deps.twoFactor.renewRecoveryCodes(userId);
      await audit.record(request, { action: 'auth.two_factor', outcome: 'success', target: userId, details: { change: 'recovery-codes' } });
      return codes;
    },

    async logOut(request: Request, session: SessionAuth): Promise<void> {
      await withUser(db, session.userId, (tx) => revokeSession(tx, session.sessionId));
      await audit.record(request, { action: 'auth.logout', outcome: 'success', target: session.userId });
    },

    async me(userId: string): Promise<User> {
      const user = await withUser(db, userId, getCurrentUser);
      if (!user) throw new AppError('UNAUTHORIZED', 'The account no longer exists');
      return toUser(user);
    },

    /** Changes the password, ends every session (other devices included) and starts a new one here. */
    async changePassword(request: Request, userId: string, input: { currentPassword: string; newPassword: string }): Promise<NewSession> {
      const user = await verifyCurrentPassword(request, userId, input.currentPassword, 'auth.password_change');
      await requireStrongPassword(input.newPassword, user.email, 'body.newPassword');
      const passwordHash = await hasher.hash(input.newPassword);
      await withUser(db, userId, async (tx) => {
        await updatePassword(tx, passwordHash);
        await revokeAllSessions(tx);
        // A new password is the answer to a suspected intrusion: a pending address change ends with it.
        await tx.query('DELETE FROM email_changes');
      });
      await audit.record(request, { action: 'auth.password_change', outcome: 'success', target: userId });
      return startSession(request, userId);
    },

    /**
     * Mails the signed-in account a new link to confirm its address (at most 5 an hour): false when the
     * address is confirmed already.
     */
    async requestEmailVerification(request: Request, userId: string): Promise<boolean> {
      const { token, hash } = credentials.newLinkToken('email-verification');
      const address = await withUser(db, userId, async (tx) => {
        await lockCurrentUser(tx);
        const user = await getCurrentUser(tx);
        if (!user || user.email_verified_at) return undefined;
        if ((await countEmailVerificationsSince(tx, new Date(Date.now() - 3_600_000))) >= EMAIL_VERIFICATIONS_PER_HOUR) {
          throw new AppError('RATE_LIMIT', `${EMAIL_VERIFICATIONS_PER_HOUR} confirmation mails were sent in the last hour. Use the newest one, or try again later.`, { retryAfterSeconds: 3_600 });
        }
        await insertEmailVerification(tx, { userId, email: user.email, tokenHash: hash, expiresAt: new Date(Date.now() + EMAIL_VERIFICATION_TTL_HOURS * 3_600_000) });
        return user.email;
      });
      if (!address) return false;
      deps.mailer.deliverLater(emailVerificationMail(address, `${deps.publicUrl}/verify-email#token=${token}`, EMAIL_VERIFICATION_TTL_HOURS));
      return true;
    },

    /**
     * Confirms the address a live link was sent to, and signs in, unless two-factor is on (the link
     * alone is then not enough). Whatever was signed in before the address was proven (sessions,
     * personal access tokens: someone may have signed up with another's address first) is ended.
     */
    async verifyEmail(request: Request, input: { token: string }): Promise<NewSession | { signedIn: false }> {
      const hash = credentials.linkTokenHash('email-verification', input.token);
      const userId = hash && (await useEmailVerification(db, hash));
      if (!userId) throw deadLink(VERIFICATION_LINK_DEAD);
      await withUser(db, userId, async (tx) => {
        await revokeAllSessions(tx);
        await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL');
      });
      await audit.record(request, { action: 'auth.email_verify', outcome: 'success', target: userId });
      if (await deps.twoFactor.isEnabled(userId)) return { signedIn: false };
      return startSession(request, userId);
    },

    /**
     * requestPasswordReset after the answer: its database work and mail happen only for an address with
     * an account, so waiting for them would tell by the time taken that it has one. A failure is logged.
     */
    requestPasswordResetLater(request: Request, input: { email: string }): void {
      void this.requestPasswordReset(request, input).catch((error: unknown) => deps.logger.error({ err: error }, 'password reset request failed'));
    },

    /** Mails a reset link if an account has this address; the caller answers the same either way. */
    async requestPasswordReset(request: Request, input: { email: string }): Promise<void> {
      const { token, hash } = credentials.newLinkToken('password-reset');
      const account = await requestPasswordReset(db, input.email, hash, PASSWORD_RESET_TTL_MINUTES * 60);
      if (!account) return;
      await audit.record(request, { action: 'auth.password_reset_request', outcome: 'success', target: account.userId });
      const url = `${deps.publicUrl}/reset-password#token=${token}`;
      deps.mailer.deliverLater(passwordResetMail(account.email, url, PASSWORD_RESET_TTL_MINUTES));
    },

    /**
     * Sets a new password with a live reset link, ends every session of the account (and a pending
     * address change), and starts a new session unless two-factor is on.
     */
    async resetPassword(request: Request, input: { token: string; newPassword: string }): Promise<NewSession | { signedIn: false }> {
      const hash = credentials.linkTokenHash('password-reset', input.token);
      const account = hash && (await findPasswordResetAccount(db, hash));
      if (!hash || !account) throw deadLink(RESET_LINK_DEAD);
      await requireStrongPassword(input.newPassword, account.email, 'body.newPassword');
      const passwordHash = await hasher.hash(input.newPassword);
      const changed = await withUser(db, account.userId, async (tx) => {
        // Used inside the change's transaction: a second request with the same link finds it used.
        if ((await usePasswordReset(tx, hash)) !== account.userId) return false;
        await updatePassword(tx, passwordHash);
        await revokeAllSessions(tx);
        await tx.query('DELETE FROM email_changes');
        return true;
      });
      if (!changed) throw deadLink(RESET_LINK_DEAD);
      await audit.record(request, { action: 'auth.password_reset', outcome: 'success', target: account.userId });
      // With two-factor on, the mailbox alone must not open the account: log in with the code next.
      if (await deps.twoFactor.isEnabled(account.userId)) return { signedIn: false };
      return startSession(request, account.userId);
    },

    /**
     * Deletes the account with its profiles, links, sessions and tokens. Analytics rows of its
     * profiles are queued for erasure in the same transaction (analytics_erasures, by trigger).
     */
    async deleteAccount(request: Request, userId: string, input: { password: string }): Promise<void> {
      await verifyCurrentPassword(request, userId, input.password, 'auth.account_delete');
      const handles = await withUser(db, userId, deleteCurrentUser);
      await audit.record(request, { action: 'auth.account_delete', outcome: 'success', target: userId, details: { profiles: handles.length } });
      await deps.invalidateProfiles(handles);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    createdAt: row.created_at.toISOString(),
    emailVerifiedAt: row.email_verified_at?.toISOString() ?? null,
    twoFactorEnabled: row.two_factor_enabled,
  };
}

/** A session as its owner sees it in the list. */
export interface SessionSummary {
  id: string;
  device: string;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}
