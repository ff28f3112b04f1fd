// Bad analytics queries get a 400 that names the field, on every analytics endpoint, before any
// analytics store is asked (this harness has none: a query that got through would answer 503).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface ErrorBody {
  error: { code: string; details?: { fields?: { field: string; message: string }[] } };
}

let harness: ApiHarness;
let owner: ApiClient;
let profileId: string;
/** Every analytics endpoint that takes a range: summary, timeseries, links, geo, devices, referrers, utm, heatmap, bots, export, dashboard. */
let rangeEndpoints: string[];

beforeAll(async () => {
  harness = await startApiHarness('analytics-input');
  owner = await harness.newUser();
  profileId = (await owner.newProfile()).id;
  rangeEndpoints = harness.api.routes
    .filter((route) => route.tag === 'analytics' && route.query !== undefined)
    .map((route) => route.path.replace(':profileId', profileId));
});
afterAll(async () => {
  await harness?.close();
});

async function refusal(path: string, query: string) {
  const response = await owner.get<ErrorBody>(`/api/v1${path}?${query}`);
  return { status: response.status, code: response.body.error?.code, fields: response.body.error?.details?.fields?.map((field) => field.field) };
}

describe('analytics queries', () => {
  it('answers 400 naming the field for a date that is not a date-time, on every range endpoint', async () => {
    expect(rangeEndpoints).toHaveLength(12);
    for (const path of rangeEndpoints) {
      // zod 4 ran the range's refinements on the raw string: "query.to.getTime is not a function", a 500.
      expect({ path, ...(await refusal(path, 'from=2026-12-01T00:00:00Z&to=x')) }).toEqual({ path, status: 400, code: 'INVALID_INPUT', fields: ['query.to'] });
      expect({ path, ...(await refusal(path, 'from=2026-12-01&to=2026-12-02')) }).toEqual({ path, status: 400, code: 'INVALID_INPUT', fields: ['query.from', 'query.to'] });
    }
  });

  it('refuses ranges outside what can have been recorded, naming the field', async () => {
    const summary = `/profiles/${profileId}/analytics/summary`;
    expect(await refusal(summary, 'from=1999-12-31T00:00:00Z&to=2000-01-05T00:00:00Z')).toMatchObject({ status: 400, fields: ['query.from'] });
    // Years the API cannot write back as RFC 3339 date-times are not date-times it takes.
    expect(await refusal(summary, 'from=0020-02-29T00:00:00Z&compare=previous')).toMatchObject({ status: 400, fields: ['query.from'] });
    expect(await refusal(summary, `to=${new Date(Date.now() + 3 * 86_400_000).toISOString()}`)).toMatchObject({ status: 400, fields: ['query.to'] });
    // The fuzzer's case: the previous period of this range would start in 1997.
    expect(await refusal(summary, 'from=2001-01-01T00:00:00Z&to=2005-01-01T00:00:00Z&compare=previous')).toMatchObject({ status: 400, fields: ['query.compare'] });
    expect(await refusal(summary, 'from=2005-01-01T00:00:00Z&to=2001-01-01T00:00:00Z')).toMatchObject({ status: 400, fields: ['query.from'] });
    // The 5-year limit holds when to is left to default to now, on timeseries and exports too.
    for (const name of ['summary', 'timeseries', 'export']) {
      expect(await refusal(`/profiles/${profileId}/analytics/${name}`, 'from=2010-01-01T00:00:00Z')).toMatchObject({ status: 400, fields: ['query.to'] });
    }
  });

  it('refuses a time zone that is not one', async () => {
    expect(await refusal(`/profiles/${profileId}/analytics/timeseries`, 'tz=Mars%2FOlympus')).toMatchObject({ status: 400, fields: ['query.tz'] });
  });
});
