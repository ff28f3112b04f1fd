import { describe, expect, it } from 'vitest';
import { botKindLabel, channelLabel, countDelta, countryFlag, countryName, deviceLabel, durationDelta, formatApproximateCount, formatCount, formatDuration, formatPercent, rateDelta } from './format';

describe('figures', () => {
  it('writes counts exactly up to 100 000, then compactly', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(99_999)).toBe('99,999');
    expect(formatCount(123_456)).toBe('123.5K');
    expect(formatCount(2_500_000)).toBe('2.5M');
  });

  it('writes shares as percentages, whole ones without decimals', () => {
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(null)).toBe('—');
  });

  it('writes durations in the unit that reads best', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4_240)).toBe('4.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(65_000)).toBe('1 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(7_380_000)).toBe('2 h 3 min');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('changes against the previous period', () => {
  it('gives counts a relative change, with new and flat cases', () => {
    expect(countDelta(150, 100)).toMatchObject({ direction: 'up', label: '+50%', description: 'up 50% from 100' });
    expect(countDelta(97, 100)).toMatchObject({ direction: 'down', label: '−3%' });
    expect(countDelta(1001, 1000)).toMatchObject({ direction: 'up', label: '+0.1%' });
    expect(countDelta(5, 0)).toMatchObject({ direction: 'new', label: 'new' });
    expect(countDelta(0, 0)).toMatchObject({ direction: 'flat', label: '±0%' });
    expect(countDelta(5, undefined)).toMatchObject({ direction: 'none', label: '' });
    // From almost nothing a percentage is noise ("+68569 %"): no percentage, and why.
    expect(countDelta(687, 1)).toEqual({ direction: 'few', label: '—', description: 'only 1 in the previous period, too few to compare' });
    expect(countDelta(40, 9)).toMatchObject({ direction: 'few', label: '—' });
    expect(countDelta(40, 10)).toMatchObject({ direction: 'up', label: '+300%' });
  });

  it('gives rates a change in percentage points, and durations a relative one', () => {
    expect(rateDelta(0.15, 0.12)).toMatchObject({ direction: 'up', label: '+3 pp', description: 'up 3 percentage points from 12%' });
    expect(rateDelta(0.1, 0.125)).toMatchObject({ direction: 'down', label: '−2.5 pp' });
    expect(rateDelta(null, 0.1).direction).toBe('none');
    expect(durationDelta(1500, 3000)).toMatchObject({ direction: 'down', label: '−50%', description: 'down 50% from 3.0 s' });
  });
});

describe('labels', () => {
  it('names channels, devices and countries', () => {
    expect(channelLabel('hacker_news')).toBe('Hacker News');
    expect(channelLabel('github')).toBe('GitHub');
    expect(channelLabel('some_new_channel')).toBe('Some New Channel');
    expect(channelLabel('')).toBe('Unknown');
    expect(deviceLabel('mobile')).toBe('Mobile');
    expect(countryName('DE')).toBe('Germany');
    expect(countryName('')).toBe('Unknown');
    expect(countryFlag('DE')).toBe('🇩🇪');
    expect(countryFlag('')).toBe('');
  });
});

describe('estimated figures', () => {
  it('marks an estimated count', () => {
    expect(formatApproximateCount(12_345, true)).toBe('≈12,345');
    expect(formatApproximateCount(12_345, false)).toBe('12,345');
  });

  it('names the kinds of bot as people would', () => {
    expect(botKindLabel('head_request')).toBe('Link checkers (HEAD requests)');
    expect(botKindLabel('crawler')).toBe('Crawlers (search engines and others)');
    expect(botKindLabel('something-new')).toBe('something-new');
  });
});
