// Composition root of the ingest role: the tracking beacon (POST /e) and the redirect (GET /r/:linkId)
// arrive with the event pipeline issue. Until then the role serves its health endpoints and checks
// that the bus it will publish to is ready.
import type { Role } from '../lib/runtime/role.js';

export function createIngestRole(): Role {
  return { name: 'ingest', routes: [] };
}
