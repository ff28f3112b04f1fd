import { describe, expect, it } from 'vitest';
import { judgeCtrDrop, judgeSpike, judgeStars, median } from './alert-evaluation.js';
import { alertAnalyticsQuery, describeAlert } from './alert-payload.js';
import { starMilestoneOf } from './alert-rules.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBe(0);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('a traffic spike', () => {
  const rule = { factor: 3, minViews: 20 };
  const steady = Array<number>(28).fill(10);

  it('fires above factor × the usual views of that hour, once the floor is reached', () => {
    expect(judgeSpike(31, steady, rule)).toEqual({ fires: true, usualViews: 10, ratio: 3.1 });
    expect(judgeSpike(30, steady, rule).fires).toBe(false);
  });

  it('never fires below the floor, however quiet the hour usually is', () => {
    // 3 views against a median of 1: three times the usual, and still no news.
    expect(judgeSpike(3, Array<number>(28).fill(1), { factor: 2, minViews: 20 }).fires).toBe(false);
    expect(judgeSpike(19, [], rule)).toEqual({ fires: false, usualViews: 0, ratio: null });
    expect(judgeSpike(20, [], rule).fires).toBe(true);
  });

  it('counts the days without a view as 0, so a few busy days do not make the hour look busy', () => {
    // 10 busy days of 28: the median is still 0.
    expect(judgeSpike(25, Array<number>(10).fill(100), rule)).toMatchObject({ fires: true, usualViews: 0 });
    expect(judgeSpike(25, Array<number>(15).fill(100), rule)).toMatchObject({ fires: false, usualViews: 100 });
  });
});

describe('a click-through drop', () => {
  const rule = { dropPercent: 50, minViews: 200 };

  it('fires when the rate fell by the rule’s percentage and the drop is significant', () => {
    const verdict = judgeCtrDrop({ views: 1_000, clicks: 20 }, { views: 7_000, clicks: 420 }, rule);
    expect(verdict.fires).toBe(true);
    expect(verdict.dropPercent).toBeCloseTo(66.7, 1);
    expect(verdict.z).toBeGreaterThan(5);
  });

  it('does not fire on a smaller drop, on too few views, or on a drop chance explains', () => {
    expect(judgeCtrDrop({ views: 1_000, clicks: 40 }, { views: 7_000, clicks: 420 }, rule).fires).toBe(false);
    expect(judgeCtrDrop({ views: 150, clicks: 0 }, { views: 7_000, clicks: 420 }, rule).fires).toBe(false);
    expect(judgeCtrDrop({ views: 1_000, clicks: 20 }, { views: 150, clicks: 9 }, rule).fires).toBe(false);
    // 1 click in 200 views against 3 in 250: a 58 % drop of almost nothing.
    const noise = judgeCtrDrop({ views: 200, clicks: 1 }, { views: 250, clicks: 3 }, rule);
    expect(noise.dropPercent).toBeGreaterThan(50);
    expect(noise.fires).toBe(false);
  });

  it('does not fire without a baseline rate, or when the rate rose', () => {
    expect(judgeCtrDrop({ views: 1_000, clicks: 0 }, { views: 7_000, clicks: 0 }, rule)).toMatchObject({ fires: false, dropPercent: 0 });
    expect(judgeCtrDrop({ views: 1_000, clicks: 200 }, { views: 7_000, clicks: 420 }, rule).fires).toBe(false);
  });
});

describe('a star milestone', () => {
  it('knows the milestones: 100, 1,000, 10,000, …', () => {
    expect([0, 99, 100, 999, 1_000, 9_999, 10_000, 250_000, 3_000_000].map(starMilestoneOf)).toEqual([0, 0, 100, 100, 1_000, 1_000, 10_000, 100_000, 1_000_000]);
  });

  it('marks the first look without firing, fires once per new milestone, and never for one passed again', () => {
    expect(judgeStars(5_400, undefined)).toEqual({ action: 'mark', milestone: 1_000 });
    expect(judgeStars(9_000, 1_000)).toEqual({ action: 'none' });
    expect(judgeStars(10_002, 1_000)).toEqual({ action: 'fire', milestone: 10_000 });
    expect(judgeStars(9_990, 10_000)).toEqual({ action: 'none' });
    expect(judgeStars(10_001, 10_000)).toEqual({ action: 'none' });
    // Several at once (a first sync after a long pause): the highest, once.
    expect(judgeStars(1_200, 0)).toEqual({ action: 'fire', milestone: 1_000 });
  });
});

describe('describeAlert', () => {
  it('puts each kind in words', () => {
    const spike = describeAlert({ kind: 'traffic_spike', views: 312, usualViews: 50, ratio: 6.2, factor: 3, minViews: 20, hourComplete: false, baselineDays: 28 }, { windowStart: '2026-03-01T14:00:00.000Z' });
    expect(spike.sentence).toBe('312 views in the hour from 14:00 UTC so far: 6.2× the usual 50.');
    const drop = describeAlert(
      {
        kind: 'ctr_drop',
        linkId: 'l',
        recent: { hours: 24, views: 1_000, clicks: 20, clicksPerView: 0.02 },
        baseline: { hours: 168, views: 7_000, clicks: 420, clicksPerView: 0.06 },
        dropPercent: 66.7,
        thresholdPercent: 50,
        minViews: 200,
        z: 6.1,
      },
      { linkTitle: 'Docs' },
    );
    expect(drop.title).toBe('Clicks on “Docs” dropped 67 %');
    expect(drop.sentence).toBe('“Docs” was clicked 2 % of views in the last 24 hours (20 of 1,000), against 6 % in the 7 days before (420 of 7,000): 67 % lower.');
    const stars = describeAlert({ kind: 'star_milestone', repository: { id: '1', fullName: 'octo/cat', url: 'https://github.com/octo/cat' }, stars: 1_012, milestone: 1_000 });
    expect(stars.title).toBe('octo/cat passed 1,000 stars');
  });
});

describe('alertAnalyticsQuery', () => {
  it('opens the analytics on the spike’s UTC day by hour, and on the drop’s 8 days filtered to its link', () => {
    const spike = { kind: 'traffic_spike', views: 40, usualViews: 5, ratio: 8, factor: 3, minViews: 20, hourComplete: true, baselineDays: 28 } as const;
    expect(alertAnalyticsQuery(spike, '2026-03-01T23:00:00.000Z')).toBe('range=custom&from=2026-03-01&to=2026-03-01&tz=UTC&interval=hour');
    const traffic = { hours: 24, views: 1, clicks: 0, clicksPerView: 0 };
    const drop = { kind: 'ctr_drop', linkId: 'abc', recent: traffic, baseline: { ...traffic, hours: 168 }, dropPercent: 60, thresholdPercent: 50, minViews: 20, z: 2 } as const;
    // The 24 hours from 10:00 on 8 March, and the 7 days before them.
    expect(alertAnalyticsQuery(drop, '2026-03-08T10:00:00.000Z')).toBe('range=custom&from=2026-03-01&to=2026-03-09&tz=UTC&link=abc');
    expect(alertAnalyticsQuery({ kind: 'star_milestone', repository: { id: '1', fullName: 'a/b', url: 'https://github.com/a/b' }, stars: 100, milestone: 100 }, null)).toBe('');
  });
});
