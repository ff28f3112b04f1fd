import { describe, expect, it } from 'vitest';
import { checkUrl, fromLocalInput, hiddenReason, isLive, moveItem, toLocalInput } from './links';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const link = (changes: Partial<{ enabled: boolean; startsAt: string | null; endsAt: string | null }> = {}) => ({ enabled: true, startsAt: null, endsAt: null, ...changes });

describe('editor links', () => {
  it('shows a link only when enabled and inside its schedule window (start inclusive, end exclusive)', () => {
    expect(isLive(link(), NOW)).toBe(true);
    expect(isLive(link({ enabled: false }), NOW)).toBe(false);
    expect(isLive(link({ startsAt: '2026-11-24T12:00:00Z' }), NOW)).toBe(true);
    expect(isLive(link({ startsAt: '2026-11-24T12:00:01Z' }), NOW)).toBe(false);
    expect(isLive(link({ endsAt: '2026-11-24T12:00:00Z' }), NOW)).toBe(false);
    expect(isLive(link({ startsAt: '2026-11-01T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' }), NOW)).toBe(true);
  });

  it('says why a link is not on the page', () => {
    const format = (iso: string) => iso.slice(0, 10);
    expect(hiddenReason(link(), NOW, format)).toBe('');
    expect(hiddenReason(link({ enabled: false }), NOW, format)).toBe('Hidden');
    expect(hiddenReason(link({ startsAt: '2026-12-01T00:00:00Z' }), NOW, format)).toBe('Shown from 2026-12-01');
    expect(hiddenReason(link({ endsAt: '2026-11-01T00:00:00Z' }), NOW, format)).toBe('Ended 2026-11-01');
  });

  it('moves an item and clamps the target, never losing one', () => {
    expect(moveItem(['a', 'b', 'c', 'd'], 0, 2)).toEqual(['b', 'c', 'a', 'd']);
    expect(moveItem(['a', 'b', 'c', 'd'], 3, 0)).toEqual(['d', 'a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 99)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b'], 5, 0)).toEqual(['a', 'b']);
  });

  it('judges URLs as the API does and recognises GitHub repositories', () => {
    expect(checkUrl('')).toBeNull();
    expect(checkUrl('https://github.com/sveltejs/kit')).toEqual({ ok: true, github: { owner: 'sveltejs', name: 'kit' } });
    expect(checkUrl('https://github.com/sveltejs/kit/issues')).toEqual({ ok: true, github: undefined });
    expect(checkUrl('javascript:alert(1)')).toEqual({ ok: false, reason: 'The URL must use http or https' });
    expect(checkUrl('example.com')).toMatchObject({ ok: false });
  });

  it('converts schedule bounds to and from datetime-local values in the browser zone', () => {
    const iso = '2026-11-24T09:30:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(toLocalInput(null)).toBe('');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('not a date')).toBeNull();
  });
});
