// Port specs (`22,80,8000-8100`, `top`, `all`) and the curated list of common internal service
// ports. Used by the CLI, the probe engine, the collector's plans and the wire format (sweep
// records carry their port sets as specs, so a 65535-port sweep stays a short string).
import { PortdriftError } from './errors.js';
import type { PortState } from './types.js';

/**
 * Every port state, once (the meaning of each is on `PortState`). The order is the one-byte code
 * of a state (0-based here) wherever states travel as bytes: the probe engine's result codes and
 * the collector's observation columns. Append only: a reorder would change what stored codes mean.
 */
export const PORT_STATES = Object.freeze([
  'open',
  'closed',
  'filtered',
  'unreachable',
] as const satisfies readonly PortState[]);
// The list names every PortState: adding a state to the type without it here fails to compile.
const everyState: Exclude<PortState, (typeof PORT_STATES)[number]> extends never ? true : never = true;
void everyState;

const STATE_SET: ReadonlySet<string> = new Set(PORT_STATES);

/** True when `v` is one of the port states. */
export const isPortState = (v: unknown): v is PortState => typeof v === 'string' && STATE_SET.has(v);

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/**
 * Common ports of internal services: databases, caches, queues, search, service discovery,
 * web and admin, observability, remote access. Written from protocol knowledge (IANA and each
 * project's documented defaults); deliberately not derived from nmap's NPSL-licensed data.
 */
export const TOP_PORTS: readonly number[] = Object.freeze(
  [
    // remote access and infrastructure
    21, 22, 23, 25, 53, 80, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 514, 587, 636, 873, 993, 995, 1080, 1194,
    2049, 2222, 3128, 3389, 5900, 5901, 5985, 5986, 8006,
    // databases
    1433, 1434, 1521, 1522, 3050, 3306, 3307, 5000, 5432, 5433, 5434, 5439, 6432, 7000, 7001, 7199, 8086, 8087, 8088,
    8123, 9000, 9042, 9160, 26257, 27017, 27018, 27019, 28015, 29015, 50000,
    // caches, queues, streaming
    4222, 4369, 5671, 5672, 6222, 6379, 6380, 8222, 9092, 9093, 9094, 9095, 9096, 9098, 11211, 15672, 25672, 61613,
    61614, 61616, 61617, 1883, 8883,
    // search and analytics
    8983, 9200, 9300, 9600, 5601, 8182, 7474, 7687,
    // service discovery, orchestration, secrets
    2375, 2376, 2379, 2380, 4001, 6443, 8200, 8201, 8300, 8301, 8302, 8500, 8501, 8502, 8600, 10250, 10255, 10256,
    10257, 10259, 30000, 32767,
    // web, app servers, admin consoles
    81, 591, 3000, 3001, 4000, 4200, 4443, 4848, 5001, 5005, 5050, 5555, 7070, 7443, 8000, 8001, 8008, 8009, 8010, 8069,
    8080, 8081, 8082, 8083, 8084, 8085, 8089, 8090, 8091, 8161, 8181, 8443, 8444, 8800, 8880, 8888, 8889, 9001, 9080,
    9090, 9091, 9443, 9999, 10000, 10443, 50070,
    // observability and debugging
    4317, 4318, 5044, 5140, 6060, 8125, 9100, 9101, 9102, 9104, 9113, 9114, 9115, 9121, 9187, 9229, 9411, 14250, 14268,
    16686, 24224,
    // gRPC and service mesh
    9901, 15000, 15001, 15006, 15014, 15020, 15021, 50051,
  ]
    .sort((a, b) => a - b)
    .filter((p, i, a) => a.indexOf(p) === i),
);

/** Ports whose unexpected exposure is high severity: remote administration and databases. */
export const SENSITIVE_PORTS: ReadonlySet<number> = new Set([
  22, 23, 2222, 3389, 5900, 5901, 5985, 5986, 2375, 2376, 2379, 6443, 10250, 1433, 1521, 3306, 5432, 6379, 9042, 9200,
  11211, 27017, 26257, 7687, 8086, 9000, 50000,
]);

/**
 * A bad spec: the message names the field or flag it came from (when given), the spec and the
 * problem; the details carry the same as fields, for callers that compose their own message
 * (a wire batch names its line) instead of rewriting this one.
 */
function invalid(spec: string, problem: string, field: string | undefined): PortdriftError {
  const message = `${field ? `${field}: ` : ''}invalid port spec "${spec}": ${problem}`;
  return new PortdriftError('PD_PORT_SPEC', message, { details: { ...(field ? { field } : {}), spec, problem } });
}

/** A port written as text (digits only, 1-65535), or null. The one rule for a single port. */
export function portNumber(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= MIN_PORT && n <= MAX_PORT ? n : null;
}

export interface PortSpecRules {
  /** Where the spec came from (`--ports`, `discovery`, `targets[0].discovery`): named in the error. */
  field?: string;
  /**
   * Only numbers, commas and dashes (no `top`, `all` or spaces): what machines write to each
   * other (the wire format), where a word would mean a port set that differs between versions.
   */
  numeric?: boolean;
}

const runsOf = (ports: readonly number[]): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  for (const p of ports) {
    const last = out[out.length - 1];
    if (last && last[1] === p - 1) last[1] = p;
    else out.push([p, p]);
  }
  return out;
};
const TOP_RUNS = runsOf(TOP_PORTS);

/**
 * The one port-spec parser: each comma-separated part as an inclusive run `[lo, hi]`, in the
 * order written, not expanded (a 65535-port sweep stays a few pairs). Accepts `all`, `top`,
 * single ports, ranges `a-b` and open ranges `-b` / `a-`; spaces around parts are ignored;
 * an empty spec has no runs. Throws PD_PORT_SPEC naming `rules.field`, the spec and the part.
 */
export function portSpecRuns(spec: string, rules: PortSpecRules = {}): Array<[number, number]> {
  const { field, numeric = false } = rules;
  if (numeric && !/^[0-9,-]*$/.test(spec)) {
    throw invalid(spec, 'must be numeric: only port numbers, commas and dashes, such as 22,80,8000-8100', field);
  }
  const port = (text: string): number => {
    const n = portNumber(text);
    if (n !== null) return n;
    if (/^\d+$/.test(text)) throw invalid(spec, `${Number(text)} is outside ${MIN_PORT}-${MAX_PORT}`, field);
    throw invalid(spec, `"${text}" is not a port number`, field);
  };
  const out: Array<[number, number]> = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    if (part === 'all') {
      out.push([MIN_PORT, MAX_PORT]);
      continue;
    }
    if (part === 'top') {
      out.push(...TOP_RUNS.map(([lo, hi]): [number, number] => [lo, hi]));
      continue;
    }
    // A lone `-` is what `--ports "$LO-$HI"` becomes when both are empty: not a request for
    // every port (that is `all`).
    if (part === '-') throw invalid(spec, 'a range needs at least one end (every port is "all")', field);
    const dash = part.indexOf('-');
    if (dash === -1) {
      const p = port(part);
      out.push([p, p]);
      continue;
    }
    const lo = dash === 0 ? MIN_PORT : port(part.slice(0, dash));
    const hi = dash === part.length - 1 ? MAX_PORT : port(part.slice(dash + 1));
    if (lo > hi) throw invalid(spec, `range ${part} runs backwards`, field);
    out.push([lo, hi]);
  }
  return out;
}

/** A spec (rules as for portSpecRuns) as a sorted list of distinct ports. */
export function parsePortSpec(spec: string, rules: PortSpecRules = {}): number[] {
  const seen = new Uint8Array(MAX_PORT + 1);
  for (const [lo, hi] of portSpecRuns(spec, rules)) seen.fill(1, lo, hi + 1);
  const out: number[] = [];
  for (let p = MIN_PORT; p <= MAX_PORT; p++) if (seen[p]) out.push(p);
  return out;
}

/** The shortest spec for a set of ports: `1-21,23-79,81-65535`. Input need not be sorted. */
export function formatPortSpec(ports: Iterable<number>): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

/** True when `port` is a valid TCP/UDP port number. */
export function isPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= MIN_PORT && port <= MAX_PORT;
}
