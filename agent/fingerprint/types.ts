// The contract between the fingerprint runner and the protocol modules (one file per protocol).
// A module recognises its own protocol's answer in bytes; a client-first module also says what
// to send. Every answer is shown to every module (a server-first banner arrives whatever was
// sent), so a module must be strict: `more` only while the bytes so far can still become its
// answer, null as soon as they cannot.
import type { Fingerprint, ServiceName } from '../../shared/types.js';

export interface HelloContext {
  /** The name as given (for Host headers, SNI and certificate checks) and the address dialled. */
  host: string;
  ip: string;
  port: number;
  /** The service expected here (given, or the port's usual one), for answers that fit two protocols. */
  hint: ServiceName | null;
  /** Whose hello this connection carried; null while only waiting for a banner. */
  sent: ServiceName | null;
}

/** A recognised answer, `more` (a valid prefix: keep reading), or null (not this protocol). */
export type Match = Fingerprint | 'more' | null;

export interface Limits {
  /** performance.now() by which the whole port's fingerprinting ends. */
  deadline: number;
  /** Longest wait for this one attempt (capped by the deadline). */
  timeoutMs: number;
  /** Most bytes read in this attempt. */
  maxBytes: number;
  signal?: AbortSignal;
}

/** What one attempt (one fresh connection) saw. */
export interface AttemptResult {
  fingerprint: Fingerprint | null;
  /** The bytes received (at most maxBytes), for an excerpt when nothing matched. */
  data: Buffer;
  /** Bytes read from the socket (TLS: the raw, encrypted bytes). */
  bytes: number;
  /** Why the attempt ended without a match: `timeout`, `closed`, `ECONNRESET`, a TLS error, … */
  end?: string;
}

export interface ProtocolModule {
  name: ServiceName;
  /** What to send on a fresh connection; null for a server-first protocol (its banner is awaited). */
  hello: ((ctx: HelloContext) => Buffer) | null;
  /** Recognise received bytes. `done`: no more will come (closed, timed out, or the read cap reached). */
  match(data: Buffer, done: boolean, ctx: HelloContext): Match;
  /** A whole attempt of its own instead of hello + match (TLS needs node:tls for the certificate). */
  attempt?: (ctx: HelloContext, limits: Limits) => Promise<AttemptResult>;
}
