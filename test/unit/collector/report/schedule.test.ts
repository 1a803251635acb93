import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../../collector/report/outbox.js';
import { describeSchedule, nextDue, parseSchedule } from '../../../../collector/report/schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('report schedule', () => {
  it('parses every, daily and weekly forms', () => {
    expect(parseSchedule('24h')).toEqual({ kind: 'every', ms: 86_400_000 });
    expect(parseSchedule('every 12h')).toEqual({ kind: 'every', ms: 43_200_000 });
    expect(parseSchedule('daily 08:30')).toEqual({ kind: 'daily', minute: 510 });
    expect(parseSchedule('Weekly Monday 07:00')).toEqual({ kind: 'weekly', day: 1, minute: 420 });
    expect(describeSchedule(parseSchedule('weekly mon 7:00'))).toBe('weekly mon 07:00 UTC');
    for (const bad of ['daily 25:00', 'weekly funday 08:00', 'every 10s', 'hourly', ''])
      expect(() => parseSchedule(bad), bad).toThrow(/PD_CONFIG_INVALID|report schedule/);
  });

  it('computes the next due time, sending a missed report once', () => {
    const every = parseSchedule('every 24h');
    expect(iso(nextDue(every, null, at('2026-11-24T09:00:00Z')))).toBe('2026-11-25T09:00:00.000Z');
    expect(iso(nextDue(every, at('2026-11-24T09:00:00Z'), at('2026-11-24T10:00:00Z')))).toBe(
      '2026-11-25T09:00:00.000Z',
    );
    expect(iso(nextDue(every, at('2026-11-20T09:00:00Z'), at('2026-11-24T10:00:00Z')))).toBe(
      '2026-11-24T10:00:00.000Z',
    );

    const daily = parseSchedule('daily 08:00');
    expect(iso(nextDue(daily, null, at('2026-11-24T07:00:00Z')))).toBe('2026-11-24T08:00:00.000Z');
    expect(iso(nextDue(daily, at('2026-11-24T08:00:00Z'), at('2026-11-24T09:00:00Z')))).toBe(
      '2026-11-25T08:00:00.000Z',
    );
    expect(iso(nextDue(daily, at('2026-11-22T08:00:00Z'), at('2026-11-24T09:00:00Z')))).toBe(
      '2026-11-24T09:00:00.000Z',
    );

    // 2026-11-24 is a Tuesday.
    const weekly = parseSchedule('weekly mon 08:00');
    expect(iso(nextDue(weekly, null, at('2026-11-24T09:00:00Z')))).toBe('2026-11-30T08:00:00.000Z');
    expect(iso(nextDue(weekly, at('2026-11-23T08:00:00Z'), at('2026-11-23T08:00:01Z')))).toBe(
      '2026-11-30T08:00:00.000Z',
    );
    expect(iso(nextDue(weekly, at('2026-11-16T08:00:00Z'), at('2026-11-24T09:00:00Z')))).toBe(
      '2026-11-24T09:00:00.000Z',
    );
  });

  it('backs off exponentially to a cap', () => {
    expect([1, 2, 3, 7, 20].map((n) => backoffDelay(n))).toEqual([60_000, 120_000, 240_000, 3_600_000, 3_600_000]);
  });
});
