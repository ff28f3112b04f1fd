// The analytics page's one read: GET …/analytics/dashboard (or a shared dashboard's
// GET /shared/<token>/dashboard, the same answer for its panels), every panel of a view in one request,
// answered as NDJSON (one line per panel as soon as the API has read it, then a done line; see
// api/analytics/analytics.routes.ts). The lines' shapes come from the API's document, through the
// typed client (schema.d.ts), so each panel's body has its own endpoint's type.
import { api, errorMessage, UNREACHABLE, type GetQuery, type paths } from '$lib/api/client';
import { isShared, type AnalyticsSource } from './source';

type DashboardPath = '/api/v1/profiles/{profileId}/analytics/dashboard';
export type DashboardQuery = GetQuery<DashboardPath>;
/** One line of the answer: a panel's body, a panel's error, or the done line. */
export type DashboardLine = paths[DashboardPath]['get']['responses'][200]['content']['application/x-ndjson'];
type BodyLine = Extract<DashboardLine, { body: unknown }>;
export type DashboardPanel = BodyLine['panel'];
/** A panel's body: exactly what the panel's own endpoint answers. */
export type PanelBody<K extends DashboardPanel> = Extract<BodyLine, { panel: K }>['body'];
export type PanelError = Extract<DashboardLine, { error: unknown }>['error'];

/** Every panel the batch answers (the compiler checks the list against the document's). */
export const DASHBOARD_PANELS = ['summary', 'timeseries', 'links', 'bots', 'geo', 'devices', 'referrers', 'utm', 'heatmap', 'abTests'] as const satisfies readonly DashboardPanel[];
type Missing = Exclude<DashboardPanel, (typeof DASHBOARD_PANELS)[number]>;
const everyPanelListed: Missing extends never ? true : Missing = true;
void everyPanelListed;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isPanel = (value: unknown): value is DashboardPanel => (DASHBOARD_PANELS as readonly unknown[]).includes(value);

/**
 * Whether a parsed line has one of the document's shapes, as far as the page relies on it: a known
 * panel with an object body or an error with a status and message, or the done line. The bodies'
 * fields are the API's contract (its tests compare them with the endpoints' answers).
 */
export function isDashboardLine(value: unknown): value is DashboardLine {
  if (!isObject(value)) return false;
  if (value.done === true) return typeof value.panels === 'number' && typeof value.errors === 'number';
  if (!isPanel(value.panel)) return false;
  if ('body' in value) return isObject(value.body);
  return isObject(value.error) && typeof value.error.status === 'number' && typeof value.error.message === 'string';
}

/** The lines of an NDJSON byte stream, each parsed as it completes. */
export async function* ndjsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end).trim();
        buffered = buffered.slice(end + 1);
        if (line) yield JSON.parse(line);
      }
    }
    buffered += decoder.decode();
    if (buffered.trim()) yield JSON.parse(buffered);
  } finally {
    reader.releaseLock();
  }
}

/** How a read ended as a whole: every panel's line came (ok), or what the panels still waiting should say. */
export type DashboardResult = { ok: true } | { ok: false; status: number; message: string };

/** The message of an answer cut short: the panels that came stay, the others say this. */
export const CUT_SHORT = 'The answer was cut short before this panel arrived: check your connection, then Retry.';

/**
 * Reads the panels of a view, calling `online` with each panel's line as it arrives. An aborted read throws
 * (whoever aborted it has moved on, as with call()); a refusal before the stream (400, 404, 429) or
 * a stream that ends without its done line is a failed result.
 */
export async function readDashboard(
  source: AnalyticsSource,
  query: DashboardQuery,
  signal: AbortSignal,
  /** Called with each panel's line; the next line waits for a promise it returns. */
  online: (line: DashboardLine) => void | Promise<void>,
  /** Where and how to send it (tests: a stand-in fetch); the page's own origin by default. */
  transport: { baseUrl?: string; fetch?: (request: Request) => Promise<Response> } = {},
): Promise<DashboardResult> {
  const isAbort = (error: unknown) => signal.aborted || (error instanceof DOMException && error.name === 'AbortError');
  let answer;
  try {
    answer = isShared(source)
      ? await api.GET('/api/v1/shared/{token}/dashboard', { params: { path: { token: source.shareToken }, query }, signal, parseAs: 'stream', ...transport })
      : await api.GET('/api/v1/profiles/{profileId}/analytics/dashboard', { params: { path: { profileId: source.profileId }, query }, signal, parseAs: 'stream', ...transport });
  } catch (error) {
    if (isAbort(error)) throw error;
    return { ok: false, status: 0, message: UNREACHABLE };
  }
  signal.throwIfAborted();
  const { response, data } = answer;
  if (!response.ok || !data) return { ok: false, status: response.status, message: errorMessage(response.status, answer.error) };
  try {
    for await (const line of ndjsonLines(data)) {
      if (!isDashboardLine(line)) continue;
      if ('done' in line) return { ok: true };
      await online(line);
    }
  } catch (error) {
    if (isAbort(error)) throw error;
  }
  signal.throwIfAborted();
  return { ok: false, status: 0, message: CUT_SHORT };
}

/** What a panel that failed says, and what to do about it. */
export function panelErrorText(failure: { status: number; message: string }): string {
  const { status, message } = failure;
  if (status === 0) return message;
  if (status === 429) return 'Too many requests for now: wait a minute, then Retry.';
  if (status === 404) return 'This profile was not found: it may have been deleted. Choose a page from your dashboard.';
  if (status === 401) return 'Your session has ended: log in again.';
  if (status === 400) return `${message}. Choose another range or remove a filter.`;
  return `${message} Retry, or reload the page in a minute.`;
}
