// The rules of teams: the owner invites by email (at most maxMembers people on a team, pending
// invitations counted), changes roles and removes members; a member may leave; an invitation is taken
// by the account whose confirmed address it was sent to. Row-Level Security enforces who may do what;
// the checks here answer with a clear 403 or 409 first.
import type pg from 'pg';
import { AppError, notFound } from '../../lib/errors.js';
import type { Mailer } from '../../lib/mail/mailer.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import type { InvitableRole, ProfileRole } from '../../lib/profiles/roles.js';
import { ownershipOfferMail, teamInvitationMail } from '../../lib/mail/account-mail.js';
import type { Credentials } from '../auth/credentials.js';
import { getProfile } from '../profiles/profiles.repository.js';
import { MAX_PROFILES, requireRole } from '../profiles/profiles.service.js';
import {
  acceptInvitation,
  acceptTransfer,
  countSeats,
  deleteInvitation,
  deleteTransfer,
  getTransfer,
  listInvitations,
  listTeam,
  offerTransfer,
  removeMember,
  setMemberRole,
  upsertInvitation,
  type TransferRow,
} from './members.repository.js';

export const INVITATION_TTL_DAYS = 7;
/** How long an offer of a profile's ownership waits for the member's answer. */
export const TRANSFER_TTL_DAYS = 7;

export interface Member {
  userId: string;
  email: string;
  role: ProfileRole;
  joinedAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: InvitableRole;
  createdAt: string;
  expiresAt: string;
}

const toInvitation = (row: { id: string; email: string; role: InvitableRole; created_at: Date; expires_at: Date }): Invitation => ({
  id: row.id,
  email: row.email,
  role: row.role,
  createdAt: row.created_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
});

/** A pending offer of the ownership, as the owner and the member it is for see it. */
export interface Transfer {
  toUserId: string;
  email: string;
  createdAt: string;
  expiresAt: string;
}

const toTransfer = (row: TransferRow, team: readonly { user_id: string; email: string }[]): Transfer => ({
  toUserId: row.to_user_id,
  email: team.find((member) => member.user_id === row.to_user_id)?.email ?? '',
  createdAt: row.created_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
});

const fieldError = (code: 'CONFLICT' | 'INVALID_INPUT', field: string, message: string) => new AppError(code, message, { details: { fields: [{ field, message }] } });

export function createMembersService(deps: { db: Database; credentials: Credentials; mailer: Mailer; publicUrl: string; maxMembers: number }) {
  const { db } = deps;
  const visibleProfile = async (tx: Parameters<typeof getProfile>[0], profileId: string) => {
    const profile = await getProfile(tx, profileId);
    if (!profile) throw notFound('No such profile');
    return profile;
  };

  return {
    maxMembers: deps.maxMembers,

    /** The team (every member sees it) and, for the owner, the pending invitations. */
    list: (userId: string, profileId: string) =>
      withUser(db, userId, async (tx) => {
        const profile = await visibleProfile(tx, profileId);
        const team = await listTeam(tx, profileId);
        const members = team.map((row): Member => ({ userId: row.user_id, email: row.email, role: row.role, joinedAt: row.joined_at.toISOString() }));
        const invitations = profile.role === 'owner' ? (await listInvitations(tx, profileId)).map(toInvitation) : [];
        // RLS shows the offer to the owner and to the member it is for only.
        const transfer = await getTransfer(tx, profileId);
        return { role: profile.role, maxMembers: deps.maxMembers, members, invitations, transfer: transfer ? toTransfer(transfer, team) : null };
      }),

    async invite(userId: string, profileId: string, input: { email: string; role: InvitableRole }): Promise<Invitation> {
      const { token, hash } = deps.credentials.newLinkToken('team-invitation');
      const { invitation, mail } = await withUser(db, userId, async (tx) => {
        const profile = await visibleProfile(tx, profileId);
        requireRole(profile, 'manage');
        const team = await listTeam(tx, profileId);
        if (team.some((member) => member.email.toLowerCase() === input.email)) throw fieldError('CONFLICT', 'body.email', 'is already on this team');
        const pending = (await listInvitations(tx, profileId)).some((candidate) => candidate.email === input.email);
        if (!pending && (await countSeats(tx, profileId)) >= deps.maxMembers) {
          throw new AppError('CONFLICT', `A team has at most ${deps.maxMembers} people, pending invitations included: revoke an invitation or remove a member first`);
        }
        const inviter = team.find((member) => member.user_id === userId)?.email ?? 'The owner';
        const row = await upsertInvitation(tx, { profileId, email: input.email, role: input.role, tokenHash: hash, invitedBy: userId, expiresAt: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000) });
        const mail = teamInvitationMail(input.email, {
          inviter,
          pageName: profile.display_name,
          handle: profile.handle,
          role: input.role,
          // The secret rides in the fragment: browsers never send it to a server or in a Referer.
          url: `${deps.publicUrl}/invitations/accept#token=${token}`,
          ttlDays: INVITATION_TTL_DAYS,
        });
        return { invitation: toInvitation(row), mail };
      });
      // After the commit: a mail for an invitation that was rolled back would lead nowhere.
      deps.mailer.deliverLater(mail);
      return invitation;
    },

    revoke: (userId: string, profileId: string, invitationId: string) =>
      withUser(db, userId, async (tx) => {
        requireRole(await visibleProfile(tx, profileId), 'manage');
        if (!(await deleteInvitation(tx, profileId, invitationId))) throw notFound('No such invitation');
      }),

    async accept(userId: string, token: string): Promise<{ profileId: string; role: ProfileRole; joined: boolean }> {
      const hash = deps.credentials.linkTokenHash('team-invitation', token);
      const refused = () =>
        notFound('This invitation cannot be used: it was used or revoked, it has expired, or it was sent to another address than your confirmed one. Ask the page’s owner for a new one.');
      if (!hash) throw refused();
      try {
        const accepted = await withUser(db, userId, (tx) => acceptInvitation(tx, hash, deps.maxMembers));
        if (!accepted) throw refused();
        return { profileId: accepted.profile_id, role: accepted.role, joined: accepted.joined };
      } catch (error) {
        if ((error as pg.DatabaseError).code === '23514' && (error as pg.DatabaseError).message === 'team_full') {
          throw new AppError('CONFLICT', `This team is full (${deps.maxMembers} people): ask the page’s owner to make room`);
        }
        throw error;
      }
    },

    setRole: (userId: string, profileId: string, memberId: string, role: InvitableRole) =>
      withUser(db, userId, async (tx) => {
        requireRole(await visibleProfile(tx, profileId), 'manage');
        if (!(await setMemberRole(tx, profileId, memberId, role))) throw notFound('No such member (the owner’s role changes only by a transfer)');
      }),

    /** The owner removes a member; a member removes themselves (leaves). The owner cannot leave their own page. */
    remove: (userId: string, profileId: string, memberId: string) =>
      withUser(db, userId, async (tx) => {
        const profile = await visibleProfile(tx, profileId);
        if (memberId === userId) {
          if (profile.role === 'owner') throw new AppError('CONFLICT', 'The owner cannot leave their own page: delete it, or transfer it first');
        } else {
          requireRole(profile, 'manage');
        }
        if (!(await removeMember(tx, profileId, memberId))) throw notFound('No such member');
      }),

    /** The owner offers the ownership to a member (replacing an earlier offer); the member is mailed after the commit. */
    async offerTransfer(userId: string, profileId: string, toUserId: string): Promise<Transfer> {
      const { transfer, mail } = await withUser(db, userId, async (tx) => {
        const profile = await visibleProfile(tx, profileId);
        requireRole(profile, 'manage');
        const team = await listTeam(tx, profileId);
        const member = team.find((candidate) => candidate.user_id === toUserId);
        if (!member) throw fieldError('CONFLICT', 'body.userId', 'is not on this team: invite them first');
        if (member.role === 'owner') throw fieldError('CONFLICT', 'body.userId', 'is the owner already');
        const row = await offerTransfer(tx, { profileId, toUserId, requestedBy: userId, expiresAt: new Date(Date.now() + TRANSFER_TTL_DAYS * 86_400_000) });
        const owner = team.find((candidate) => candidate.user_id === userId)?.email ?? 'The owner';
        const mail = ownershipOfferMail(member.email, {
          owner,
          pageName: profile.display_name,
          handle: profile.handle,
          url: `${deps.publicUrl}/dashboard/${profileId}/team`,
          ttlDays: TRANSFER_TTL_DAYS,
        });
        return { transfer: toTransfer(row, team), mail };
      });
      deps.mailer.deliverLater(mail);
      return transfer;
    },

    /** The owner withdraws the offer, or the member it is for declines it. */
    withdrawTransfer: (userId: string, profileId: string) =>
      withUser(db, userId, async (tx) => {
        await visibleProfile(tx, profileId);
        if (!(await deleteTransfer(tx, profileId))) throw notFound('No offer of this page’s ownership is pending for you');
      }),

    /** The member the ownership was offered to takes it: the old owner stays on as an editor. */
    async acceptTransfer(userId: string, profileId: string): Promise<{ profileId: string; role: 'owner' }> {
      try {
        const accepted = await withUser(db, userId, async (tx) => {
          await visibleProfile(tx, profileId);
          return acceptTransfer(tx, profileId, MAX_PROFILES);
        });
        if (!accepted) throw notFound('No offer of this page’s ownership is pending for you: it was withdrawn, declined or has expired');
        return { profileId, role: 'owner' };
      } catch (error) {
        if ((error as pg.DatabaseError).code === '23514' && (error as pg.DatabaseError).message === 'owner_limit') {
          throw new AppError('CONFLICT', `You own ${MAX_PROFILES} pages already, the most an account can: delete or hand over one first`);
        }
        throw error;
      }
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
