// `scan --live aws` reads the AWS inventory in a process of its own (shared/live/aws/read-child.ts)
// that ends before the extraction, so the SDK never stacks on the extraction's and the comparison's
// memory (docs/benchmarks.md, Live inventory). Each node process of the run records, at its exit,
// whether it had loaded the SDK (sdk-loaded-hook.mjs, through NODE_OPTIONS).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { shopWorld } from '../../fixtures/live/shop/world.js';
import { KEYS, awsEnv, cli, tempHome, withServer } from './aws-child.js';

const shop = join(import.meta.dirname, '..', '..', 'fixtures', 'live', 'shop');
const hook = pathToFileURL(join(import.meta.dirname, 'sdk-loaded-hook.mjs')).href;
const home = tempHome('pd-aws-read-process-');

interface Record {
  pid: number;
  script: string;
  sdk: boolean;
  cloudtrail: boolean;
  exitedAt: number;
}

function records(dir: string): Record[] {
  return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record);
}

describe('scan --live aws: the AWS read runs in a process of its own', () => {
  it('the CLI process never loads the SDK; the reading process did, and ended; the report is whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-hook-'));
    try {
      await withServer(shopWorld(), async (server) => {
        const env = awsEnv(home(), server, { ...KEYS, NODE_OPTIONS: `--import ${hook}`, PD_TEST_HOOK_DIR: dir });
        const r = await cli(['scan', '.', '--live', 'aws', '--no-probe', '--format', 'json'], shop, env);
        expect(r.err).not.toContain('PD_INTERNAL');
        expect(r.code).toBe(2);
        const report = JSON.parse(r.out) as DriftReport;
        expect(report.findings.map((f) => f.kind).sort()).toEqual(['config-drift', 'missing-rule', 'unmanaged-rule']);
        expect(server.requests.length).toBeGreaterThan(0);
      });
      const all = records(dir);
      const main = all.filter((x) => x.script.endsWith(join('cli', 'main.js')));
      const reader = all.filter((x) => x.script.endsWith(join('live', 'aws', 'read-child.js')));
      expect(main).toHaveLength(1);
      expect(reader).toHaveLength(1);
      expect(main[0]!.sdk).toBe(false);
      expect(reader[0]!.sdk).toBe(true);
      expect(reader[0]!.exitedAt).toBeLessThanOrEqual(main[0]!.exitedAt);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--live-audit: the CLI process loads the CloudTrail client alone, not the readers' clients", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-hook-'));
    try {
      await withServer(shopWorld(), async (server) => {
        const env = awsEnv(home(), server, { ...KEYS, NODE_OPTIONS: `--import ${hook}`, PD_TEST_HOOK_DIR: dir });
        const args = ['scan', '.', '--live', 'aws', '--no-probe', '--live-audit', '--format', 'json'];
        const r = await cli(args, shop, env);
        expect(r.err).not.toContain('PD_INTERNAL');
        expect(r.code).toBe(2);
        expect(server.requests.some((q) => q.action === 'LookupEvents')).toBe(true);
      });
      const main = records(dir).filter((x) => x.script.endsWith(join('cli', 'main.js')));
      expect(main).toHaveLength(1);
      expect(main[0]!.sdk).toBe(false);
      expect(main[0]!.cloudtrail).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an IaC path that cannot be read is still the error reported when the read fails too', async () => {
    await withServer(shopWorld(), async (server) => {
      // No keys: the read fails with PD_AWS_AUTH, but the path is the first thing wrong.
      const r = await cli(['scan', 'no-such-dir', '--live', 'aws', '--no-probe'], shop, awsEnv(home(), server));
      expect(r.code).toBe(1);
      expect(r.err).toContain('[PD_IAC_NOTHING_READ]');
      expect(r.err).not.toContain('PD_AWS_AUTH');
    });
  });

  it('a mistyped IaC path with working keys: its error, and not one call made to AWS', async () => {
    await withServer(shopWorld(), async (server) => {
      const r = await cli(['scan', 'no-such-dir', '--live', 'aws', '--no-probe'], shop, awsEnv(home(), server, KEYS));
      expect(r.code).toBe(1);
      expect(r.err).toContain('[PD_IAC_NOTHING_READ]');
      expect(server.requests).toEqual([]);
    });
  });

  it('an error of the reading process keeps its code and message (PD_AWS_AUTH, PD_USAGE)', async () => {
    await withServer(shopWorld(), async (server) => {
      const auth = await cli(['scan', '.', '--live', 'aws', '--no-probe'], shop, awsEnv(home(), server));
      expect(auth.code).toBe(1);
      expect(auth.err).toMatch(/portdrift: no usable AWS credentials: .* \[PD_AWS_AUTH\]/);
      expect(auth.err).not.toContain('PD_INTERNAL');
      const env = awsEnv(home(), server, KEYS);
      delete env.AWS_REGION;
      const region = await cli(['scan', '.', '--live', 'aws', '--no-probe'], shop, env);
      expect(region.code).toBe(1);
      expect(region.err).toContain('--live aws: no region');
      expect(region.err).toContain('[PD_USAGE]');
    });
  });
});
