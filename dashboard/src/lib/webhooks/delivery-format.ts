// How the Webhooks tab words an endpoint's health and a delivery's attempts: the badge, the outcome of
// an attempt ("HTTP 503", or why no answer came), and times relative to now ("4 min ago", "in 30 s").

export type HealthState = 'healthy' | 'failing' | 'disabled' | 'idle';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export const HEALTH_LABELS: Record<HealthState, string> = {
  healthy: 'Healthy',
  failing: 'Failing',
  disabled: 'Disabled',
  idle: 'No deliveries yet',
};

export const STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
};

/** The tone of a badge: the design system's ok, danger, warning, or muted colours. */
export type Tone = 'ok' | 'danger' | 'warning' | 'muted';
export const HEALTH_TONES: Record<HealthState, Tone> = { healthy: 'ok', failing: 'danger', disabled: 'muted', idle: 'muted' };
export const STATUS_TONES: Record<DeliveryStatus, Tone> = { delivered: 'ok', failed: 'danger', pending: 'warning' };

/** A 2xx answer: the only one that counts as delivered. */
export const isSuccess = (statusCode: number | null) => statusCode !== null && statusCode >= 200 && statusCode < 300;

/** What came back: "HTTP 204", or why there was no answer, in the worker's words ("No answer within 10 s"). */
export function attemptOutcome(attempt: { statusCode: number | null; error: string | null }): string {
  if (attempt.statusCode !== null) return `HTTP ${attempt.statusCode}`;
  return attempt.error ? attempt.error.charAt(0).toUpperCase() + attempt.error.slice(1) : 'No answer';
}

/** 850 ms, 4.2 s, 12 s. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "just now", "4 min ago", "3 h ago", "in 30 s", "in 2 h"; past a day, the date and time. */
export function formatRelative(iso: string, now: number): string {
  const at = Date.parse(iso);
  const seconds = Math.round((at - now) / 1000);
  const size = Math.abs(seconds);
  if (size >= 86_400) return dateTime.format(at);
  if (size < 10) return seconds <= 0 ? 'just now' : 'in a moment';
  const amount = size < 60 ? `${size} s` : size < 3600 ? `${Math.round(size / 60)} min` : `${Math.round(size / 3600)} h`;
  return seconds < 0 ? `${amount} ago` : `in ${amount}`;
}

/** The full date and time, for a title or a screen reader. */
export const formatDateTime = (iso: string) => dateTime.format(Date.parse(iso));
