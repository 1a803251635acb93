// Real daemons inside a lab namespace, each with its own temp config and data directory: the
// ground truth for fingerprints. Started with `ip netns exec NS …` and killed by PID (the lab's
// destroy also kills whatever is left in its namespace). Debian may run system-wide instances
// of the same daemons in the root namespace: these tests never see them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../lab/netns.mjs';

/** The binary's path, or null when it is not installed (`command -v`, then the usual sbin paths). */
export function findBinary(name: string, extra: string[] = []): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  return (
    [...extra, `/usr/sbin/${name}`, `/usr/local/bin/${name}`, `/usr/local/sbin/${name}`, ...postgresBins(name)].find(
      (p) => existsSync(p),
    ) ?? null
  );
}

/** Debian's postgresql package keeps its programs off PATH, under /usr/lib/postgresql/VERSION/bin. */
function postgresBins(name: string): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => `${root}/${v}/bin/${name}`);
}

export function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

export class Daemons {
  private readonly children: ChildProcess[] = [];
  private readonly dirs: string[] = [];
  readonly logs = new Map<string, () => string>();

  constructor(readonly lab: Lab) {}

  tempDir(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), `pd-fp-${prefix}-`));
    this.dirs.push(d);
    return d;
  }

  /** Runs argv in the lab's namespace (as root unless argv starts with runuser). */
  start(name: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.lab.client.name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => void (out = (out + d).slice(-4000)));
    child.stderr!.on('data', (d) => void (out = (out + d).slice(-4000)));
    child.on('error', (e) => void (out += `\nspawn error: ${e.message}`));
    this.logs.set(name, () => out);
    this.children.push(child);
    return child;
  }

  /** Waits until every port accepts a connection inside the namespace (a node one-liner there). */
  async ready(ports: number[], timeoutMs = 30_000): Promise<void> {
    const script = `
      const net = require('node:net');
      const ports = ${JSON.stringify(ports)};
      const until = Date.now() + ${timeoutMs};
      const one = (p) => new Promise((res) => {
        const s = net.connect(p, '127.0.0.1');
        s.on('connect', () => { s.destroy(); res(true); });
        s.on('error', () => res(false));
      });
      (async () => {
        for (const p of ports) {
          while (!(await one(p))) {
            if (Date.now() > until) { console.error('not ready: ' + p); process.exit(1); }
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      })();`;
    const r = await this.lab.run([process.execPath, '-e', script], { timeoutMs: timeoutMs + 5000 });
    if (r.code !== 0)
      throw new Error(
        `daemons not ready: ${r.stderr}\n${[...this.logs].map(([n, l]) => `--- ${n}\n${l()}`).join('\n')}`,
      );
  }

  async stop(): Promise<void> {
    // Our children by PID; the lab's destroy then kills what they forked in its namespace.
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGKILL');
    await this.lab.destroy();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** A self-signed certificate (EC P-256, 30 days) for `cn` with these SANs, made by openssl. */
export function selfSigned(dir: string, cn: string, sans: string[]): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '30',
      '-subj',
      `/CN=${cn}/O=portdrift lab`,
      '-addext',
      `subjectAltName=${sans.join(',')}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

export function nginxConfig(
  dir: string,
  httpPort: number,
  tlsPort: number,
  tls: { cert: string; key: string },
): string {
  const conf = join(dir, 'nginx.conf');
  const t = (n: string) => join(dir, n);
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${t('nginx.pid')};
error_log ${t('error.log')};
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  server { listen 127.0.0.1:${httpPort}; location / { return 200 "ok\\n"; } }
  server {
    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  return conf;
}

/** initdb as the `postgres` user into a fresh directory it owns; returns the data directory. */
export function initPostgres(dir: string, initdb: string): string {
  chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const r = spawnSync(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      initdb,
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
  return data;
}

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}
function gidOf(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}
