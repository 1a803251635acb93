// The collector with `live: aws` (config file keys), as a real child process against the AWS
// wire-protocol server of test/aws/server.ts: the hosts the API gives the shop's resources are in
// an agent's plan (the shop's IaC and no state give none), and after the account changes, the
// collector's refresh on its interval puts the new host in the plan.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsServer, startAwsServer } from '../../aws/server.js';
import { shopWorld } from '../../fixtures/live/shop/world.js';
import { awsEnv, KEYS } from './aws-child.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const main = join(repo, 'dist', 'cli', 'main.js');
const shop = join(repo, 'test', 'fixtures', 'live', 'shop');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-collector-live-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (server: AwsServer): Record<string, string> => awsEnv(dir, server, KEYS);

function run(args: string[], childEnv: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { cwd: dir, env: childEnv, timeout: 30_000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out, err });
    });
  });
}

async function startCollector(
  config: string,
  childEnv: Record<string, string>,
): Promise<{ proc: ChildProcess; url: string }> {
  const args = [main, 'collector', '--config', config, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  const proc = spawn(process.execPath, args, { cwd: dir, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start within 30 s:\n${err}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}:\n${err}`));
    });
  });
  return { proc, url };
}

type Plan = { targets: { host: string; declared: number[] }[] };

describe('collector with live: aws', () => {
  it("puts the hosts the AWS API gives into the agents' plans, and refreshes them on its interval", async () => {
    const world = shopWorld();
    const server = await startAwsServer(world);
    const data = join(dir, 'pd.db');
    const config = join(dir, 'collector.yaml');
    writeFileSync(
      config,
      [
        `iac: [${JSON.stringify(shop)}]`,
        `data: ${JSON.stringify(data)}`,
        'interval: 1s',
        'live: aws',
        'awsRegion: [eu-west-1]',
        'liveRefresh: 1s',
        '',
      ].join('\n'),
    );
    let child: ChildProcess | undefined;
    try {
      const create = ['token', 'create', '--data', data, '--role', 'agent', '--name', 'a1', '--scope', '10.0.0.0/8'];
      const token = await run(create, env(server));
      expect(token.code, token.err).toBe(0);
      const c = await startCollector(config, env(server));
      child = c.proc;
      const plan = async (): Promise<Plan> => {
        const res = await fetch(`${c.url}/v1/plan`, { headers: { authorization: `Bearer ${token.out.trim()}` } });
        expect(res.status).toBe(200);
        return (await res.json()) as Plan;
      };
      const hosts = (p: Plan): string[] => p.targets.map((t) => t.host).sort();
      const first = await plan();
      // The web instance's private IP (its tag Name matches the IaC) and the DB's endpoint name;
      // not the bastion, which no IaC resource matches.
      expect(hosts(first)).toEqual(['10.0.1.10', 'shop-orders.c9akciq32.eu-west-1.rds.amazonaws.com']);
      expect(first.targets.find((t) => t.host.startsWith('shop-orders'))!.declared).toEqual([5432]);

      // The instance is replaced (a new private IP): the next refresh puts it in the plan.
      world.instances[0]!.privateIp = '10.0.1.77';
      const deadline = Date.now() + 20_000;
      let now = hosts(first);
      while (!now.includes('10.0.1.77') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        now = hosts(await plan());
      }
      expect(now).toEqual(['10.0.1.77', 'shop-orders.c9akciq32.eu-west-1.rds.amazonaws.com']);
      expect(
        server.requests.filter((q) => q.action === 'DescribeInstances' && !q.params.NextToken).length,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await server.close();
    }
  });

  it('refuses aws keys without live, and a bad region, with every problem at once', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, `iac: [${JSON.stringify(shop)}]\nawsRegion: [eu-west-7]\nawsProfile: p\n`);
    const r = await run(['collector', '--config', config, '--listen', '127.0.0.1:0'], { PATH: process.env.PATH ?? '' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('awsRegion: only applies with live: aws');
    expect(r.err).toContain('awsProfile: only applies with live: aws');
    expect(r.err).toContain('eu-west-7: not an AWS region');
  });
});
