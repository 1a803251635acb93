// The network-namespace lab: fresh namespaces in which probe tests and benchmarks know the exact
// ground truth, because nothing else listens there (the shared machine's 0.0.0.0 listeners are
// in the root namespace). Plain ESM so that both vitest and bench/*.bench.mjs (run by node
// directly) can use it; types in netns.d.mts.
//
// Two shapes:
//   createLab({ hosts })  a client namespace (where the prober runs) and a server namespace,
//                         joined by a veth pair; server addresses 10.231.0.1 … 10.231.0.N.
//   createSoloLab()       one namespace with only `lo`: 127.0.0.1 / ::1 with nothing on them.
// NETWORK SAFETY: the client namespace has routes only to the lab subnet (no default route), so
// whatever a test asks for, a probe can never leave the namespaces created here.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const LISTENER = join(here, 'listener.mjs');
const MEASURE = join(here, 'measure.py');
const PREFIX = 'pdl-';
const SUBNET4 = '10.231';
const CLIENT4 = `${SUBNET4}.255.254`;
const UNREACHABLE4 = `${SUBNET4}.200`;
const SUBNET6 = 'fd31:231::';
const CLIENT6 = `${SUBNET6}ffff`;
const MAX_HOSTS = 199; // 10.231.0.1 … 10.231.0.199 stay clear of the unreachable /24 and the client
const IP_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 10_000;

let counter = 0;
/** Every lab not yet destroyed, so the exit handler can clean up after a failing test. */
const live = new Set();

// ---------------------------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------------------------

/** Runs a short administrative command (ip, iptables) synchronously; throws with its stderr. */
function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (r.error) throw new Error(`lab: ${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`lab: ${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

function hasCommand(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  return !r.error && r.status === 0;
}

let python; // resolved once: undefined = not looked up, null = not available
/** The real python3 executable (not a pyenv shim), so the measured pid is python itself. */
function pythonPath() {
  if (python !== undefined) return python;
  const r = spawnSync('python3', ['-c', 'import sys, resource; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: IP_TIMEOUT_MS,
  });
  python = !r.error && r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  return python;
}

let unavailable; // cached reason, null when the lab works
/**
 * Why the lab cannot run here, or null when it can. Checks root, `ip`, `iptables`, and that a
 * namespace can really be created (a container without CAP_SYS_ADMIN has root but no netns).
 */
export function labUnavailable() {
  if (unavailable !== undefined) return unavailable;
  unavailable = check();
  return unavailable;
}

function check() {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'network namespaces need root (run as root, or in CI)';
  if (!hasCommand('ip', ['-V'])) return '`ip` (iproute2) is not installed';
  if (!hasCommand('iptables', ['--version'])) return '`iptables` is not installed';
  const name = `${PREFIX}${process.pid}-check${randomBytes(2).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (add.error || add.status !== 0)
    return `cannot create a network namespace: ${(add.stderr ?? add.error?.message ?? '').trim()}`;
  spawnSync('ip', ['netns', 'del', name], { timeout: IP_TIMEOUT_MS });
  return null;
}

/** Whether measured runs report peak RSS (needs python3; without it maxRssKb is null). */
export function canMeasureRss() {
  return pythonPath() !== null;
}

// ---------------------------------------------------------------------------------------------
// Cleanup
// ---------------------------------------------------------------------------------------------

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Deletes `pdl-PID-…` namespaces left by a process PID that no longer exists (a run killed with
 * SIGKILL cannot clean up). Their processes are lab listeners of that dead run: killed by PID.
 */
export function sweepStale() {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (list.status !== 0) return [];
  const removed = [];
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0];
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name ?? '');
    if (!m || alive(Number(m[1]))) continue;
    killNamespacePids(name);
    spawnSync('ip', ['netns', 'del', name], { timeout: IP_TIMEOUT_MS });
    removed.push(name);
  }
  return removed;
}

function killNamespacePids(name) {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  for (const pid of (pids.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL by PID, then `ip netns del` with spawnSync.
  process.on('exit', () => {
    for (const lab of live) lab.destroySync();
  });
  // A signal would skip 'exit' unless someone handles it; re-raise after cleaning up.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      for (const lab of live) lab.destroySync();
      process.kill(process.pid, sig);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// One namespace
// ---------------------------------------------------------------------------------------------

class Namespace {
  constructor(name, owner) {
    this.name = name;
    this.owner = owner;
  }

  ip(...args) {
    return sh('ip', ['-n', this.name, ...args]);
  }

  exec(cmd, ...args) {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** `iptables -A INPUT …` (ip6tables for family 6) inside this namespace. */
  iptables(family, ...rule) {
    return this.exec(family === 6 ? 'ip6tables' : 'iptables', '-w', '5', ...rule);
  }

  /**
   * Starts a listener process here on each endpoint ({ip, port}, or "ip:port"); resolves once it
   * printed READY. The process is owned by the lab and killed by PID on destroy.
   */
  listen(endpoints) {
    const args = endpoints.map((e) =>
      typeof e === 'string' ? e : e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`,
    );
    const child = spawn('ip', ['netns', 'exec', this.name, process.execPath, LISTENER, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.owner.children.add(child);
    child.on('exit', () => this.owner.children.delete(child));
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`lab: listener in ${this.name} not READY after ${READY_TIMEOUT_MS} ms: ${err.trim()}`));
      }, READY_TIMEOUT_MS);
      child.stderr.on('data', (d) => void (err += d));
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('READY\n')) {
          clearTimeout(timer);
          resolve(new Listener(child));
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`lab: listener in ${this.name} exited ${code ?? signal} before READY: ${err.trim()}`));
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`lab: cannot start listener in ${this.name}: ${e.message}`));
      });
    });
  }

  /**
   * Runs argv inside this namespace, bounded by timeoutMs. With python3 present the command runs
   * under measure.py, which reports its wall time, CPU time and peak RSS; otherwise wall time
   * is taken here (including `ip netns exec`) and maxRssKb and cpuMs are null.
   */
  run(argv, { timeoutMs = 120_000, cwd, env } = {}) {
    const py = pythonPath();
    const seconds = String(timeoutMs / 1000);
    const full = py
      ? ['netns', 'exec', this.name, py, MEASURE, seconds, ...argv]
      : ['netns', 'exec', this.name, ...argv];
    const child = spawn('ip', full, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
    });
    this.owner.children.add(child);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const out = [];
      const err = [];
      let report = '';
      child.stdout.on('data', (d) => out.push(d));
      child.stderr.on('data', (d) => err.push(d));
      child.stdio[3].on('data', (d) => void (report += d));
      // measure.py kills the command itself at the timeout; this backstop covers a wrapper
      // that hangs, and the no-python path.
      let killed = false;
      const backstop = setTimeout(
        () => {
          killed = true;
          child.kill('SIGKILL');
        },
        timeoutMs + (py ? 5_000 : 0),
      );
      child.on('error', (e) => {
        clearTimeout(backstop);
        this.owner.children.delete(child);
        reject(new Error(`lab: cannot run ${argv[0]} in ${this.name}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(backstop);
        this.owner.children.delete(child);
        const wallMs = Math.round((performance.now() - started) * 10) / 10;
        const base = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        if (py && report.trim()) {
          resolve({ ...base, ...JSON.parse(report) });
        } else {
          resolve({
            ...base,
            code: killed ? null : code,
            signal: killed ? 'SIGKILL' : signal,
            wallMs,
            maxRssKb: null,
            cpuMs: null,
            timedOut: killed,
          });
        }
      });
    });
  }
}

class Listener {
  constructor(child) {
    this.child = child;
    this.pid = child.pid;
  }

  /** Closes stdin (the listener exits), then SIGKILL after 2 s. */
  stop() {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Labs
// ---------------------------------------------------------------------------------------------

class Lab {
  constructor(names) {
    this.names = names;
    this.children = new Set();
    this.destroyed = false;
    live.add(this);
  }

  addNamespace(name) {
    sh('ip', ['netns', 'add', name]);
    this.names.push(name);
    const ns = new Namespace(name, this);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** Listeners on the server side. */
  listen(endpoints) {
    return this.server.listen(endpoints);
  }

  /** Runs argv on the client side (see Namespace.run). */
  run(argv, options) {
    return this.client.run(argv, options);
  }

  /**
   * Filtered ports: DROP inbound SYNs to ports from…to on the server side, for one address
   * (`ip`) or all. No RST, no ICMP: the prober sees silence.
   */
  drop(from, to = from, { ip, family } = {}) {
    const fam = family ?? (ip?.includes(':') ? 6 : 4);
    const rule = ['-A', 'INPUT', '-p', 'tcp', ...(ip ? ['-d', ip] : []), '--dport', `${from}:${to}`, '-j', 'DROP'];
    this.server.iptables(fam, ...rule);
  }

  /**
   * Random loss of inbound TCP packets on the server side (this kernel has no netem): each
   * packet (SYN, ACK, …) is dropped with the given probability.
   */
  loss(probability, { family = 4 } = {}) {
    this.server.iptables(
      family,
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      String(probability),
      '-j',
      'DROP',
    );
  }

  /**
   * `count` addresses that the client has an `unreachable` route to: connect() fails at once
   * with EHOSTUNREACH, without a packet leaving the client namespace.
   */
  unreachable(count = 1) {
    if (count < 1 || count > 254) throw new Error(`lab: unreachable count ${count} out of 1…254`);
    if (!this.unreachableRoute) {
      this.client.ip('route', 'add', 'unreachable', `${UNREACHABLE4}.0/24`);
      this.unreachableRoute = true;
    }
    return Array.from({ length: count }, (_, i) => `${UNREACHABLE4}.${i + 1}`);
  }

  /** Kills the lab's processes by PID and deletes its namespaces. Idempotent. */
  async destroy() {
    if (this.destroyed) return;
    const exits = [...this.children].map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(resolve, 3_000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
    this.destroySync();
  }

  destroySync() {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const c of this.children) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const name of this.names) {
      // Anything still inside is ours (started by this lab): killed before the name goes.
      killNamespacePids(name);
      spawnSync('ip', ['netns', 'del', name], { timeout: IP_TIMEOUT_MS });
    }
  }
}

function uniqueBase() {
  counter += 1;
  // pid keeps names apart between processes, the random part between vitest worker threads.
  return `${PREFIX}${process.pid}-${counter}${randomBytes(2).toString('hex')}`;
}

function prepare() {
  const reason = labUnavailable();
  if (reason) throw new Error(`lab unavailable: ${reason}`);
  sweepStale();
  installExitHook();
}

/**
 * A client and a server namespace joined by a veth pair. The server has `hosts` IPv4 addresses
 * 10.231.0.1 … and `hosts6` IPv6 addresses fd31:231::1 …; the client is 10.231.255.254 and
 * fd31:231::ffff, with no other route.
 */
export async function createLab({ hosts = 1, hosts6 = 0 } = {}) {
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS)
    throw new Error(`lab: hosts ${hosts} out of 1…${MAX_HOSTS}`);
  if (!Number.isInteger(hosts6) || hosts6 < 0 || hosts6 > MAX_HOSTS)
    throw new Error(`lab: hosts6 ${hosts6} out of 0…${MAX_HOSTS}`);
  prepare();
  const base = uniqueBase();
  const lab = new Lab([]);
  try {
    lab.client = lab.addNamespace(`${base}-c`);
    lab.server = lab.addNamespace(`${base}-s`);
    // The veth pair is created inside the client namespace, so its names never meet the root
    // namespace's interfaces nor another lab's.
    lab.client.ip('link', 'add', 'pdlc', 'type', 'veth', 'peer', 'name', 'pdls', 'netns', lab.server.name);
    lab.client.ip('addr', 'add', `${CLIENT4}/16`, 'dev', 'pdlc');
    lab.addresses = [];
    for (let i = 1; i <= hosts; i++) {
      const addr = `${SUBNET4}.0.${i}`;
      lab.server.ip('addr', 'add', `${addr}/16`, 'dev', 'pdls');
      lab.addresses.push(addr);
    }
    lab.addresses6 = [];
    if (hosts6 > 0) {
      // nodad: usable at once, instead of after duplicate address detection (~1-2 s).
      lab.client.ip('addr', 'add', `${CLIENT6}/64`, 'dev', 'pdlc', 'nodad');
      for (let i = 1; i <= hosts6; i++) {
        const addr = `${SUBNET6}${i.toString(16)}`;
        lab.server.ip('addr', 'add', `${addr}/64`, 'dev', 'pdls', 'nodad');
        lab.addresses6.push(addr);
      }
    }
    lab.client.ip('link', 'set', 'pdlc', 'up');
    lab.server.ip('link', 'set', 'pdls', 'up');
    lab.clientAddress = CLIENT4;
    return lab;
  } catch (err) {
    lab.destroySync();
    throw err;
  }
}

/** One fresh namespace with only `lo` up: 127.0.0.1 and ::1 with nothing listening. */
export async function createSoloLab() {
  prepare();
  const lab = new Lab([]);
  try {
    lab.client = lab.addNamespace(uniqueBase());
    lab.server = lab.client;
    lab.addresses = ['127.0.0.1'];
    lab.addresses6 = existsSync('/proc/sys/net/ipv6') ? ['::1'] : [];
    return lab;
  } catch (err) {
    lab.destroySync();
    throw err;
  }
}

/** The namespaces of labs not yet destroyed (for tests of the lab itself). */
export function liveNamespaces() {
  return [...live].flatMap((l) => l.names);
}
