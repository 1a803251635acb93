// End-to-end harness for `portdrift agent` in the network-namespace lab (test/lab/netns.mjs):
// long-running portdrift processes (collector, agents) started inside a lab namespace with
// `ip netns exec` (which execs, so the PID we hold is node itself and signals reach it), their
// pino JSON logs captured line by line, bounded waits on them, SYN counters in iptables (a
// connection attempt that reaches an address is counted before any listener sees it, so a
// counter at 0 means no packet ever arrived), and the IaC fixture written at test time.
// Every process started here is tracked and killed by PID in killAll().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type Namespace } from '../../lab/netns.mjs';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
/**
 * The built CLI. PORTDRIFT_TEST_MAIN points at another build of the same tree (a developer's
 * private one, where others rebuild dist/ underneath a running test); CI uses dist/.
 */
export const MAIN = process.env.PORTDRIFT_TEST_MAIN ?? join(ROOT, 'dist', 'cli', 'main.js');

export function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** A node process (a portdrift command, or a helper script) running inside a namespace. */
export class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;
  private err = '';
  private out = '';
  private waiters = new Set<() => void>();

  constructor(
    readonly label: string,
    /** null: in the test's own network namespace (loopback tests that need no lab). */
    ns: Namespace | null,
    /** node's arguments: a script and its arguments. */
    nodeArgs: string[],
    env: Record<string, string> = {},
  ) {
    const [cmd, args] = ns
      ? ['ip', ['netns', 'exec', ns.name, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    this.child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    if (this.child.pid === undefined) throw new Error(`${label}: could not spawn`);
    this.pid = this.child.pid;
    live.add(this);
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        live.delete(this);
        this.wake();
        resolve(this.exit);
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  get stderr(): string {
    return this.err;
  }

  get stdout(): string {
    return this.out;
  }

  /** The JSON lines of stderr (pino), others ignored. */
  logs(): LogLine[] {
    const lines: LogLine[] = [];
    for (const l of this.err.split('\n')) {
      if (!l.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(l) as LogLine);
      } catch {
        // a line still being written
      }
    }
    return lines;
  }

  /** Log lines with this message. */
  messages(msg: string): LogLine[] {
    return this.logs().filter((l) => l.msg === msg);
  }

  /**
   * Resolves with `pred`'s first non-undefined answer, re-evaluated on every output chunk and
   * every 100 ms; rejects after timeoutMs or when the process exits first (naming `what`).
   */
  waitFor<T>(what: string, pred: () => T | undefined | false | null, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const v = pred();
        if (v !== undefined && v !== false && v !== null) {
          done();
          resolve(v as T);
          return true;
        }
        if (this.exit) {
          done();
          reject(
            new Error(
              `${this.label} exited (${this.exit.code ?? this.exit.signal}` +
                `) before ${what}; stderr tail:\n${this.err.slice(-3000)}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; stderr tail:\n${this.err.slice(-3000)}`));
      }, timeoutMs);
      const tick = setInterval(check, 100);
      const done = () => {
        clearTimeout(timer);
        clearInterval(tick);
        this.waiters.delete(onData);
      };
      const onData = () => void check();
      this.waiters.add(onData);
      check();
    });
  }

  /** Waits for the n-th log line with this message (1-based) and returns it. */
  waitForLog(msg: string, timeoutMs: number, n = 1, filter: (l: LogLine) => boolean = () => true): Promise<LogLine> {
    return this.waitFor(`log line "${msg}" #${n}`, () => this.messages(msg).filter(filter)[n - 1], timeoutMs);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit) return;
    process.kill(this.pid, sig);
  }

  /** Waits for the exit, at most timeoutMs (then SIGKILL and reject). */
  async waitExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`${this.label} did not exit within ${timeoutMs} ms; stderr tail:\n${this.err.slice(-3000)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL by PID (no-op once exited). */
  kill(): void {
    if (this.exit) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const live = new Set<Proc>();

/** `portdrift ARGS…` (the built CLI) inside `ns` (null: here, for loopback-only tests). */
export function portdrift(label: string, ns: Namespace | null, args: string[], env: Record<string, string> = {}): Proc {
  requireBuild();
  return new Proc(label, ns, [MAIN, ...args], env);
}

/** SIGKILLs every process of this harness still running, by PID, and waits (bounded) for them. */
export async function killAll(): Promise<void> {
  const procs = [...live];
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 3000))])));
}

/** SIGKILLs these processes (by PID) and waits (bounded) for them: a block that runs beside others. */
export async function killEach(procs: readonly Proc[]): Promise<void> {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 3000))])));
}

// ---------------------------------------------------------------------------------------------
// A lab per describe block
// ---------------------------------------------------------------------------------------------

export interface LabRun {
  lab: Lab;
  /** A temporary directory for the block's databases and fixtures. */
  dir: string;
  /** The lab client's address, where the collector listens. */
  client: string;
}

/** A lab with `hosts` server addresses and a temporary directory named after `prefix` (for beforeAll). */
export async function openLab(prefix: string, hosts: number): Promise<LabRun> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const lab = await createLab({ hosts });
  return { lab, dir, client: clientAddress(lab.client) };
}

/** Kills every process this harness started, removes the lab and the directory (for afterAll). */
export async function closeLab(lab: Lab | undefined, dir: string | undefined): Promise<void> {
  await killAll();
  await lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The batch files waiting in an agent's spool directory (none when it does not exist yet). */
export function spooled(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Collector, tokens, queries
// ---------------------------------------------------------------------------------------------

/** The IPv4 address of the lab's client end of the veth (where agents in both namespaces reach the collector). */
export function clientAddress(ns: Namespace): string {
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(ns.ip('-4', '-o', 'addr', 'show', 'dev', 'pdlc'));
  if (!m) throw new Error(`no IPv4 address on pdlc in ${ns.name}`);
  return m[1]!;
}

export interface Collector {
  proc: Proc;
  url: string;
}

/** `portdrift collector` inside `ns`, listening on HOST:0; resolves with its URL once it listens. */
export async function startCollector(
  ns: Namespace,
  host: string,
  args: string[],
  label = 'collector',
): Promise<Collector> {
  const proc = portdrift(label, ns, ['collector', '--listen', `${host}:0`, ...args]);
  const url = await proc.waitFor('"listening on"', () => /listening on (http\S+?)["\s]/.exec(proc.stderr)?.[1], 20_000);
  return { proc, url };
}

/** `portdrift collector` again on a fixed URL (a restart on the same address and port). */
export async function restartCollector(ns: Namespace, url: string, args: string[], label: string): Promise<Collector> {
  const u = new URL(url);
  const proc = portdrift(label, ns, ['collector', '--listen', `${u.hostname}:${u.port}`, ...args]);
  await proc.waitFor('"listening on"', () => /listening on (http\S+?)["\s]/.exec(proc.stderr)?.[1], 20_000);
  return { proc, url };
}

/** `portdrift token create` on the store file (the collector need not run). */
export function createToken(
  data: string,
  role: 'agent' | 'reader' | 'admin',
  name: string,
  tokenScope?: string,
): string {
  requireBuild();
  // Agent tokens need a scope; most tests give each agent its own --scope, so the token's is any.
  const scope = role === 'agent' ? ['--scope', tokenScope ?? '0.0.0.0/0,::/0'] : [];
  const args = [MAIN, 'token', 'create', '--data', data, '--role', role, '--name', name, ...scope];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000, cwd: ROOT });
  if (r.status !== 0) throw new Error(`token create exited ${r.status ?? r.signal}: ${r.stderr}`);
  const token = r.stdout.trim().split('\n').pop()!.trim();
  if (!/^\S{16,}$/.test(token)) throw new Error(`token create printed no token: ${JSON.stringify(r.stdout)}`);
  return token;
}

export interface DriftFinding {
  id: string;
  kind: string;
  severity: string;
  resource: string;
  host: string;
  port: number;
  observedPort?: number | null;
  state?: string | null;
  agent?: string | null;
  source: { file: string; line: number };
  message: string;
}

export interface DriftJson {
  version: number;
  summary: { findings: number; byKind: Record<string, number> };
  findings: DriftFinding[];
}

/** Runs a query subcommand of the built CLI inside `ns`; returns exit code and output. */
export async function query(
  ns: Namespace,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  const r = await ns.run([process.execPath, MAIN, ...args], { timeoutMs, cwd: ROOT });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** `portdrift drift --format json` against the collector (exit 0 or 2, else throws). */
export async function drift(ns: Namespace, url: string, token: string, extra: string[] = []): Promise<DriftJson> {
  const r = await query(ns, ['drift', '--collector', url, '--token', token, '--format', 'json', ...extra]);
  if (r.code !== 0 && r.code !== 2) throw new Error(`portdrift drift exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DriftJson;
}

/** Polls `drift` until `pred` holds (bounded); returns the last answer. */
export async function waitForDrift(
  ns: Namespace,
  url: string,
  token: string,
  what: string,
  pred: (d: DriftJson) => boolean,
  timeoutMs: number,
): Promise<DriftJson> {
  const deadline = Date.now() + timeoutMs;
  let last: DriftJson | undefined;
  for (;;) {
    last = await drift(ns, url, token);
    if (pred(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `drift: no ${what} within ${timeoutMs} ms; last findings:\n` +
          `${JSON.stringify(last.findings.map(short), null, 1)}`,
      );
    await sleep(300);
  }
}

/** The parts of a finding that say what drifted, for comparisons. */
export function short(f: DriftFinding): string {
  return (
    `${f.kind} ${f.resource} ${f.host}:` +
    `${f.port}${f.observedPort ? `→${f.observedPort}` : ''}${f.agent ? ` by ${f.agent}` : ''}`
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// SYN counters
// ---------------------------------------------------------------------------------------------

export interface CounterSpec {
  /** Destination address. */
  dst: string;
  /** Destination port; all ports when absent. */
  dport?: number;
  /** Inbound interface (`lo` = from this namespace itself, `pdls` = over the veth from the client). */
  iface?: string;
}

let counterSeq = 0;

/**
 * Counts inbound TCP SYNs matching `spec` in `ns` (a rule with no target, inserted first in
 * INPUT, so a later DROP rule does not hide anything). Returns a function reading the count.
 */
export function synCounter(ns: Namespace, spec: CounterSpec): () => number {
  const tag = `pdagent-${process.pid}-${++counterSeq}`;
  const family = spec.dst.includes(':') ? 6 : 4;
  ns.iptables(
    family,
    '-I',
    'INPUT',
    '1',
    '-p',
    'tcp',
    '--syn',
    '-d',
    spec.dst,
    ...(spec.dport ? ['--dport', String(spec.dport)] : []),
    ...(spec.iface ? ['-i', spec.iface] : []),
    '-m',
    'comment',
    '--comment',
    tag,
  );
  return () => {
    const table = ns.iptables(family, '-nvxL', 'INPUT');
    const line = table.split('\n').find((l) => l.includes(`/* ${tag} */`));
    if (!line) throw new Error(`SYN counter ${tag} not found in ${ns.name}:\n${table}`);
    return Number(line.trim().split(/\s+/)[0]);
  };
}

// ---------------------------------------------------------------------------------------------
// IaC fixture
// ---------------------------------------------------------------------------------------------

export interface FixtureResource {
  /** Terraform type with a `port` attribute: aws_db_instance, aws_elasticache_cluster, aws_lb_target_group. */
  type: 'aws_db_instance' | 'aws_elasticache_cluster' | 'aws_lb_target_group';
  name: string;
  port: number;
  hosts: string[];
}

/** Writes main.tf and targets.yaml into dir; returns the collector's --iac/--targets flags. */
export function writeFixture(dir: string, resources: FixtureResource[]): string[] {
  const tf = resources
    .map((r) => {
      const extra =
        r.type === 'aws_db_instance'
          ? '  engine = "postgres"\n'
          : r.type === 'aws_elasticache_cluster'
            ? '  engine = "redis"\n'
            : '  protocol = "TCP"\n';
      return `resource "${r.type}" "${r.name}" {\n${extra}  port = ${r.port}\n}\n`;
    })
    .join('\n');
  const entry = (r: (typeof resources)[number]) =>
    `  - resource: ${r.type}.${r.name}\n    hosts: [${r.hosts.join(', ')}]\n`;
  const targets = `targets:\n${resources.map(entry).join('')}`;
  writeFileSync(join(dir, 'main.tf'), tf);
  writeFileSync(join(dir, 'targets.yaml'), targets);
  return ['--iac', join(dir, 'main.tf'), '--targets', join(dir, 'targets.yaml')];
}
