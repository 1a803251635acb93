// Probing: port states, probe results and service fingerprints.

/**
 * `open`: handshake completed. `closed`: RST / ECONNREFUSED. `filtered`: no answer within the
 * timeout, also after retry. `unreachable`: EHOSTUNREACH / ENETUNREACH. A local error of the
 * prober (EMFILE, EADDRNOTAVAIL, …) is never a port state.
 */
export type PortState = 'open' | 'closed' | 'filtered' | 'unreachable';

export interface ProbeResult {
  /** The name as given (DNS name or IP literal). */
  host: string;
  /** The address actually probed (every A and AAAA record is probed separately). */
  ip: string;
  port: number;
  state: PortState;
  /** Handshake or RST round-trip time; null for filtered / unreachable. */
  rttMs: number | null;
  /** Attempts made for this result (1 unless retried). */
  attempts: number;
  /** What answered on an open port, when fingerprinting was asked for (`probe --fingerprint`). */
  fingerprint?: Fingerprint;
}

/**
 * Service names a fingerprint can give (shared/services.ts lists them with their aliases).
 * `unknown`: the port is open but no banner and no hello answer matched.
 */
export type ServiceName =
  | 'ssh'
  | 'smtp'
  | 'ftp'
  | 'mysql'
  | 'postgres'
  | 'tls'
  | 'http'
  | 'http2'
  | 'redis'
  | 'memcached'
  | 'mongodb'
  | 'kafka'
  | 'amqp'
  | 'unknown';

/** The certificate a TLS service presented (read, never verified: a fingerprint, not trust). */
export interface TlsInfo {
  /** `CN=orders.internal, O=Acme` */
  subject: string;
  issuer: string;
  /** subjectAltName entries as `DNS:name` / `IP:address`. */
  sans: string[];
  /** ISO-8601 expiry of the certificate. */
  notAfter: string;
  selfSigned: boolean;
  /** Negotiated protocol version (`TLSv1.3`) and ALPN protocol (`h2`, `http/1.1`) where one was chosen. */
  protocol?: string;
  alpn?: string;
  /** Whether the certificate covers the probed host name; absent when the host was an IP literal. */
  hostMatch?: boolean;
}

/** One open port's protocol fingerprint, from a passive banner or one read-only hello. */
export interface Fingerprint {
  service: ServiceName;
  /** `OpenSSH`, `nginx`, `MariaDB`, … where the answer names it. */
  product?: string;
  version?: string;
  tls?: TlsInfo;
  /** A short human note: the banner line, the HTTP status line, why nothing matched. */
  detail?: string;
}

export interface ProbeSummary {
  probes: number;
  open: number;
  closed: number;
  filtered: number;
  unreachable: number;
  seconds: number;
}

/** `portdrift probe --format json`, version 1. `results` lists every non-closed result unless `--all`. */
export interface ProbeOutput {
  version: 1;
  results: ProbeResult[];
  summary: ProbeSummary;
}
