// Dependency health as reported by /readyz. Each adapter exposes check(); the runtime runs them in
// parallel with a deadline, so one hung dependency cannot hang the readiness probe.

export type DependencyState = 'ok' | 'degraded' | 'down';

export interface DependencyStatus {
  state: DependencyState;
  /** Short human-readable reason; never contains credentials. */
  detail?: string;
}

export interface HealthCheck {
  name: string;
  /** A required dependency that is down makes /readyz answer 503. */
  required: boolean;
  check(): Promise<DependencyStatus>;
}

export interface DependencyReport extends DependencyStatus {
  required: boolean;
  latencyMs: number;
}

export interface ReadinessReport {
  status: DependencyState;
  dependencies: Record<string, DependencyReport>;
}

const CHECK_TIMEOUT_MS = 3_000;
/** A dependency that answers but takes longer than this is reported degraded. */
const SLOW_CHECK_MS = 1_000;

export async function runHealthChecks(checks: readonly HealthCheck[], timeoutMs = CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
  const entries = await Promise.all(
    checks.map(async (check): Promise<[string, DependencyReport]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<DependencyStatus>((resolve) => {
        timer = setTimeout(() => resolve({ state: 'down', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
      const status = await Promise.race([
        check.check().catch((error: unknown): DependencyStatus => ({ state: 'down', detail: describeError(error) })),
        timeout,
      ]);
      clearTimeout(timer);
      const latencyMs = Math.round(performance.now() - started);
      const state = status.state === 'ok' && latencyMs > SLOW_CHECK_MS ? 'degraded' : status.state;
      const detail = status.detail ?? (state === 'degraded' && status.state === 'ok' ? `slow: ${latencyMs} ms` : undefined);
      return [check.name, { state, ...(detail === undefined ? {} : { detail }), required: check.required, latencyMs }];
    }),
  );
  const dependencies = Object.fromEntries(entries);
  const reports = Object.values(dependencies);
  const status: DependencyState = reports.some((r) => r.required && r.state === 'down')
    ? 'down'
    : reports.some((r) => r.state !== 'ok')
      ? 'degraded'
      : 'ok';
  return { status, dependencies };
}

/** A one-line description of an error for health output and logs, with URLs' credentials removed. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : '';
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  const firstLine = text.replace(/\/\/[^/@\s]*@/g, '//').split('\n', 1)[0] ?? '';
  return firstLine.slice(0, 300);
}
