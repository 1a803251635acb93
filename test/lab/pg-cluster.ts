// A private PostgreSQL cluster for the tests that stop and start the server (the shared cluster
// of PORTDRIFT_TEST_PG_URL is never stopped: other test files use it at the same time). initdb
// into a temp directory, loopback only on a free port, its socket in that directory; run as the
// `postgres` user when root (PostgreSQL refuses to run as root), as .ci/run does. Stop and start
// keep the port, so the collectors' URL stays valid across a restart.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian keeps initdb and pg_ctl (off PATH); the newest version found. */
function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(a) - Number(b));
  const v = versions.at(-1);
  return v ? join(root, v, 'bin') : null;
}

/** Why a private cluster cannot run here, or false. */
export function privateClusterSkipReason(): string | false {
  if (!pgBin()) return 'no PostgreSQL server programs under /usr/lib/postgresql/*/bin';
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres user to run the server as';
    }
  }
  return false;
}

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: sessions are ended, the server is down when this returns. */
  stop(): void;
  /** Starts the stopped server again on the same port. */
  start(): void;
  /** Stops it (immediate) and removes its directory. */
  destroy(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPrivateCluster(prefix = 'pd-pgc-'): Promise<PgCluster> {
  const bin = pgBin();
  if (!bin) throw new Error('no PostgreSQL server programs');
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (root) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  const data = join(dir, 'data');
  // As the postgres user when root; arguments go through sh, so only paths of our own making.
  const asPg = (cmd: string) => {
    if (root) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { stdio: 'pipe', timeout: 60_000 });
    else execFileSync('/bin/sh', ['-c', cmd], { stdio: 'pipe', timeout: 60_000 });
  };
  const port = await freePort();
  asPg(`${bin}/initdb -D ${data} -U postgres -A trust --no-sync >${dir}/initdb.log 2>&1`);
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off`;
  const start = () => asPg(`${bin}/pg_ctl -D ${data} -l ${dir}/server.log -w -t 30 start -o '${opts}' >/dev/null`);
  start();
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => asPg(`${bin}/pg_ctl -D ${data} -m fast -w -t 30 stop >/dev/null`),
    start,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        asPg(`${bin}/pg_ctl -D ${data} -m immediate -w -t 30 stop >/dev/null 2>&1`);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
