// The shipped systemd agent unit runs as shipped: its command line and environment are derived
// from deploy/systemd/portdrift-agent.service the way systemd and install.sh would — ExecStart
// split into words, install.sh's rewrites (/usr/bin/node → this node, /opt/portdrift/ → this
// checkout), every LoadCredential copied into a private credentials directory ($CREDENTIALS_DIRECTORY,
// %d), StateDirectory= created 0700 under a state root (%S, $STATE_DIRECTORY), Environment=
// lines set, and /etc/portdrift/ files staged as install.sh stages them (the example agent.yaml,
// with the operator's edit of the collector URL) — then started as a real child process against
// a real collector: it enrolls with the enroll secret credential, every batch is accepted, no 403.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, killAll, Proc, requireBuild } from '../agent/harness.js';
import { type FleetCollector, refusals, startFleetCollector, waitForAgents } from './fleet-harness.js';

const UNIT = join(ROOT, 'deploy', 'systemd', 'portdrift-agent.service');

/** Every directive of the [Service] section, in order (comments and other sections left out). */
function service(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const h = /^\[(.+)\]$/.exec(line);
    if (h) section = h[1]!;
    else if (section === 'Service') out.push([line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  }
  return out;
}

describe('deploy/systemd agent unit runs as shipped', () => {
  let c: FleetCollector;

  beforeAll(async () => {
    requireBuild();
    for (const k of Object.keys(process.env))
      if (/^(POD_|NODE_NAME$|PORTDRIFT_|CREDENTIALS_DIRECTORY$)/.test(k)) delete process.env[k];
    // The example config's scope (10.0.1.0/24) must lie inside the enroll secret's.
    c = await startFleetCollector({ 'main.tf': 'resource "aws_db_instance" "db" {\n  port = 5432\n}\n' }, [
      '10.0.0.0/16',
    ]);
  }, 30_000);

  afterAll(async () => {
    await killAll();
    if (c) rmSync(c.dir, { recursive: true, force: true });
  });

  it('enrolls with the enroll secret credential; its batches ' +
    'are accepted; the key is kept in its state directory', async () => {
    const d = service(readFileSync(UNIT, 'utf8'));
    const all = (k: string) => d.filter(([key]) => key === k).map(([, v]) => v);
    const root = join(c.dir, 'host');
    const etc = join(root, 'etc', 'portdrift');
    mkdirSync(etc, { recursive: true });
    // install.sh installs the example config; the operator sets the collector URL.
    copyFileSync(join(ROOT, 'deploy', 'examples', 'agent.yaml'), join(etc, 'agent.yaml'));
    const yaml = readFileSync(join(etc, 'agent.yaml'), 'utf8');
    expect(yaml).toMatch(/^collector: .+$/m);
    writeFileSync(join(etc, 'agent.yaml'), yaml.replace(/^collector: .+$/m, `collector: ${c.url}`));
    // The docs' step: the enroll secret in /etc/portdrift, root-only.
    const staged = (p: string) => (p.startsWith('/etc/portdrift/') ? join(root, p) : p);

    // LoadCredential=NAME:PATH → $CREDENTIALS_DIRECTORY/NAME, readable by the service alone.
    const creds = join(root, 'run', 'credentials', 'portdrift-agent.service');
    mkdirSync(creds, { recursive: true, mode: 0o700 });
    const loaded = all('LoadCredential');
    expect(loaded.length).toBeGreaterThan(0);
    for (const l of loaded) {
      const [name, path] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)];
      const src = staged(path);
      if (/secret/.test(name)) writeFileSync(src, `${c.secret}\n`, { mode: 0o600 });
      copyFileSync(src, join(creds, name));
      chmodSync(join(creds, name), 0o400);
    }
    // StateDirectory=NAME → %S/NAME, mode StateDirectoryMode.
    const stateRoot = join(root, 'var', 'lib');
    for (const s of all('StateDirectory')) {
      mkdirSync(join(stateRoot, s), { recursive: true });
      chmodSync(join(stateRoot, s), Number.parseInt(all('StateDirectoryMode').at(-1) ?? '0755', 8));
    }
    const env: Record<string, string> = {
      CREDENTIALS_DIRECTORY: creds,
      STATE_DIRECTORY: all('StateDirectory')
        .map((s) => join(stateRoot, s))
        .join(':'),
    };
    for (const e of all('Environment')) {
      for (const kv of e.split(/\s+/)) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
    }
    const words = all('ExecStart')
      .at(-1)!
      .split(/\s+/)
      .map((w) =>
        w
          .replaceAll('%d', creds)
          .replaceAll('%S', stateRoot)
          .replace(/^\/opt\/portdrift\//, `${ROOT}/`),
      );
    expect(words[0]).toBe('/usr/bin/node');
    const args = words.slice(1).map(staged);
    const agent = new Proc('systemd agent', null, args, env);
    // The name defaults to the host name.
    const name = hostname().replace(/[^A-Za-z0-9._:/@-]/g, '-');
    const rows = await waitForAgents(c, [name], [agent]);
    expect(refusals(agent)).toEqual([]);
    const row = rows.find((r) => r.name === name)!;
    expect(row.enrolledBy).toMatch(/^tok_/);
    expect(row.pod).toBeNull();
    expect(agent.messages('enrolled: the agent key is kept in the state directory')).toHaveLength(1);
    const stateDir = args[args.indexOf('--state-dir') + 1]!;
    expect(stateDir.startsWith(stateRoot)).toBe(true);
    expect(readFileSync(join(stateDir, 'agent-key'), 'utf8')).toMatch(/^pdt_/);
  }, 60_000);
});
