// Composition root of the consumers role. The event pipeline (validate, bot filter, geo, device,
// write to ClickHouse) arrives with the event pipeline issue; until then this role starts no consume
// loop, because a consumer that read events it cannot store would commit them and lose them.
import type { Role } from '../lib/runtime/role.js';

export function createConsumersRole(): Role {
  return { name: 'consumers', routes: [] };
}
