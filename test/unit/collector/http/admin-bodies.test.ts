// The admin routes' JSON bodies (validated with zod): one problem reads as before (`field: why`),
// several are reported at once, and the details name the fields.
import { describe, expect, it } from 'vitest';
import { parseAckBody, parseIgnoreBody } from '../../../../collector/http/routes/admin-bodies.js';
import { FINDING_KINDS } from '../../../../shared/drift/index.js';
import type { PortdriftError } from '../../../../shared/errors.js';

const NOW = '2026-01-01T00:00:00.000Z';
const refusal = (f: () => unknown): PortdriftError => {
  try {
    f();
  } catch (err) {
    return err as PortdriftError;
  }
  throw new Error('accepted');
};

describe('admin bodies', () => {
  it('an acknowledgement: reason trimmed, expiry from now', () => {
    const week = parseAckBody({ reason: ' planned ', expires: '7d' }, NOW);
    expect(week).toEqual({ reason: 'planned', expiresAt: '2026-01-08T00:00:00.000Z' });
    const at = parseAckBody({ reason: 'r', expiresAt: '2026-02-01T00:00:00Z' }, NOW);
    expect(at.expiresAt).toBe('2026-02-01T00:00:00.000Z');
    expect(parseAckBody({ reason: 'r', expiresAt: null }, NOW).expiresAt).toBeNull();
  });

  it('one problem reads as field: why, with the field in details', () => {
    const e = refusal(() => parseAckBody({ reason: '  ' }, NOW));
    expect(e.code).toBe('PD_HTTP_BAD_REQUEST');
    expect(e.message).toBe('reason: is required: say why');
    expect(e.details).toEqual({ field: 'reason', problems: ['reason: is required: say why'] });
    expect(
      refusal(() => parseAckBody({ reason: 'r', expires: '1d', expiresAt: '2026-02-01T00:00:00Z' }, NOW)).message,
    ).toBe('expires: give expires or expiresAt, not both');
    const soon = refusal(() => parseAckBody({ reason: 'r', expires: 'soon' }, NOW));
    expect(soon.message).toMatch(/^expires: invalid duration "soon"/);
    const past = refusal(() => parseAckBody({ reason: 'r', expiresAt: '2025-01-01T00:00:00Z' }, NOW));
    expect(past.message).toBe('expiresAt: must lie in the future');
  });

  it('every problem of an ignore rule at once, unknown fields first', () => {
    const e = refusal(() => parseIgnoreBody({ colour: 1, host: '', port: 70000, kind: 'odd', expires: '0s' }, NOW));
    expect(e.details?.problems).toEqual([
      'colour: unknown field',
      'host: must be a host name or address',
      'port: must be a port 1-65535',
      `kind: must be one of ${FINDING_KINDS.join(', ')}`,
      'reason: is required: say why',
      'expires: must be longer than 0',
    ]);
    expect(e.details?.field).toBe('colour');
  });

  it('an ignore rule must name something', () => {
    expect(refusal(() => parseIgnoreBody({ reason: 'r' }, NOW)).message).toBe(
      'resource: a rule must name a resource, host or port (it would ignore everything)',
    );
    expect(parseIgnoreBody({ reason: 'r', port: 22 }, NOW)).toEqual({
      resource: '*',
      host: null,
      port: 22,
      kind: null,
      reason: 'r',
      expiresAt: null,
    });
  });
});
