// A profile's analytics retention: the cutoff is a UTC day boundary, the operator's maximum caps a
// choice, and the operator's default keeps the daily figures (scope 'raw').
import { describe, expect, it } from 'vitest';
import { analyticsRetentionOf, effectiveRetentionDays, retentionCutoff, retentionLabel, RETENTION_CHOICES } from './profile-retention.js';

const NOW = new Date('2026-12-05T15:30:00.000Z');

describe('profile analytics retention', () => {
  it('cuts at 00:00 UTC of the day `days` days before today, whatever the time of day', () => {
    expect(retentionCutoff(365, NOW).toISOString()).toBe('2025-12-05T00:00:00.000Z');
    expect(retentionCutoff(30, new Date('2026-12-05T00:00:00.000Z')).toISOString()).toBe('2026-11-05T00:00:00.000Z');
    expect(retentionCutoff(30, new Date('2026-12-05T23:59:59.999Z')).toISOString()).toBe('2026-11-05T00:00:00.000Z');
  });

  it('caps a choice by the operator’s maximum, and uses the maximum without one', () => {
    expect(effectiveRetentionDays(90, 400)).toBe(90);
    expect(effectiveRetentionDays(730, 400)).toBe(400);
    expect(effectiveRetentionDays(null, 400)).toBe(400);
  });

  it('says how far back the data goes', () => {
    expect(analyticsRetentionOf(365, 400, NOW)).toEqual({ days: 365, maxDays: 400, scope: 'all', keptFrom: '2025-12-05T00:00:00.000Z' });
    // The operator lowered the maximum below the choice: the raw events' TTL applies (as without a
    // choice), and the daily figures stay as long as the owner chose.
    expect(analyticsRetentionOf(365, 180, NOW)).toEqual({ days: 180, maxDays: 180, scope: 'raw', keptFrom: '2026-06-09T00:00:00.000Z' });
    expect(analyticsRetentionOf(180, 180, NOW)).toEqual({ days: 180, maxDays: 180, scope: 'all', keptFrom: '2026-06-08T00:00:00.000Z' });
    // No choice: the raw events' TTL cuts 31 Oct 2025 at 15:30, so the first whole day kept is the 1st; the daily figures stay longer.
    expect(analyticsRetentionOf(null, 400, NOW)).toEqual({ days: 400, maxDays: 400, scope: 'raw', keptFrom: '2025-11-01T00:00:00.000Z' });
  });

  it('names the dashboard’s choices and any other number of days', () => {
    expect(RETENTION_CHOICES.map((choice) => choice.days)).toEqual([30, 90, 180, 365, 730, 1825]);
    expect(retentionLabel(365)).toBe('1 year');
    expect(retentionLabel(400)).toBe('400 days');
  });
});
