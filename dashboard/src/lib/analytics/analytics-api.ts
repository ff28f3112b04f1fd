// The analytics endpoints as the page's panels read them: one fetcher per endpoint for a Resource
// (resource.svelte.ts), each typed by the API's document through the client.
import { api, call, type GetQuery, type GetResponse, type paths } from '$lib/api/client';
import type { Fetcher } from './resource.svelte';
import type { RangeQuery } from './view';

/** Which profile, and the query (plain data: a Resource compares requests by their JSON). */
export interface AnalyticsRequest<Q = RangeQuery> {
  profileId: string;
  query: Q;
}

export type TimeseriesQuery = GetQuery<'/api/v1/profiles/{profileId}/analytics/timeseries'>;
export type ExportQuery = GetQuery<'/api/v1/profiles/{profileId}/analytics/export'>;
export type Timeseries = GetResponse<'/api/v1/profiles/{profileId}/analytics/timeseries'>;
export type BreakdownRow = GetResponse<'/api/v1/profiles/{profileId}/analytics/geo'>['tables']['countries'][number];

const path = (profileId: string) => ({ profileId });

export const readSummary = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/summary', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readTimeseries = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/timeseries', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest<TimeseriesQuery>, unknown>;

export const readLinks = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/links', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readGeo = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/geo', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readDevices = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/devices', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readReferrers = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/referrers', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readUtm = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/utm', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readBots = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/bots', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

export const readHeatmap = (({ profileId, query }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/heatmap', { params: { path: path(profileId), query }, signal }))) satisfies Fetcher<AnalyticsRequest, unknown>;

/** Realtime ignores the range and filters, as the API does. */
export const readRealtime = (({ profileId }, signal) =>
  call(api.GET('/api/v1/profiles/{profileId}/analytics/realtime', { params: { path: path(profileId) }, signal }))) satisfies Fetcher<{ profileId: string }, unknown>;

const EXPORT_PATH = '/api/v1/profiles/{profileId}/analytics/export' satisfies keyof paths;

/** The export's URL: a download the browser makes itself (streamed, never through the client). */
export function exportHref(profileId: string, query: ExportQuery): string {
  const search = new URLSearchParams(Object.entries(query).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])));
  return `${EXPORT_PATH.replace('{profileId}', encodeURIComponent(profileId))}?${search}`;
}
