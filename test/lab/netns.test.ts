// Tests of the lab itself, with an independent connect check (connect.mjs), so that a probe test
// failing later is about the prober and not about the lab's ground truth.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canMeasureRss, createLab, createSoloLab, sweepStale, type Lab } from './netns.mjs';
import { labSkipReason } from './skip.js';

const skip = labSkipReason();
const CONNECT = join(import.meta.dirname, 'connect.mjs');
const NETNS = join(import.meta.dirname, 'netns.mjs');

/** A separate process that builds a lab with a listener, prints its names, then runs `then`. */
function orphanScript(then: string): string {
  return (
    `import(${JSON.stringify(NETNS)}).then(async (m) => { const l = await m.createLab({ hosts: ` +
    `1 }); await l.listen(['10.231.0.1:80']); console.log(JSON.stringify(l.names)); ${then} })`
  );
}

function namespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

async function check(lab: Lab, timeoutMs: number, targets: string[]): Promise<Record<string, string>> {
  const r = await lab.run([process.execPath, CONNECT, String(timeoutMs), ...targets], { timeoutMs: 20_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe.skipIf(skip)(`network-namespace lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const labs: Lab[] = [];
  afterAll(async () => {
    for (const l of labs) await l.destroy();
  });

  it(
    'joins a client and 64 server addresses: listeners open, ' +
      'others closed, DROP filtered, unreachable route EHOSTUNREACH',
    async () => {
      const lab = await createLab({ hosts: 64 });
      labs.push(lab);
      expect(lab.addresses).toHaveLength(64);
      expect(lab.addresses[0]).toBe('10.231.0.1');
      expect(lab.addresses[63]).toBe('10.231.0.64');
      await lab.listen([
        { ip: '10.231.0.1', port: 22 },
        { ip: '10.231.0.64', port: 8080 },
      ]);
      lab.drop(901, 1000);
      const [dead] = lab.unreachable(1);
      const got = await check(lab, 1500, [
        '10.231.0.1:22',
        '10.231.0.64:8080',
        '10.231.0.1:23',
        '10.231.0.64:22',
        '10.231.0.1:950',
        `${dead}:22`,
      ]);
      expect(got).toEqual({
        '10.231.0.1:22': 'open',
        '10.231.0.64:8080': 'open',
        '10.231.0.1:23': 'ECONNREFUSED',
        '10.231.0.64:22': 'ECONNREFUSED',
        '10.231.0.1:950': 'timeout',
        [`${dead}:22`]: 'EHOSTUNREACH',
      });
    },
  );

  it('gives the client no route out of the lab subnet', async () => {
    const lab = await createLab({ hosts: 1 });
    labs.push(lab);
    const routes = lab.client.ip('route', 'show');
    expect(routes).not.toMatch(/default/);
    expect(routes.trim().split('\n')).toEqual([expect.stringMatching(/^10\.231\.0\.0\/16 dev pdlc/)]);
  });

  it('drops only the given address when asked, and IPv6 addresses work on the veth', async () => {
    const lab = await createLab({ hosts: 2, hosts6: 1 });
    labs.push(lab);
    const v6 = lab.addresses6[0]!;
    await lab.listen([
      { ip: '10.231.0.1', port: 80 },
      { ip: '10.231.0.2', port: 80 },
      { ip: v6, port: 80 },
    ]);
    lab.drop(80, 80, { ip: '10.231.0.2' });
    const got = await check(lab, 1500, ['10.231.0.1:80', '10.231.0.2:80', `[${v6}]:80`, `[${v6}]:81`]);
    expect(got).toEqual({
      '10.231.0.1:80': 'open',
      '10.231.0.2:80': 'timeout',
      [`[${v6}]:80`]: 'open',
      [`[${v6}]:81`]: 'ECONNREFUSED',
    });
  });

  it('a solo namespace has only its own listeners on 127.0.0.1 (not the machine’s 0.0.0.0:2024)', async () => {
    const lab = await createSoloLab();
    labs.push(lab);
    await lab.listen([
      { ip: '127.0.0.1', port: 40000 },
      { ip: '::1', port: 40001 },
    ]);
    const got = await check(lab, 1500, ['127.0.0.1:40000', '[::1]:40001', '127.0.0.1:2024', '127.0.0.1:40001']);
    expect(got).toEqual({
      '127.0.0.1:40000': 'open',
      '[::1]:40001': 'open',
      '127.0.0.1:2024': 'ECONNREFUSED',
      '127.0.0.1:40001': 'ECONNREFUSED',
    });
  });

  it('runs a command with its exit code, wall time and peak RSS, and kills it at the timeout', async () => {
    const lab = await createSoloLab();
    labs.push(lab);
    // 64 MiB held for a moment: the peak RSS must show it.
    const big = await lab.run(
      [
        process.execPath,
        '-e',
        'const b = Buffer.alloc(64 * 1048576, 1); setTimeout(() => { console.log(b[5]); process.exit(3); }, 200)',
      ],
      { timeoutMs: 20_000 },
    );
    expect(big.code).toBe(3);
    expect(big.stdout.trim()).toBe('1');
    expect(big.timedOut).toBe(false);
    expect(big.wallMs).toBeGreaterThanOrEqual(200);
    if (canMeasureRss()) {
      expect(big.maxRssKb!).toBeGreaterThan(64 * 1024);
      expect(big.cpuMs!).toBeGreaterThan(0);
    }
    // CPU time, not wall time: a sleeping command costs next to nothing.
    const idle = await lab.run([process.execPath, '-e', 'setTimeout(() => {}, 1500)'], { timeoutMs: 20_000 });
    if (canMeasureRss()) expect(idle.cpuMs!).toBeLessThan(idle.wallMs / 2);
    const slow = await lab.run([process.execPath, '-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 1_000 });
    expect(slow.timedOut).toBe(true);
    expect(slow.code).toBeNull();
    expect(slow.wallMs).toBeLessThan(10_000);
  });

  it('destroy kills its listeners by PID and deletes both namespaces', async () => {
    const lab = await createLab({ hosts: 1 });
    const listener = await lab.listen([{ ip: '10.231.0.1', port: 5432 }]);
    expect(namespaces()).toEqual(expect.arrayContaining(lab.names));
    await lab.destroy();
    expect(namespaces().filter((n) => lab.names.includes(n))).toEqual([]);
    expect(() => process.kill(listener.pid, 0)).toThrow();
  });

  it('a process that exits without destroying its lab still removes its namespaces', () => {
    const r = spawnSync(process.execPath, ['-e', orphanScript('process.exit(1)')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const names = JSON.parse(r.stdout) as string[];
    expect(names).toHaveLength(2);
    expect(namespaces().filter((n) => names.includes(n))).toEqual([]);
  });

  it('namespaces of a process killed with SIGKILL are swept by the next lab user', async () => {
    const child = spawn(process.execPath, ['-e', orphanScript('setTimeout(() => {}, 30_000)')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const names = await new Promise<string[]>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as string[])),
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(namespaces()).toEqual(expect.arrayContaining(names));
    expect(sweepStale()).toEqual(expect.arrayContaining(names));
    expect(namespaces().filter((n) => names.includes(n))).toEqual([]);
  });

  it('a listener that cannot bind fails with its reason', async () => {
    const lab = await createLab({ hosts: 1 });
    labs.push(lab);
    await expect(lab.listen([{ ip: '10.231.0.99', port: 80 }])).rejects.toThrow(
      /cannot bind 10\.231\.0\.99:80: EADDRNOTAVAIL/,
    );
  });
});
