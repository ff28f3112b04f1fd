import { describe, expect, it } from 'vitest';
import { analyticsRetentionOf } from '../../../../lib/analytics/profile-retention.js';
import { rangeRetentionNote, retentionChangeWarning, retentionOptions, retentionSentence } from './retention';

const NOW = new Date('2026-12-05T15:30:00Z');
const YEAR = analyticsRetentionOf(365, 400, NOW);
const DEFAULT = analyticsRetentionOf(null, 400, NOW);

describe('how far back analytics go', () => {
  it('says it in the UTC date data is kept from', () => {
    expect(retentionSentence(YEAR, 'en-GB')).toBe('Data is kept for 1 year: from 5 Dec 2025.');
    expect(retentionSentence(DEFAULT, 'en-GB')).toBe('Raw events are kept for 400 days (from 1 Nov 2025); daily totals are kept longer.');
  });

  it('notes a range that starts before the data kept, and only then', () => {
    const range = (from: string) => ({ from: new Date(from), to: NOW });
    expect(rangeRetentionNote(range('2025-12-05T00:00:00Z'), YEAR, 'en-GB')).toBeUndefined();
    expect(rangeRetentionNote(range('2025-12-04T23:00:00Z'), YEAR, 'en-GB')).toBe('This range starts before 5 Dec 2025: nothing older is kept, so it shows only what came after.');
    expect(rangeRetentionNote(range('2021-12-05T00:00:00Z'), DEFAULT, 'en-GB')).toMatch(/^This range starts before 1 Nov 2025: only daily totals are kept from before then/);
  });

  it('offers the default and the choices within the maximum, and keeps a value that is none of them', () => {
    expect(retentionOptions(null, 400)).toEqual([
      { value: '', label: 'Operator default (400 days)' },
      { value: '30', label: '30 days' },
      { value: '90', label: '90 days' },
      { value: '180', label: '6 months' },
      { value: '365', label: '1 year' },
    ]);
    expect(retentionOptions(1825, 2000).map((option) => option.label)).toEqual(['Operator default (2000 days)', '30 days', '90 days', '6 months', '1 year', '2 years', '5 years']);
    expect(retentionOptions(45, 400).at(-1)).toEqual({ value: '45', label: '45 days (current)' });
    // The operator lowered the maximum below the page's choice.
    expect(retentionOptions(730, 90).at(-1)).toEqual({ value: '730', label: '2 years (current; 90 days apply)' });
  });

  it('warns before a change that deletes data, and not before one that keeps more', () => {
    expect(retentionChangeWarning(90, YEAR, NOW, 'en-GB')).toBe('Analytics from before 6 Sept 2026 (raw events and totals alike) will be deleted within a few hours. This cannot be undone.');
    expect(retentionChangeWarning(365, YEAR, NOW)).toBeUndefined();
    expect(retentionChangeWarning(null, YEAR, NOW)).toBeUndefined();
    // From the default, any choice deletes the daily totals older than it.
    expect(retentionChangeWarning(365, DEFAULT, NOW, 'en-GB')).toMatch(/^Analytics from before 5 Dec 2025/);
  });
});
