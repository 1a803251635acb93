import { describe, expect, it } from 'vitest';
import { formatPortSpec, parsePortSpec, TOP_PORTS } from '../../../shared/ports.js';
import { formatDuration, parseDuration } from '../../../shared/duration.js';

describe('port specs', () => {
  it('parses lists, ranges, open ranges, top and all', () => {
    expect(parsePortSpec('22, 80,8000-8003')).toEqual([22, 80, 8000, 8001, 8002, 8003]);
    expect(parsePortSpec('65530-')).toEqual([65530, 65531, 65532, 65533, 65534, 65535]);
    expect(parsePortSpec('-3')).toEqual([1, 2, 3]);
    expect(parsePortSpec('all')).toHaveLength(65535);
    expect(parsePortSpec('top')).toEqual([...TOP_PORTS]);
    expect(parsePortSpec('')).toEqual([]);
    expect(parsePortSpec('80,80,79-81')).toEqual([79, 80, 81]);
  });

  it('rejects bad specs with the offending part named', () => {
    expect(() => parsePortSpec('0')).toThrow(/0 is outside 1-65535/);
    expect(() => parsePortSpec('65536')).toThrow(/outside/);
    expect(() => parsePortSpec('http')).toThrow(/"http" is not a port number/);
    expect(() => parsePortSpec('90-80')).toThrow(/runs backwards/);
    expect(() => parsePortSpec('-')).toThrow(/a range needs at least one end/);
    expect(() => parsePortSpec('22, -')).toThrow(/a range needs at least one end/);
    expect(() => parsePortSpec('1.5')).toThrow(/PD_PORT_SPEC|not a port/);
  });

  it('formats the shortest spec and round-trips', () => {
    expect(formatPortSpec([5, 1, 2, 3, 7, 8])).toBe('1-3,5,7-8');
    expect(formatPortSpec([])).toBe('');
    const ports = parsePortSpec('1-21,23-79,81-65535');
    expect(formatPortSpec(ports)).toBe('1-21,23-79,81-65535');
    expect(TOP_PORTS.length).toBeGreaterThan(150);
  });
});

describe('durations', () => {
  it('parses units and combinations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
  });
  it('refuses bare numbers and junk', () => {
    expect(() => parseDuration('30')).toThrow(/invalid duration "30"/);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
    expect(() => parseDuration('')).toThrow(/invalid duration/);
  });
  it('formats', () => {
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

describe('port states', () => {
  it('are defined once, in the order of the probe engine result codes and the collector columns', async () => {
    const { PORT_STATES, isPortState } = await import('../../../shared/ports.js');
    const { STATE_CODES } = await import('../../../collector/store/columns.js');
    const { Code } = await import('../../../agent/probe/shard-types.js');
    expect([...PORT_STATES]).toEqual(['open', 'closed', 'filtered', 'unreachable']);
    expect(STATE_CODES).toBe(PORT_STATES);
    const codes = { open: Code.Open, closed: Code.Closed, filtered: Code.Filtered, unreachable: Code.Unreachable };
    PORT_STATES.forEach((s, i) => expect(codes[s]).toBe(i + 1));
    expect(isPortState('filtered')).toBe(true);
    expect(isPortState('listening')).toBe(false);
    expect(isPortState(1)).toBe(false);
  });
});
