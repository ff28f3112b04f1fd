import { describe, expect, it } from 'vitest';
import { can, PROFILE_ROLES, type ProfileAction } from './roles.js';

describe('roles on a profile', () => {
  it('grants each role exactly its actions', () => {
    const table = Object.fromEntries(PROFILE_ROLES.map((role) => [role, (['read', 'edit', 'export', 'manage', 'retention'] as ProfileAction[]).filter((action) => can(role, action))]));
    expect(table).toEqual({
      owner: ['read', 'edit', 'export', 'manage', 'retention'],
      editor: ['read', 'edit', 'export'],
      analyst: ['read', 'export'],
      viewer: ['read'],
    });
    expect(can(null, 'read')).toBe(false);
  });
});
