// Real daemons (redis, memcached, nginx for HTTP and TLS, OpenSSH, PostgreSQL) inside a lab's
// server namespace, each with its own config and data directory: the ground truth for
// fingerprints, in the tests (a solo lab on its loopback) and in the fingerprint bench (every host
// of a veth lab). Plain ESM so that both vitest and bench/*.mjs (run by node directly) can use
// it, like netns.mjs; types in daemons.d.mts. Started with `ip netns exec NS …` and stopped by PID
// (the lab's destroy also kills whatever is left in its namespace). Debian may run system-wide
// instances of the same daemons in the root namespace: the lab never sees them.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STOP_WAIT_MS = 10_000;
const LOG_TAIL = 4000;

/** The binary's path, or null when it is not installed (`command -v`, then the usual sbin paths). */
export function findBinary(name, extra = []) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  const places = [...extra, `/usr/sbin/${name}`, `/usr/local/bin/${name}`, `/usr/local/sbin/${name}`];
  return [...places, ...postgresBins(name)].find((p) => existsSync(p)) ?? null;
}

/** Debian's postgresql package keeps its programs off PATH, under /usr/lib/postgresql/VERSION/bin. */
function postgresBins(name) {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => `${root}/${v}/bin/${name}`);
}

export function userExists(name) {
  return spawnSync('id', ['-u', name]).status === 0;
}

/** Runs a setup command synchronously; throws with its output. */
function sh(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout || r.error?.message}`);
}

export class Daemons {
  /** @param lab a lab of netns.mjs: the daemons run in its server namespace. */
  constructor(lab) {
    this.lab = lab;
    this.logs = new Map();
    this.children = [];
    this.dirs = [];
  }

  /** A fresh directory under the system's temp directory, removed by stop(). */
  tempDir(prefix) {
    const d = mkdtempSync(join(tmpdir(), `pd-fp-${prefix}-`));
    this.dirs.push(d);
    return d;
  }

  /**
   * Runs argv in the lab's server namespace as root; stop() sends it `stopSignal`. The last
   * output of each daemon goes into the error when ready() gives up.
   */
  start(name, argv, { stopSignal = 'SIGKILL' } = {}) {
    const child = spawn('ip', ['netns', 'exec', this.lab.server.name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d) => {
      out = (out + d).slice(-LOG_TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => keep(`\nspawn error: ${e.message}`));
    this.logs.set(name, () => out);
    this.children.push({ child, stopSignal });
    return child;
  }

  redis(bin, { port, bind = '127.0.0.1', dir = this.tempDir(`redis-${port}`), extra = [] }) {
    const argv = [bin, '--port', String(port), '--bind', bind, '--dir', dir, '--save', ''];
    return this.start(`redis ${port}`, [...argv, '--appendonly', 'no', '--daemonize', 'no', ...extra]);
  }

  memcached(bin, { port, bind = '127.0.0.1', extra = [] }) {
    return this.start(`memcached ${port}`, [bin, '-u', 'nobody', '-l', bind, '-p', String(port), '-U', '0', ...extra]);
  }

  /** nginx with the config of nginxConfig() in `dir`, which also holds its pid file and logs. */
  nginx(bin, dir, config) {
    const conf = nginxConfig(dir, config);
    return this.start('nginx', [bin, '-c', conf, '-p', dir, '-e', join(dir, 'error.log')]);
  }

  /** sshd with no config file; `options` are more `-o` settings. */
  sshd(bin, { port, hostKey, listen = '127.0.0.1', options = [] }) {
    // sshd insists on its privilege-separation directory /run/sshd: a tmpfs /run in the
    // namespace's own mount namespace (ip netns exec makes one) gives it one without touching
    // the machine's /run.
    const o = [`ListenAddress=${listen}`, 'PidFile=none', ...options].map((x) => `-o ${x}`).join(' ');
    const run = `exec ${bin} -D -e -f /dev/null -h ${hostKey} -p ${port} ${o}`;
    return this.start(`sshd ${port}`, [
      'sh',
      '-c',
      `mount -t tmpfs -o size=1m tmpfs /run && mkdir -m 755 /run/sshd && ${run}`,
    ]);
  }

  /** The postmaster on a cluster of initPostgres(), with its socket in `socketDir`. */
  postgres(bin, { data, port, socketDir, listen = '127.0.0.1', settings = [] }) {
    // A cluster reused after an immediate shutdown keeps its pid file; the postmaster is gone.
    rmSync(join(data, 'postmaster.pid'), { force: true });
    const config = [`listen_addresses=${listen}`, 'fsync=off', ...settings].flatMap((s) => ['-c', s]);
    // setpriv execs (runuser would fork): the PID held is the postmaster's, and its immediate
    // shutdown (SIGQUIT) takes its backends along.
    const user = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'];
    const argv = [...user, bin, '-D', data, '-p', String(port), '-k', socketDir, ...config];
    return this.start(`postgres ${port}`, argv, { stopSignal: 'SIGQUIT' });
  }

  /** Waits until every port of `host` accepts a connection from the client namespace. */
  async ready(ports, { host = '127.0.0.1', timeoutMs = 30_000 } = {}) {
    const script = `
      const net = require('node:net');
      const ports = ${JSON.stringify(ports)};
      const until = Date.now() + ${timeoutMs};
      const one = (p) => new Promise((res) => {
        const s = net.connect(p, ${JSON.stringify(host)});
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
    if (r.code !== 0) {
      const logs = [...this.logs].map(([n, l]) => `--- ${n}\n${l()}`).join('\n');
      throw new Error(`daemons not ready: ${r.stderr}\n${logs}`);
    }
  }

  /** Stops our children by PID, then destroys the lab (which kills what they forked there). */
  async stop() {
    const waits = this.children.map(({ child, stopSignal }) => {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return null;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(stopSignal);
      return Promise.race([gone, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    });
    await Promise.all(waits);
    await this.lab.destroy();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** A self-signed certificate (EC P-256, 30 days) for `cn` with these SANs, made by openssl. */
export function selfSigned(dir, cn, sans, org = 'portdrift lab') {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const args = ['req', '-x509', ...curve, '-keyout', key, '-out', cert, '-days', '30'];
  sh('openssl', [...args, '-subj', `/CN=${cn}/O=${org}`, '-addext', `subjectAltName=${sans.join(',')}`], 'openssl req');
  return { cert, key };
}

/** An ed25519 host key for sshd at `dir`/hostkey; returns its path. */
export function sshHostKey(dir, sshKeygen = 'ssh-keygen') {
  const key = join(dir, 'hostkey');
  sh(sshKeygen, ['-q', '-t', 'ed25519', '-f', key, '-N', ''], 'ssh-keygen');
  return key;
}

/**
 * nginx.conf in `dir` (temp paths there too): `return 200 "ok"` on each `http` listen address
 * (ip:port) and on `tls.listen` with its certificate.
 */
export function nginxConfig(dir, { http, tls, connections = 64 }) {
  const t = (n) => join(dir, n);
  const ok = 'location / { return 200 "ok\\n"; }';
  const servers = http.map((at) => `  server { listen ${at}; ${ok} }`).join('\n');
  const conf = t('nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${t('nginx.pid')};
error_log ${t('error.log')};
events { worker_connections ${connections}; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
${servers}
  server {
    listen ${tls.listen} ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    ${ok}
  }
}
`,
  );
  return conf;
}

/** initdb as the `postgres` user into `dir`, which it then owns; returns the data directory. */
export function initPostgres(dir, initdb) {
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, id('-u'), id('-g'));
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const options = ['-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'];
  sh('runuser', ['-u', 'postgres', '--', initdb, '-D', data, ...options], 'initdb');
  return data;
}
