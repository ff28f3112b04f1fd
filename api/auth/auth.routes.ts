// /api/v1/auth/*: sign-up, login, logout, me, password change, account deletion.
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../lib/passwords/password-strength.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Email, NOT_BLANK } from '../http/schemas.js';
import { SCOPES } from './auth-context.js';
import { AppError } from '../../lib/errors.js';
import { EMAIL_CHANGE_TTL_HOURS, EMAIL_VERIFICATION_TTL_HOURS, PASSWORD_RESET_TTL_MINUTES, type AuthService, type NewSession } from './auth.service.js';
import type { KnownDevices } from './known-device.js';
import type { SessionCookie } from './session-cookie.js';

/** An authenticator code or a recovery code, as typed (spaces around it are dropped). */
const TwoFactorCode = z.string().trim().min(1).max(20).meta({ pattern: NOT_BLANK });

// The strength rule (lib/passwords/password-strength.ts) needs the account's email, so the service
// applies it; the schema checks the length.
const NewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `use at most ${MAX_PASSWORD_LENGTH} characters`)
  .describe(
    `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, and hard to guess: zxcvbn (common-password and English dictionaries) must score it 3 of 4 or more, ` +
      'and it may not contain the email address or the name before its @. Otherwise 400 INVALID_INPUT, whose message and details.fields entry say why ' +
      '(e.g. "This is a commonly used password. Add more words that are less common.").',
  );
const AnyPassword = z.string().min(1).max(MAX_PASSWORD_LENGTH);

export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(['creator', 'admin']),
    createdAt: z.iso.datetime(),
    emailVerifiedAt: z.iso.datetime().nullable().describe('When the address was confirmed by a mailed link; null until then'),
    twoFactorEnabled: z.boolean(),
  })
  .meta({ id: 'User' });

const SessionResponse = z
  .object({
    user: User,
    csrfToken: z.string().describe('Send in X-CSRF-Token with every state-changing request made with the session cookie'),
  })
  .meta({ id: 'Session' });

const NotSignedIn = z
  .object({ signedIn: z.literal(false).describe('Two-factor is on: a mailed link alone does not sign in; log in with the password and the code') })
  .meta({ id: 'NotSignedIn' });

const SecondFactorChallenge = z
  .object({
    twoFactorRequired: z.literal(true),
    challenge: z.string().describe('Send it with the code to POST /auth/login/two-factor'),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'SecondFactorChallenge' });

const PendingEmailChange = z
  .object({ newEmail: z.string(), currentConfirmed: z.boolean(), newConfirmed: z.boolean(), expiresAt: z.iso.datetime() })
  .meta({ id: 'PendingEmailChange' });
const EmailChangeOutcome = z
  .object({
    applied: z.boolean().describe('The address is now the new one'),
    confirmed: z.enum(['current', 'new']).describe('Which address this link was mailed to'),
    newEmail: z.string(),
  })
  .meta({ id: 'EmailChangeOutcome' });

const TwoFactorStatus = z.object({ enabled: z.boolean(), recoveryCodesLeft: z.number().int() }).meta({ id: 'TwoFactorStatus' });
const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()).describe('Each works once in place of a code; shown only now') });

const SessionSummary = z
  .object({
    id: z.uuid(),
    device: z.string().describe('The browser and system, as "Firefox on Linux"'),
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime().describe('Within 5 minutes'),
    current: z.boolean(),
  })
  .meta({ id: 'SessionSummary' });

const MeResponse = z.object({
  user: User,
  authenticatedWith: z.enum(['session', 'token']),
  csrfToken: z.string().optional(),
  scopes: z.array(z.enum(SCOPES)).optional(),
});

export function authRoutes(service: AuthService, cookie: SessionCookie, knownDevices: KnownDevices): RouteSpec[] {
  const sessionReply = (response: Parameters<SessionCookie['set']>[0], session: NewSession) => {
    cookie.set(response, session.token);
    return { status: 200, body: { user: session.user, csrfToken: session.csrfToken } };
  };
  /** A mailed link's answer: a session, or (two-factor on) word that logging in comes next. */
  const linkReply = (response: Parameters<SessionCookie['set']>[0], outcome: NewSession | { signedIn: false }) =>
    'signedIn' in outcome ? { status: 200, body: outcome } : sessionReply(response, outcome);
  return [
    defineRoute({
      method: 'post',
      path: '/auth/signup',
      operationId: 'signUp',
      summary:
        'Create an account and mail it a link to confirm its address (which also signs in). Answers the same whether or not the address is ' +
        'already registered; the owner of a registered address is mailed what to do instead (at most once an hour).',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ email: Email, password: NewPassword }),
      responses: { 202: { description: 'Accepted', schema: z.object({ message: z.string() }) } },
      async handler({ request, body }) {
        await service.signUp(request, body);
        return { status: 202, body: { message: `Check your inbox: we sent a mail to ${body.email.toLowerCase()} with what to do next.` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/login',
      operationId: 'logIn',
      summary:
        'Log in: sets a new session cookie and returns the CSRF token for it, and renews the known-device cookie (it lets this browser log in ' +
        'while strangers’ guesses slow the account down). Too many tries from one address (or device) for an account answer 429 with Retry-After.',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ email: Email, password: AnyPassword }),
      responses: { 200: { description: 'Signed in, or (two-factor on) the challenge for the second step', schema: z.union([SessionResponse, SecondFactorChallenge]) } },
      async handler({ request, response, body }) {
        const loggedIn = await service.logIn(request, body);
        if ('twoFactorRequired' in loggedIn) return { status: 200, body: loggedIn };
        const reply = sessionReply(response, loggedIn);
        knownDevices.set(response, loggedIn.knownDevice);
        return reply;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/login/two-factor',
      operationId: 'logInSecondFactor',
      summary:
        'The second step of a login with two-factor on: the challenge from POST /auth/login (valid 5 minutes) and a current 6-digit code from ' +
        'the authenticator app, or an unused recovery code (then used up). A wrong code answers 401 naming body.code; more than 10 wrong codes ' +
        'for an account in 15 minutes answer 429.',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ challenge: z.string().min(1).max(300), code: TwoFactorCode }),
      responses: { 200: { description: 'Signed in', schema: SessionResponse } },
      async handler({ request, response, body }) {
        const loggedIn = await service.logInSecondFactor(request, body);
        const reply = sessionReply(response, loggedIn);
        knownDevices.set(response, loggedIn.knownDevice);
        return reply;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/email-change',
      operationId: 'requestEmailChange',
      summary:
        `Start moving the account to another address (with the password): a link goes to each address, and the change applies when both are ` +
        `used, within ${EMAIL_CHANGE_TTL_HOURS} hours. Replaces a pending change. 400 naming body.newEmail when it is the current address.`,
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      body: z.strictObject({ newEmail: Email, password: AnyPassword }),
      responses: { 202: { description: 'Links sent', schema: z.object({ message: z.string() }) } },
      async handler({ request, auth, body }) {
        await service.requestEmailChange(request, auth.userId, body);
        return { status: 202, body: { message: `Check both inboxes: your current address and ${body.newEmail.toLowerCase()} each received a link. The change happens once both are confirmed.` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/email-change',
      operationId: 'getEmailChange',
      summary: 'The pending address change, if any, and which of its two addresses confirmed it',
      tag: 'auth',
      access: 'session',
      responses: { 200: { description: 'The pending change, or null', schema: z.object({ pending: PendingEmailChange.nullable() }) } },
      async handler({ auth }) {
        return { status: 200, body: { pending: await service.pendingEmailChange(auth.userId) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/auth/email-change',
      operationId: 'cancelEmailChange',
      summary: 'Cancel the pending address change: its links stop working. 404 when there is none.',
      tag: 'auth',
      access: 'session',
      errors: ['NOT_FOUND'],
      responses: { 204: { description: 'Cancelled' } },
      async handler({ request, auth }) {
        if (!(await service.cancelEmailChange(request, auth.userId))) throw new AppError('NOT_FOUND', 'There is no pending address change.');
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/email-change/confirm',
      operationId: 'confirmEmailChange',
      summary:
        'Confirm an address change with the token of one of its two links (no session needed). `applied` once both are confirmed. 404 for a ' +
        'link that is not live; 409 when another account took the new address meanwhile (nothing changes).',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ token: z.string().min(1).max(100) }),
      errors: ['NOT_FOUND'],
      responses: { 200: { description: 'Confirmed', schema: EmailChangeOutcome } },
      async handler({ request, body }) {
        return { status: 200, body: await service.confirmEmailChange(request, body) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/two-factor',
      operationId: 'getTwoFactor',
      summary: 'Whether two-factor authentication is on, and how many recovery codes are left',
      tag: 'auth',
      access: 'session',
      responses: { 200: { description: 'The state', schema: TwoFactorStatus } },
      async handler({ auth }) {
        return { status: 200, body: await service.twoFactorStatus(auth.userId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/two-factor/setup',
      operationId: 'setUpTwoFactor',
      summary:
        'Start turning two-factor on: a new secret for the authenticator app (and its otpauth:// address, for a QR code). Nothing changes at ' +
        'login until a code from it turns two-factor on. 409 when it is on already.',
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      errors: ['CONFLICT'],
      responses: { 200: { description: 'The pending secret', schema: z.object({ secret: z.string(), otpauthUrl: z.string() }) } },
      async handler({ auth }) {
        return { status: 200, body: await service.setUpTwoFactor(auth.userId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/two-factor/enable',
      operationId: 'enableTwoFactor',
      summary: 'Turn two-factor on with the account password and a current code from the new secret: the ten recovery codes, shown this once',
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      body: z.strictObject({ password: AnyPassword, code: TwoFactorCode }),
      responses: { 200: { description: 'On', schema: RecoveryCodes } },
      async handler({ request, auth, body }) {
        return { status: 200, body: { recoveryCodes: await service.enableTwoFactor(request, auth.userId, body) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/two-factor/disable',
      operationId: 'disableTwoFactor',
      summary: 'Turn two-factor off (with the account password); its recovery codes stop working',
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      body: z.strictObject({ password: AnyPassword }),
      responses: { 204: { description: 'Off' } },
      async handler({ request, auth, body }) {
        await service.disableTwoFactor(request, auth.userId, body);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/two-factor/recovery-codes',
      operationId: 'renewRecoveryCodes',
      summary: 'New recovery codes (with the account password); the old ones stop working. 409 when two-factor is off.',
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      body: z.strictObject({ password: AnyPassword }),
      responses: { 200: { description: 'The new codes, shown this once', schema: RecoveryCodes } },
      async handler({ request, auth, body }) {
        return { status: 200, body: { recoveryCodes: await service.renewRecoveryCodes(request, auth.userId, body) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/sessions',
      operationId: 'listSessions',
      summary: 'The account’s live sessions (browsers signed in), most recently used first; `current` is this one',
      tag: 'auth',
      access: 'session',
      responses: { 200: { description: 'The sessions', schema: z.object({ sessions: z.array(SessionSummary) }) } },
      async handler({ auth }) {
        return { status: 200, body: { sessions: await service.listSessions(auth) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/auth/sessions/:sessionId',
      operationId: 'revokeSession',
      summary: 'Log one session out (this one too: then the cookie is cleared). 404 when the account has no such live session.',
      tag: 'auth',
      access: 'session',
      params: z.strictObject({ sessionId: z.uuid() }),
      responses: { 204: { description: 'Logged out' } },
      async handler({ request, response, auth, params }) {
        if (!(await service.revokeSession(request, auth, params.sessionId))) throw new AppError('NOT_FOUND', 'No such session: it may have ended already.');
        if (params.sessionId === auth.sessionId) cookie.clear(response);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/sessions/revoke-others',
      operationId: 'revokeOtherSessions',
      summary: 'Log out everywhere else: every session of the account but this one ends',
      tag: 'auth',
      access: 'session',
      responses: { 200: { description: 'How many sessions ended', schema: z.object({ revoked: z.number().int() }) } },
      async handler({ request, auth }) {
        return { status: 200, body: { revoked: await service.revokeOtherSessions(request, auth) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/email-verification',
      operationId: 'requestEmailVerification',
      summary: `Mail the signed-in account a new link to confirm its address (valid ${EMAIL_VERIFICATION_TTL_HOURS} hours; at most 5 an hour, then 429). 409 when it is confirmed already.`,
      tag: 'auth',
      access: 'session',
      errors: ['CONFLICT'],
      responses: { 202: { description: 'Accepted', schema: z.object({ message: z.string() }) } },
      async handler({ request, auth }) {
        if (!(await service.requestEmailVerification(request, auth.userId))) throw new AppError('CONFLICT', 'Your address is confirmed already.');
        return { status: 202, body: { message: 'A new confirmation link is on its way to your address.' } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/email-verification/confirm',
      operationId: 'verifyEmail',
      summary:
        'Confirm an address with the token of a mailed link, and sign in (the session cookie is set), unless two-factor is on (then ' +
        '`signedIn: false`: log in with the code). Every earlier session and personal access token of the account ends (someone may have ' +
        'signed up with this address before its owner). A token that is unknown, expired, used, or for an address the account no longer has answers 404.',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ token: z.string().min(1).max(100) }),
      errors: ['NOT_FOUND'],
      responses: { 200: { description: 'Confirmed, and signed in unless two-factor is on', schema: z.union([SessionResponse, NotSignedIn]) } },
      async handler({ request, response, body }) {
        return linkReply(response, await service.verifyEmail(request, body));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password-reset',
      operationId: 'requestPasswordReset',
      summary:
        `Ask for a password reset link, mailed to the address if an account has it (valid ${PASSWORD_RESET_TTL_MINUTES} minutes, once; at most 5 an hour per account). ` +
        'Answers the same, at once, for any address.',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ email: Email }),
      responses: { 202: { description: 'Accepted', schema: z.object({ message: z.string() }) } },
      async handler({ request, body }) {
        // The answer goes first: waiting for the work an account's address causes would tell that it has one.
        service.requestPasswordResetLater(request, body);
        return { status: 202, body: { message: `If an account uses ${body.email}, a link to choose a new password is on its way. It works for ${PASSWORD_RESET_TTL_MINUTES} minutes.` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password-reset/confirm',
      operationId: 'resetPassword',
      summary:
        'Choose a new password with the token of a reset link: every session of the account (and a pending address change) ends, and a new ' +
        'session starts here (the session cookie is set), unless two-factor is on (then `signedIn: false`: log in with the new password and the code). ' +
        'A token that is unknown, expired or used answers 404; a new password the rule refuses, 400 naming body.newPassword.',
      tag: 'auth',
      access: 'public',
      credentialRoute: true,
      body: z.strictObject({ token: z.string().min(1).max(100), newPassword: NewPassword }),
      errors: ['NOT_FOUND'],
      responses: { 200: { description: 'Password changed, and signed in unless two-factor is on', schema: z.union([SessionResponse, NotSignedIn]) } },
      async handler({ request, response, body }) {
        return linkReply(response, await service.resetPassword(request, body));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      operationId: 'logOut',
      summary: 'Log out: revokes the session on the server and clears the cookie',
      tag: 'auth',
      access: 'session',
      responses: { 204: { description: 'Signed out' } },
      async handler({ request, response, auth }) {
        await service.logOut(request, auth);
        cookie.clear(response);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/me',
      operationId: 'getMe',
      summary: 'The signed-in account (and, for sessions, the CSRF token)',
      tag: 'auth',
      access: 'user',
      responses: { 200: { description: 'The caller', schema: MeResponse } },
      async handler({ auth }) {
        const user = await service.me(auth.userId);
        return {
          status: 200,
          body: auth.via === 'session' ? { user, authenticatedWith: 'session', csrfToken: auth.csrfToken } : { user, authenticatedWith: 'token', scopes: auth.scopes },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password',
      operationId: 'changePassword',
      summary: 'Change the password; signs out every other session and rotates this one',
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      body: z.strictObject({ currentPassword: AnyPassword, newPassword: NewPassword }),
      responses: { 200: { description: 'Changed; a new session cookie is set', schema: SessionResponse } },
      async handler({ request, response, auth, body }) {
        return sessionReply(response, await service.changePassword(request, auth.userId, body));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/auth/me',
      operationId: 'deleteAccount',
      summary: 'Delete the account with all its profiles, links, tokens and sessions; analytics rows are queued for erasure',
      tag: 'auth',
      access: 'session',
      credentialRoute: true,
      body: z.strictObject({ password: AnyPassword }),
      responses: { 204: { description: 'Deleted' } },
      async handler({ request, response, auth, body }) {
        await service.deleteAccount(request, auth.userId, body);
        cookie.clear(response);
        return { status: 204 };
      },
    }),
  ];
}
