// What each role on a profile may do (migrations/0013_teams.sql enforces the same in Row-Level
// Security, 0016 the retention in a trigger; the API checks first only to answer with a clear 403
// instead of a missing row).
export const PROFILE_ROLES = ['owner', 'editor', 'analyst', 'viewer'] as const;
export type ProfileRole = (typeof PROFILE_ROLES)[number];
/** The roles an invitation can give (ownership moves only by a transfer). */
export const INVITABLE_ROLES = ['editor', 'analyst', 'viewer'] as const;
export type InvitableRole = (typeof INVITABLE_ROLES)[number];

export type ProfileAction =
  /** See the profile, its links and its analytics dashboard. */
  | 'read'
  /** Change the profile, its look, links (and their A/B tests) and images; publish. */
  | 'edit'
  /** Download analytics (CSV, raw events). */
  | 'export'
  /** Invite, change roles, remove members, delete the profile. */
  | 'manage'
  /** Choose how long the profile's analytics are kept (a shorter time deletes data; migrations/0016 enforces it too). */
  | 'retention'
  /** Register webhook endpoints, see their deliveries, resend, rotate secrets (migrations/0018 enforces it too). */
  | 'webhooks';

const ALLOWED: Record<ProfileAction, readonly ProfileRole[]> = {
  read: PROFILE_ROLES,
  edit: ['owner', 'editor'],
  export: ['owner', 'editor', 'analyst'],
  manage: ['owner'],
  retention: ['owner'],
  webhooks: ['owner', 'editor'],
};

export const can = (role: ProfileRole | null | undefined, action: ProfileAction): boolean => role !== null && role !== undefined && ALLOWED[action].includes(role);

export const ROLE_DESCRIPTIONS: Record<ProfileRole, string> = {
  owner: 'Everything, including members and deleting the page',
  editor: 'The page, its look and its links; analytics',
  analyst: 'Analytics and exports; reads the page',
  viewer: 'Reads the page and its analytics dashboard',
};
