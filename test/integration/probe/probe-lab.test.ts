// `portdrift probe` through the CLI, inside network namespaces whose ground truth is exact:
// every open port found, no false open, DROPped ports filtered (not closed), closed ports
// closed, unreachable addresses unreachable. Needs root (CI runs as root); skips elsewhere.
import { lookup } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, createSoloLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { compare, describeAccuracy, type Truth } from '../../lab/truth.mjs';
import { probe, requireBuild, type ProbeRun } from './cli.js';

const skip = labSkipReason();

/** Asserts exactness, with the lab's own account of what differs in the failure message. */
function expectExact(truth: Truth, got: ProbeRun): void {
  const acc = compare(truth, got.results);
  expect(acc.exact, `${describeAccuracy(acc)}\n  ${acc.mismatches.join('\n  ')}`).toBe(true);
}

describe.skipIf(skip)(`portdrift probe in network namespaces${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const labs: Lab[] = [];
  const track = <T extends Lab>(lab: T): T => (labs.push(lab), lab);
  beforeAll(() => requireBuild());
  afterAll(async () => {
    for (const l of labs) await l.destroy();
  });

  it('8 hosts × ports 1–1000 and 2 unreachable addresses: open, closed, filtered and unreachable exactly', async () => {
    const lab = track(await createLab({ hosts: 8 }));
    const dead = lab.unreachable(2);
    const truth: Truth = {
      ports: [1, 1000],
      hosts: [
        ...lab.addresses.map((ip, i) => ({
          ip,
          open: [22, 80 + i, 443, 700 + i * 11],
          // Filtered: a block at the top on two hosts, a small hole among closed ports on a third.
          filtered: i < 2 ? ([[901, 1000]] as [number, number][]) : i === 2 ? ([[500, 509]] as [number, number][]) : [],
        })),
        ...dead.map((ip) => ({ ip, unreachable: true })),
      ],
    };
    await lab.listen(truth.hosts.flatMap((h) => (h.open ?? []).map((port) => ({ ip: h.ip, port }))));
    lab.drop(901, 1000, { ip: '10.231.0.1' });
    lab.drop(901, 1000, { ip: '10.231.0.2' });
    lab.drop(500, 509, { ip: '10.231.0.3' });

    const got = await probe(lab, [...lab.addresses, ...dead, '--ports', '1-1000']);
    expectExact(truth, got);
    expect(got.summary).toMatchObject({
      probes: 10_000,
      open: 32,
      filtered: 210,
      unreachable: 2000,
      closed: 10_000 - 32 - 210 - 2000,
    });
    expect(got.results.filter((r) => r.state === 'closed')).toEqual([]);
    for (const r of got.results) {
      expect(r.host).toBe(r.ip);
      if (r.state === 'open') expect(r.rttMs).toBeGreaterThanOrEqual(0);
      else expect(r.rttMs).toBeNull();
    }
    // A filtered result had at least two tries (docs/design/probe-engine.md#retries).
    expect(got.results.filter((r) => r.state === 'filtered' && r.attempts < 2)).toEqual([]);
    // Results come host by host in the order given.
    const hostOrder = [...new Set(got.results.map((r) => r.ip))];
    expect(hostOrder).toEqual([...lab.addresses, ...dead]);
  });

  it(
    '127.0.0.1 ports 1–65535 in a fresh namespace: the ' + 'open set is exactly the listeners (no self-connects)',
    async () => {
      const lab = track(await createSoloLab());
      // Edges of the port space and of the ephemeral range (32768–60999), where self-connects happen.
      const open = [1, 22, 80, 5432, 32768, 45678, 60999, 65535];
      await lab.listen(open.map((port) => ({ ip: '127.0.0.1', port })));
      const got = await probe(lab, ['127.0.0.1', '--ports', '1-65535']);
      expectExact({ ports: [1, 65535], hosts: [{ ip: '127.0.0.1', open }] }, got);
      expect(got.results.map((r) => r.port)).toEqual(open);
      expect(got.summary).toMatchObject({
        probes: 65535,
        open: open.length,
        closed: 65535 - open.length,
        filtered: 0,
        unreachable: 0,
      });
      expect(got.summary.seconds).toBeGreaterThan(0);
    },
  );

  it('--all lists closed results too, in port order', async () => {
    const lab = track(await createSoloLab());
    await lab.listen([
      { ip: '127.0.0.1', port: 5 },
      { ip: '127.0.0.1', port: 7 },
    ]);
    const got = await probe(lab, ['127.0.0.1', '--ports', '1-20', '--all']);
    expect(got.results.map((r) => r.port)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(got.results.filter((r) => r.state === 'open').map((r) => r.port)).toEqual([5, 7]);
    expect(got.results.filter((r) => r.state === 'closed')).toHaveLength(18);
    for (const r of got.results.filter((x) => x.state === 'closed')) {
      expect(r.rttMs).toBeGreaterThanOrEqual(0);
      expect(r.attempts).toBe(1); // closed is conclusive: never retried
    }
  });

  it('a lost first SYN is retried: the open port is open and the closed port closed, not filtered', async () => {
    const lab = track(await createLab({ hosts: 1 }));
    await lab.listen([{ ip: '10.231.0.1', port: 80 }]);
    // Deterministic loss: drop the 1st, 3rd, … SYN to ports 80 and 81 (not the ACK or RST).
    for (const port of ['80', '81'])
      lab.server.iptables(
        4,
        '-A',
        'INPUT',
        '-p',
        'tcp',
        '--dport',
        port,
        '--syn',
        '-m',
        'statistic',
        '--mode',
        'nth',
        '--every',
        '2',
        '--packet',
        '0',
        '-j',
        'DROP',
      );
    // A cap under the kernel's initial SYN RTO (1 s): the retry must be the prober's own, not
    // a kernel retransmit inside one attempt.
    const got = await probe(lab, ['10.231.0.1', '--ports', '79-82', '--all', '--timeout', '500ms']);
    expect(got.results.map((r) => [r.port, r.state, r.attempts])).toEqual([
      [79, 'closed', 1],
      [80, 'open', 2],
      [81, 'closed', 2],
      [82, 'closed', 1],
    ]);
  });

  it('a host name is probed on every address it resolves to, named by host, in order', async () => {
    const lab = track(await createSoloLab());
    // Whatever this machine's resolver gives for localhost (127.0.0.1, usually also ::1).
    const addrs = (await lookup('localhost', { all: true }))
      .map((a) => a.address)
      .filter((a) => a === '127.0.0.1' || a === '::1');
    expect(addrs).toContain('127.0.0.1');
    await lab.listen(addrs.map((ip) => ({ ip, port: 7000 })));
    const got = await probe(lab, ['localhost', '--ports', '6999-7001']);
    expect(got.results.map((r) => [r.host, r.ip, r.port, r.state]).sort()).toEqual(
      addrs.map((ip) => ['localhost', ip, 7000, 'open']).sort(),
    );
    expect(got.summary).toMatchObject({ probes: 3 * addrs.length, open: addrs.length });
  });

  it('IPv6: ::1 in a fresh namespace and an address on the veth, with ip6tables DROP', async () => {
    const solo = track(await createSoloLab());
    await solo.listen([
      { ip: '::1', port: 22 },
      { ip: '::1', port: 631 },
    ]);
    const loop = await probe(solo, ['::1', '--ports', '1-1000']);
    expectExact({ ports: [1, 1000], hosts: [{ ip: '::1', open: [22, 631] }] }, loop);

    const lab = track(await createLab({ hosts: 1, hosts6: 2 }));
    const [a, b] = lab.addresses6 as [string, string];
    await lab.listen([
      { ip: a, port: 22 },
      { ip: a, port: 80 },
      { ip: b, port: 443 },
    ]);
    lab.drop(81, 90, { ip: a });
    const got = await probe(lab, [a, b, '--ports', '1-500']);
    expectExact(
      {
        ports: [1, 500],
        hosts: [
          { ip: a, open: [22, 80], filtered: [[81, 90]] },
          { ip: b, open: [443] },
        ],
      },
      got,
    );
  });
});
