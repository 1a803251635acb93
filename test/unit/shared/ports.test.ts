import { describe, expect, it } from 'vitest';
import { formatPortSpec, parsePortSpec, portNumber, portSpecRuns, TOP_PORTS } from '../../../shared/ports.js';
import type { PortdriftError } from '../../../shared/errors.js';
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

describe('the one port-spec parser', () => {
  const error = (f: () => unknown): PortdriftError => {
    try {
      f();
    } catch (err) {
      return err as PortdriftError;
    }
    throw new Error('no error');
  };

  it('names the field or flag in the message, and carries field, spec and problem as details', () => {
    const e = error(() => parsePortSpec('22,70000', { field: '--exclude-ports' }));
    expect(e.code).toBe('PD_PORT_SPEC');
    expect(e.message).toBe('--exclude-ports: invalid port spec "22,70000": 70000 is outside 1-65535');
    expect(e.details).toEqual({ field: '--exclude-ports', spec: '22,70000', problem: '70000 is outside 1-65535' });
    expect(error(() => parsePortSpec('x')).message).toBe('invalid port spec "x": "x" is not a port number');
  });

  it('gives runs in the order written, without expanding them', () => {
    expect(portSpecRuns('1-21,23, 25-79')).toEqual([
      [1, 21],
      [23, 23],
      [25, 79],
    ]);
    expect(portSpecRuns('all')).toEqual([[1, 65535]]);
    expect(portSpecRuns('-5,65530-')).toEqual([
      [1, 5],
      [65530, 65535],
    ]);
    const expand = ([lo, hi]: [number, number]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    expect(portSpecRuns('top').flatMap(expand)).toEqual([...TOP_PORTS]);
    expect(portSpecRuns('')).toEqual([]);
  });

  it('numeric specs (the wire format) refuse words and spaces, still checking ranges', () => {
    expect(portSpecRuns('1-1000,2000', { numeric: true })).toEqual([
      [1, 1000],
      [2000, 2000],
    ]);
    const top = error(() => portSpecRuns('top', { numeric: true }));
    expect(top.message).toMatch(/invalid port spec "top": must be numeric/);
    expect(error(() => portSpecRuns('22, 80', { numeric: true })).message).toMatch(/must be numeric/);
    expect(error(() => portSpecRuns('9-3', { numeric: true })).message).toMatch(/range 9-3 runs backwards/);
  });

  it('reads one port as text by one rule', () => {
    expect(portNumber('22')).toBe(22);
    expect(portNumber('065535')).toBe(65535);
    for (const bad of ['0', '65536', '', '1.5', '-1', ' 22', 'x']) expect(portNumber(bad)).toBeNull();
  });
});
