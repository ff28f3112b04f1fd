import { describe, expect, it } from 'vitest';
import { activeFilters, apiQuery, defaultView, viewFromQuery, viewToQuery, withFilter, withoutFilter, type View } from './view';

const LINK = '0b7c2f1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('filters', () => {
  it('add, replace and remove one key at a time, and keep a stable order', () => {
    let filters = withFilter({}, 'device', 'mobile');
    filters = withFilter(filters, 'country', 'DE');
    filters = withFilter(filters, 'country', 'FR');
    expect(activeFilters(filters)).toEqual([
      { key: 'country', value: 'FR' },
      { key: 'device', value: 'mobile' },
    ]);
    expect(withoutFilter(filters, 'country')).toEqual({ device: 'mobile' });
  });

  it('ignore values the API would reject', () => {
    expect(withFilter({}, 'country', 'Germany')).toEqual({});
    expect(withFilter({}, 'device', 'fridge')).toEqual({});
    expect(withFilter({}, 'link', 'not-a-uuid')).toEqual({});
    expect(withFilter({}, 'channel', 'Hacker News')).toEqual({});
    expect(withFilter({}, 'referrer', 'news.ycombinator.com')).toEqual({ referrer: 'news.ycombinator.com' });
    expect(withFilter({}, 'referrer', 'News.YCombinator.com')).toEqual({});
  });
});

describe('the view in the URL', () => {
  const tz = 'Europe/Berlin';

  it('leaves defaults out, so the default view has an empty query', () => {
    expect(viewToQuery(defaultView(tz), tz)).toBe('');
    expect(viewFromQuery(new URLSearchParams(''), tz)).toEqual(defaultView(tz));
  });

  it('round-trips every part of a view', () => {
    const view: View = {
      range: { preset: 'custom', from: '2026-03-01', to: '2026-03-07' },
      timeZone: 'America/New_York',
      compare: false,
      interval: 'hour',
      heatmapDevice: 'desktop',
      filters: { country: 'DE', device: 'mobile', browser: 'Firefox', os: 'Linux', channel: 'hacker_news', referrer: 'lobste.rs', link: LINK },
    };
    const query = viewToQuery(view, tz);
    expect(query).toBe(
      `range=custom&from=2026-03-01&to=2026-03-07&tz=America%2FNew_York&compare=off&interval=hour&heatmap=desktop&country=DE&device=mobile&browser=Firefox&os=Linux&channel=hacker_news&referrer=lobste.rs&link=${LINK}`,
    );
    expect(viewFromQuery(new URLSearchParams(query), tz)).toEqual(view);
    expect(viewFromQuery(new URLSearchParams('range=90d'), tz).range).toEqual({ preset: '90d' });
  });

  it('falls back to defaults for anything invalid', () => {
    const view = viewFromQuery(new URLSearchParams('range=custom&from=2026-02-30&to=2026-03-01&tz=Mars/Olympus&interval=fortnight&country=de&heatmap=watch&compare=maybe'), tz);
    expect(view).toEqual(defaultView(tz));
    expect(viewFromQuery(new URLSearchParams('range=custom&from=2026-03-07&to=2026-03-01'), tz).range).toEqual({ preset: 'custom', from: '2026-03-01', to: '2026-03-07' });
  });
});

describe('the API query', () => {
  const range = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-08T00:00:00Z') };

  it('carries the range, the comparison when asked for, and the filters', () => {
    expect(apiQuery(range, { country: 'DE', referrer: 'github.com', device: 'mobile' }, { compare: true })).toEqual({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-08T00:00:00.000Z',
      compare: 'previous',
      country: 'DE',
      referrer: 'github.com',
      device: 'mobile',
    });
    expect(apiQuery(range, {})).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z' });
  });
});
