// errno → what a connect outcome means (docs/design/probe-engine.md#results, following nmap's handleConnectResult).
// Statuses are negative libuv errnos, the numbers node's tcp_wrap reports and that equal
// -errno on Linux; names come from libuv's own map (util.getSystemErrorMap), which also knows
// EHOSTDOWN and ENONET that os.constants.errno lacks. A local error of the prober is never a
// port state: the probe is requeued and the window shrinks.
import { getSystemErrorMap } from 'node:util';

export const enum Outcome {
  Open = 1,
  Closed = 2,
  /** No answer: the deadline passed, ETIMEDOUT, or an errno that proves nothing about the port. */
  Filtered = 3,
  /** ICMP unreachable / prohibited, or a local egress policy (EPERM). */
  Unreachable = 4,
  /** The prober's own resources ran out (fds, ephemeral ports, buffers): retry, never a state. */
  Local = 5,
  /** The address cannot be probed from here at all (EINVAL: IPv6 link-local without a zone). */
  Config = 6,
}

const NAMES = new Map<number, string>([...getSystemErrorMap()].map(([n, [name]]) => [n, name]));
const NUMBERS = new Map<string, number>([...NAMES].map(([n, name]) => [name, n]));

const TABLE = new Map<number, Outcome>();
const set = (o: Outcome, ...names: string[]) => {
  for (const name of names) {
    const n = NUMBERS.get(name);
    if (n !== undefined) TABLE.set(n, o);
  }
};
set(Outcome.Closed, 'ECONNREFUSED', 'ECONNRESET');
set(Outcome.Filtered, 'ETIMEDOUT', 'EHOSTDOWN');
set(Outcome.Unreachable, 'EHOSTUNREACH', 'ENETUNREACH', 'ENONET', 'EACCES', 'EPERM', 'ENETDOWN');
set(
  Outcome.Local,
  'EMFILE',
  'ENFILE',
  'ENOBUFS',
  'ENOMEM',
  'EADDRNOTAVAIL',
  'EADDRINUSE',
  'EAGAIN',
  'EWOULDBLOCK',
  'EINTR',
);
set(Outcome.Config, 'EINVAL', 'EAFNOSUPPORT', 'EDESTADDRREQ', 'EISCONN');

/** Classify a connect status: 0 is a completed handshake, a negative number a libuv errno. */
export function classify(status: number): Outcome {
  if (status === 0) return Outcome.Open;
  // Unknown errnos prove nothing about the port: inconclusive, so retried like a timeout.
  return TABLE.get(status) ?? Outcome.Filtered;
}

/** `ECONNREFUSED` for -111; `errno -N` for a number the platform does not name. */
export function errnoName(status: number): string {
  return NAMES.get(status) ?? `errno ${status}`;
}

/** The negative errno for an error code (`'EMFILE'` → -24), for transports that report codes. */
export function statusOf(code: string | undefined): number {
  return (code === undefined ? undefined : NUMBERS.get(code)) ?? NUMBERS.get('EIO') ?? -5;
}
