// What each role (ingest, api, consumers, scheduler, dashboard) gives the runtime: HTTP routes to
// mount and its background work's lifecycle. Readiness covers the backends the platform started
// for the role (server/platform.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';

export const ROLE_NAMES = ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface Route {
  /** Label for metrics and logs: a pattern, never a raw path. */
  name: string;
  /** Requests whose path equals this or starts with it followed by "/" are routed here ("/" matches all). */
  prefix: string;
  /**
   * The methods the handler answers (HEAD wherever GET is); the server answers any other with 405
   * and Allow before the handler runs. Unset: every method reaches the handler, whose own router
   * decides (the API, the dashboard).
   */
  methods?: readonly string[];
  handler: HttpHandler;
}

export interface Role {
  name: RoleName;
  routes: Route[];
  /** Starts background work (consume loops, jobs). */
  start?(): Promise<void>;
  /** Stops background work, finishing what is in flight. */
  stop?(): Promise<void>;
}
