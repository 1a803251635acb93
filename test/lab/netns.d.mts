// Types of netns.mjs (the lab is plain ESM so that bench/*.bench.mjs can import it too).

export interface Endpoint {
  ip: string;
  port: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code, null when killed by a signal. */
  code: number | null;
  signal: string | null;
  wallMs: number;
  /** Peak resident set size of the command in KiB; null without python3. */
  maxRssKb: number | null;
  /** User + system CPU time of the command in ms; null without python3. */
  cpuMs: number | null;
  /** Killed because it ran longer than timeoutMs. */
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
}

export interface Listener {
  readonly pid: number;
  stop(): Promise<void>;
}

export interface Namespace {
  readonly name: string;
  /** `ip -n NAME …`; returns stdout, throws with stderr. */
  ip(...args: string[]): string;
  /** `ip netns exec NAME cmd …`; returns stdout, throws with stderr. */
  exec(cmd: string, ...args: string[]): string;
  iptables(family: 4 | 6, ...rule: string[]): string;
  listen(endpoints: Array<Endpoint | string>): Promise<Listener>;
  run(argv: string[], options?: RunOptions): Promise<RunResult>;
}

export interface Lab {
  /** Where the prober runs. */
  readonly client: Namespace;
  /** Where listeners and filters live (the same namespace as client in a solo lab). */
  readonly server: Namespace;
  /** Server IPv4 addresses (10.231.0.1 …), or ['127.0.0.1'] in a solo lab. */
  readonly addresses: string[];
  /** Server IPv6 addresses (fd31:231::1 …), or ['::1'] in a solo lab. */
  readonly addresses6: string[];
  readonly names: string[];
  listen(endpoints: Array<Endpoint | string>): Promise<Listener>;
  run(argv: string[], options?: RunOptions): Promise<RunResult>;
  /** DROP inbound TCP to ports from…to on the server side (one address, or all). */
  drop(from: number, to?: number, options?: { ip?: string; family?: 4 | 6 }): void;
  /** Drop each inbound TCP packet on the server side with this probability. */
  loss(probability: number, options?: { family?: 4 | 6 }): void;
  /** Addresses behind an `unreachable` route in the client (EHOSTUNREACH at once). */
  unreachable(count?: number): string[];
  destroy(): Promise<void>;
  destroySync(): void;
}

/** Why the lab cannot run on this machine, or null. */
export function labUnavailable(): string | null;
export function canMeasureRss(): boolean;
export function sweepStale(): string[];
export function createLab(options?: { hosts?: number; hosts6?: number }): Promise<Lab>;
export function createSoloLab(): Promise<Lab>;
export function liveNamespaces(): string[];
