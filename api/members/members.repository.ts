// SQL for teams, always inside withUser(): Row-Level Security (migrations/0013_teams.sql) shows a
// member their profile's team and lets only the owner change it; the team's addresses come through
// profile_team(), which answers members only.
import type { Tx } from '../../lib/postgres/tenant.js';
import type { InvitableRole, ProfileRole } from '../../lib/profiles/roles.js';

export interface MemberRow {
  user_id: string;
  email: string;
  role: ProfileRole;
  joined_at: Date;
}

export interface InvitationRow {
  id: string;
  email: string;
  role: InvitableRole;
  created_at: Date;
  expires_at: Date;
}

export async function listTeam(tx: Tx, profileId: string): Promise<MemberRow[]> {
  return (await tx.query<MemberRow>('SELECT user_id, email, role, joined_at FROM profile_team($1)', [profileId])).rows;
}

export async function listInvitations(tx: Tx, profileId: string): Promise<InvitationRow[]> {
  const { rows } = await tx.query<InvitationRow>(
    'SELECT id, email, role, created_at, expires_at FROM profile_invitations WHERE profile_id = $1 AND expires_at > now() ORDER BY created_at',
    [profileId],
  );
  return rows;
}

/**
 * A new invitation, or the pending one to the same address renewed (new role, token and expiry). The
 * update names parameters, not EXCLUDED: reading EXCLUDED.token_hash would need SELECT on the hash.
 */
export async function upsertInvitation(
  tx: Tx,
  invitation: { profileId: string; email: string; role: InvitableRole; tokenHash: Buffer; invitedBy: string; expiresAt: Date },
): Promise<InvitationRow> {
  const { rows } = await tx.query<InvitationRow>(
    `INSERT INTO profile_invitations (profile_id, email, role, token_hash, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (profile_id, email) DO UPDATE
       SET role = $3, token_hash = $4, invited_by = $5, created_at = now(), expires_at = $6
     RETURNING id, email, role, created_at, expires_at`,
    [invitation.profileId, invitation.email, invitation.role, invitation.tokenHash, invitation.invitedBy, invitation.expiresAt],
  );
  return rows[0]!;
}

export async function deleteInvitation(tx: Tx, profileId: string, invitationId: string): Promise<boolean> {
  return (await tx.query('DELETE FROM profile_invitations WHERE profile_id = $1 AND id = $2', [profileId, invitationId])).rowCount === 1;
}

/** Pending invitations and members together: what the team size limit counts. */
export async function countSeats(tx: Tx, profileId: string): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM profile_team($1)) + (SELECT count(*) FROM profile_invitations WHERE profile_id = $1 AND expires_at > now()))::int AS n`,
    [profileId],
  );
  return rows[0]!.n;
}

export async function acceptInvitation(tx: Tx, tokenHash: Buffer, maxMembers: number): Promise<{ profile_id: string; role: ProfileRole; joined: boolean } | undefined> {
  const { rows } = await tx.query<{ profile_id: string; role: ProfileRole; joined: boolean }>('SELECT profile_id, role, joined FROM accept_profile_invitation($1, $2)', [
    tokenHash,
    maxMembers,
  ]);
  return rows[0];
}

export async function setMemberRole(tx: Tx, profileId: string, userId: string, role: InvitableRole): Promise<boolean> {
  return (await tx.query("UPDATE profile_members SET role = $3 WHERE profile_id = $1 AND user_id = $2 AND role <> 'owner'", [profileId, userId, role])).rowCount === 1;
}

export async function removeMember(tx: Tx, profileId: string, userId: string): Promise<boolean> {
  return (await tx.query("DELETE FROM profile_members WHERE profile_id = $1 AND user_id = $2 AND role <> 'owner'", [profileId, userId])).rowCount === 1;
}

export interface TransferRow {
  to_user_id: string;
  created_at: Date;
  expires_at: Date;
}

/** The live offer of the profile's ownership (the owner and the member it is for see it). */
export async function getTransfer(tx: Tx, profileId: string): Promise<TransferRow | undefined> {
  const { rows } = await tx.query<TransferRow>('SELECT to_user_id, created_at, expires_at FROM profile_transfers WHERE profile_id = $1 AND expires_at > now()', [profileId]);
  return rows[0];
}

/** Offers the ownership to a member, replacing an earlier offer. False: they are not a member (RLS's check). */
export async function offerTransfer(tx: Tx, transfer: { profileId: string; toUserId: string; requestedBy: string; expiresAt: Date }): Promise<TransferRow> {
  await tx.query('DELETE FROM profile_transfers WHERE profile_id = $1', [transfer.profileId]);
  const { rows } = await tx.query<TransferRow>(
    'INSERT INTO profile_transfers (profile_id, to_user_id, requested_by, expires_at) VALUES ($1, $2, $3, $4) RETURNING to_user_id, created_at, expires_at',
    [transfer.profileId, transfer.toUserId, transfer.requestedBy, transfer.expiresAt],
  );
  return rows[0]!;
}

/** Withdraws (owner) or declines (the member offered) the profile's offer. */
export async function deleteTransfer(tx: Tx, profileId: string): Promise<boolean> {
  return (await tx.query('DELETE FROM profile_transfers WHERE profile_id = $1', [profileId])).rowCount === 1;
}

export async function acceptTransfer(tx: Tx, profileId: string, maxOwned: number): Promise<boolean> {
  const { rows } = await tx.query<{ accepted: boolean }>('SELECT accept_profile_transfer($1, $2) AS accepted', [profileId, maxOwned]);
  return rows[0]!.accepted;
}
