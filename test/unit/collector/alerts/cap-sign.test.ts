import { describe, expect, it } from 'vitest';
import { HourlyCap } from '../../../../collector/alerts/cap.js';
import { retryDelay } from '../../../../collector/alerts/deliver.js';
import type { AlertEvent } from '../../../../collector/alerts/payload.js';
import { sign, verify } from '../../../../collector/alerts/sign.js';
import { moved } from '../../../fixtures/findings.js';

const ev = (at: string): AlertEvent => ({ type: 'opened', finding: moved, at });
const T0 = Date.parse('2026-11-24T09:00:00.000Z');

describe('HourlyCap', () => {
  it('admits max per window, holds the rest, and hands them over once the window has ended', () => {
    const cap = new HourlyCap(2);
    expect([
      cap.admit(ev('a'), T0),
      cap.admit(ev('b'), T0 + 1),
      cap.admit(ev('c'), T0 + 2),
      cap.admit(ev('d'), T0 + 3),
    ]).toEqual([true, true, false, false]);
    expect(cap.digestDueAt()).toBe(T0 + 3_600_000);
    expect(cap.takeDigest(T0 + 3_599_999)).toBeNull();
    const d = cap.takeDigest(T0 + 3_600_000)!;
    expect(d).toEqual({ from: '2026-11-24T09:00:00.000Z', to: '2026-11-24T10:00:00.000Z', events: [ev('c'), ev('d')] });
    expect(cap.digestDueAt()).toBeNull();
    expect(cap.admit(ev('e'), T0 + 3_600_001)).toBe(true);
  });

  it('opens a new window after a quiet hour without a digest', () => {
    const cap = new HourlyCap(1);
    expect(cap.admit(ev('a'), T0)).toBe(true);
    expect(cap.admit(ev('b'), T0 + 7_200_000)).toBe(true);
    expect(cap.takeDigest(T0 + 10_000_000)).toBeNull();
  });
});

describe('signatures and backoff', () => {
  it('signs timestamp.body with HMAC-SHA256 (a known vector)', () => {
    // printf '1764000000.{"a":1}' | openssl dgst -sha256 -hmac key
    expect(sign('key', 1764000000, '{"a":1}')).toBe(
      'sha256=66ff00156971bc93c586dacc7bf22d6f5f4d9fcaede23c166be2b3ec3215f68a',
    );
    expect(verify('key', '{"a":1}', sign('key', 1764000000, '{"a":1}'), '1764000000', 1764000100)).toBe(true);
    expect(verify('key', '{"a":1}', sign('key', 1764000000, '{"a":1}'), '1764000000', 1764000301)).toBe(false);
    expect(verify('key', '{"a":1}', undefined, '1764000000', 1764000000)).toBe(false);
    expect(verify('key', '{"a":1}', 'sha256=00', 'x', 1764000000)).toBe(false);
  });

  it('backs off exponentially within [d/2, d], capped', () => {
    const p = { attempts: 6, baseMs: 1000, maxMs: 60_000, timeoutMs: 1 };
    expect([1, 2, 3, 7, 10].map((n) => retryDelay(n, p, () => 1))).toEqual([1000, 2000, 4000, 60_000, 60_000]);
    expect([1, 2, 3].map((n) => retryDelay(n, p, () => 0))).toEqual([500, 1000, 2000]);
  });
});
