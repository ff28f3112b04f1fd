// Composition root of the scheduler role. Agenda jobs (GitHub sync, salt rotation, retention,
// asset sweep) arrive with their issues; the role already runs with its database dependency checked.
import type { Role } from '../lib/runtime/role.js';

export function createSchedulerRole(): Role {
  return { name: 'scheduler', routes: [] };
}
