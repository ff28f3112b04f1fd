// The security audit log (security_audit_log, append-only). Each entry is written on its own, outside
// the request's transaction, so a failed request's rollback cannot erase the record of its failure.
// No raw IP: the client address is stored as a keyed hash (HASH_SECRET), enough to see that attempts
// came from one place, useless to anyone without the key.
import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import { requestIdOf } from '../../lib/http/request-context.js';

export type AuditAction =
  | 'auth.signup'
  | 'auth.login'
  | 'auth.logout'
  | 'auth.password_change'
  | 'auth.password_reset_request'
  | 'auth.password_reset'
  | 'auth.email_verify'
  | 'auth.two_factor'
  | 'auth.email_change'
  | 'auth.account_delete'
  | 'account.export_request'
  | 'account.export_download'
  | 'share.unlock'
  | 'token.create'
  | 'token.revoke'
  | 'rate_limit.block'
  | 'permission.denied'
  | 'asset.reject';

export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure' | 'denied';
  /** The signed-in user who acted, when known. */
  actorUserId?: string;
  /** What was acted on: a user, token or profile id, or a route. Never an email or a secret. */
  target?: string;
  details?: Record<string, string | number | boolean>;
}

export interface AuditLog {
  record(request: Request, entry: AuditEntry): Promise<void>;
}

export function createAuditLog(deps: { db: Database; hashSecret: string; logger: Logger }): AuditLog {
  const logger = deps.logger.child({ module: 'audit' });
  const hashAddress = (ip: string | undefined) => (ip ? createHmac('sha256', deps.hashSecret).update(`audit-ip:${ip}`).digest('hex').slice(0, 32) : null);
  return {
    async record(request, entry) {
      const auth = request.auth;
      const actor = entry.actorUserId ?? auth?.userId ?? null;
      try {
        await deps.db.query(
          `INSERT INTO security_audit_log (actor_user_id, action, target, outcome, request_id, ip_hash, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [actor, entry.action, entry.target?.slice(0, 200) ?? null, entry.outcome, requestIdOf(request), hashAddress(request.ip), entry.details ?? {}],
        );
      } catch (error) {
        // The request goes on: refusing a login because the audit insert failed would turn a logging
        // problem into an outage. The event is kept in the structured log instead.
        logger.error({ err: error, audit: { ...entry, actorUserId: actor } }, 'could not write the security audit log');
      }
    },
  };
}
