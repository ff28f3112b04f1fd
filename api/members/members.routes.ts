// /api/v1/profiles/:profileId/members and …/invitations: a profile's team; /api/v1/invitations/accept.
import { z } from 'zod';
import { INVITABLE_ROLES, PROFILE_ROLES, ROLE_DESCRIPTIONS } from '../../lib/profiles/roles.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Email, Id } from '../http/schemas.js';
import type { MembersService } from './members.service.js';

const Role = z.enum(PROFILE_ROLES);
const InvitableRole = z.enum(INVITABLE_ROLES).describe(INVITABLE_ROLES.map((role) => `${role}: ${ROLE_DESCRIPTIONS[role]}`).join('; '));
const Member = z.object({ userId: z.uuid(), email: z.string(), role: Role, joinedAt: z.iso.datetime() }).meta({ id: 'Member' });
const Invitation = z.object({ id: z.uuid(), email: z.string(), role: InvitableRole, createdAt: z.iso.datetime(), expiresAt: z.iso.datetime() }).meta({ id: 'Invitation' });
const Transfer = z
  .object({
    toUserId: z.uuid(),
    email: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().describe('The offer lapses then, unanswered'),
  })
  .meta({ id: 'OwnershipTransfer' });
const Team = z
  .object({
    role: Role.describe('Your role on the profile'),
    maxMembers: z.number().int().describe('The most people a team may have, the owner and pending invitations included'),
    members: z.array(Member).describe('The owner first, then by role and joining date'),
    invitations: z.array(Invitation).describe('Pending invitations (the owner sees them; others get an empty list)'),
    transfer: Transfer.nullable().describe('The pending offer of the ownership, for the owner and the member it is for (null for the others, or when there is none)'),
  })
  .meta({ id: 'Team' });

const ProfileParams = z.strictObject({ profileId: Id });

export function memberRoutes(service: MembersService): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/profiles/:profileId/members',
      operationId: 'listMembers',
      summary: 'The team of a profile you are a member of, and (for its owner) the pending invitations',
      tag: 'members',
      access: 'user',
      scope: 'profiles:read',
      params: ProfileParams,
      responses: { 200: { description: 'The team', schema: Team } },
      async handler({ auth, params }) {
        return { status: 200, body: await service.list(auth.userId, params.profileId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/invitations',
      operationId: 'inviteMember',
      summary: 'Invite someone by email (owner only); a new invitation to a pending address replaces it. The mail is sent after the answer',
      tag: 'members',
      access: 'user',
      scope: 'profiles:write',
      params: ProfileParams,
      body: z.strictObject({ email: Email.transform((email) => email.toLowerCase()), role: InvitableRole }),
      responses: { 201: { description: 'Invited: a mail with a link valid for 7 days is on its way', schema: Invitation } },
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.invite(auth.userId, params.profileId, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/profiles/:profileId/invitations/:invitationId',
      operationId: 'revokeInvitation',
      summary: 'Revoke a pending invitation (owner only): its link stops working',
      tag: 'members',
      access: 'user',
      scope: 'profiles:write',
      params: z.strictObject({ profileId: Id, invitationId: Id }),
      responses: { 204: { description: 'Revoked' } },
      async handler({ auth, params }) {
        await service.revoke(auth.userId, params.profileId, params.invitationId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/profiles/:profileId/members/:userId',
      operationId: 'setMemberRole',
      summary: 'Change a member’s role (owner only; the owner’s own role changes only by a transfer)',
      tag: 'members',
      access: 'user',
      scope: 'profiles:write',
      params: z.strictObject({ profileId: Id, userId: Id }),
      body: z.strictObject({ role: InvitableRole }),
      responses: { 204: { description: 'Changed' } },
      async handler({ auth, params, body }) {
        await service.setRole(auth.userId, params.profileId, params.userId, body.role);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/profiles/:profileId/members/:userId',
      operationId: 'removeMember',
      summary: 'Remove a member (owner only), or leave a team (your own user id)',
      tag: 'members',
      access: 'user',
      scope: 'profiles:write',
      params: z.strictObject({ profileId: Id, userId: Id }),
      responses: { 204: { description: 'Removed' } },
      // The owner asking to leave their own page.
      errors: ['CONFLICT'],
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.profileId, params.userId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/transfer',
      operationId: 'offerOwnership',
      summary:
        'Offer the ownership of the profile to a member (owner only; replaces an earlier offer). It takes effect when they accept it within 7 days; you then stay on the team as an editor',
      tag: 'members',
      access: 'session',
      params: ProfileParams,
      body: z.strictObject({ userId: Id.describe('The member (not yet the owner) to hand the profile to') }),
      responses: { 201: { description: 'Offered: the member is mailed and sees it on the Team tab', schema: Transfer } },
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.offerTransfer(auth.userId, params.profileId, body.userId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/profiles/:profileId/transfer',
      operationId: 'withdrawOwnershipOffer',
      summary: 'Withdraw the pending offer of the ownership (owner), or decline it (the member it is for)',
      tag: 'members',
      access: 'session',
      params: ProfileParams,
      responses: { 204: { description: 'Withdrawn or declined' } },
      errors: ['NOT_FOUND'],
      async handler({ auth, params }) {
        await service.withdrawTransfer(auth.userId, params.profileId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/transfer/accept',
      operationId: 'acceptOwnership',
      summary: 'Take the ownership offered to you: you become the owner, the previous owner an editor',
      tag: 'members',
      access: 'session',
      params: ProfileParams,
      responses: { 200: { description: 'You own the profile now', schema: z.object({ profileId: z.uuid(), role: z.literal('owner') }) } },
      errors: ['NOT_FOUND', 'CONFLICT'],
      async handler({ auth, params }) {
        return { status: 200, body: await service.acceptTransfer(auth.userId, params.profileId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/invitations/accept',
      operationId: 'acceptInvitation',
      summary: 'Join a team with the token from an invitation mail, signed in with the (confirmed) address it was sent to',
      tag: 'members',
      access: 'user',
      scope: 'profiles:write',
      body: z.strictObject({ token: z.string().min(1).max(200) }),
      responses: {
        200: {
          description: 'Joined (or already a member: joined is false and the role is the one you have)',
          schema: z.object({ profileId: z.uuid(), role: Role, joined: z.boolean() }),
        },
      },
      errors: ['NOT_FOUND'],
      async handler({ auth, body }) {
        return { status: 200, body: await service.accept(auth.userId, body.token) };
      },
    }),
  ];
}
