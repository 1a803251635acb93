import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW,
  FD_RESERVE,
  MIN_WINDOW,
  readConntrackHeadroom,
  readEphemeralPorts,
  readNofileLimit,
  windowSize,
} from '../../../../agent/probe/budget.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-budget-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('budgets', () => {
  it('reads the soft open-files limit from /proc/self/limits', () => {
    const limits = file(
      'limits',
      'Limit                     Soft Limit           Hard Limit           Units\nMax cpu time              ' +
        'unlimited            unlimited            seconds\nMax open ' +
        'files            1024                 524288               files\n',
    );
    expect(readNofileLimit(limits)).toBe(1024);
    expect(
      readNofileLimit(file('unlimited', 'Max open files            unlimited            unlimited            files\n')),
    ).toBeNull();
    expect(readNofileLimit(join(dir, 'missing'))).toBeNull();
    // The real file parses on Linux.
    if (process.platform === 'linux') expect(readNofileLimit()).toBeGreaterThan(0);
  });

  it('reads the ephemeral port range size', () => {
    expect(readEphemeralPorts(file('range', '32768\t60999\n'))).toBe(28232);
    expect(readEphemeralPorts(file('bad', 'x\n'))).toBeNull();
  });

  it('reads the conntrack headroom: entries left before the table is half full', () => {
    const ct = join(dir, 'netfilter');
    mkdirSync(ct);
    writeFileSync(join(ct, 'nf_conntrack_count'), '1000\n');
    writeFileSync(join(ct, 'nf_conntrack_max'), '262144\n');
    expect(readConntrackHeadroom(ct)).toBe(131072 - 1000);
    writeFileSync(join(ct, 'nf_conntrack_count'), '200000\n');
    expect(readConntrackHeadroom(ct)).toBe(0);
    expect(readConntrackHeadroom(join(dir, 'none'))).toBeNull();
    expect(windowSize({ nofile: null, openFds: 0, ephemeralPorts: null, conntrackHeadroom: 100 }, 10_000)).toBe(100);
    expect(windowSize({ nofile: null, openFds: 0, ephemeralPorts: null, conntrackHeadroom: 0 }, 10_000)).toBe(
      MIN_WINDOW,
    );
  });

  it('sizes the window as the minimum of the cap, the fds left and half the ephemeral range', () => {
    const b = { nofile: 1024, openFds: 20, ephemeralPorts: 28232 };
    expect(windowSize(b, 100_000)).toBe(1024 - 20 - FD_RESERVE);
    expect(windowSize({ ...b, nofile: 1_000_000 }, 100_000)).toBe(DEFAULT_WINDOW);
    expect(windowSize({ ...b, nofile: 1_000_000, ephemeralPorts: 1000 }, 100_000, 60_000)).toBe(500);
    expect(windowSize(b, 100_000, 10)).toBe(10);
    // Never more than there are probes; never zero even when the fds are exhausted.
    expect(windowSize(b, 3)).toBe(3);
    expect(windowSize({ nofile: 64, openFds: 60, ephemeralPorts: null }, 1000)).toBe(1);
    expect(windowSize({ nofile: null, openFds: 0, ephemeralPorts: 4 }, 1000)).toBe(MIN_WINDOW);
  });
});
