// The analytics endpoints the page reads outside its batched read (dashboard-stream.ts): realtime,
// polled on its own, and the export, a download the browser makes itself.
import { api, call, type GetQuery, type paths } from '$lib/api/client';
import type { PanelBody } from './dashboard-stream';
import type { Fetcher } from './resource.svelte';
import { isShared, type AnalyticsSource } from './source';

export type ExportQuery = GetQuery<'/api/v1/profiles/{profileId}/analytics/export'>;
export type Timeseries = PanelBody<'timeseries'>;
export type BreakdownRow = PanelBody<'geo'>['tables']['countries'][number];

/** Realtime ignores the range and filters, as the API does. */
export const readRealtime = ((source, signal) =>
  isShared(source)
    ? call(api.GET('/api/v1/shared/{token}/realtime', { params: { path: { token: source.shareToken } }, signal }))
    : call(api.GET('/api/v1/profiles/{profileId}/analytics/realtime', { params: { path: { profileId: source.profileId } }, signal }))) satisfies Fetcher<AnalyticsSource, unknown>;

const EXPORT_PATH = '/api/v1/profiles/{profileId}/analytics/export' satisfies keyof paths;

/** The export's URL: a download the browser makes itself (streamed, never through the client). */
export function exportHref(profileId: string, query: ExportQuery): string {
  const search = new URLSearchParams(Object.entries(query).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])));
  return `${EXPORT_PATH.replace('{profileId}', encodeURIComponent(profileId))}?${search}`;
}
