// The service a declared port is expected to speak, in the vocabulary of the agent's
// fingerprints (`ssh`, `http`, `postgres`, …): what the IaC says (an RDS engine, a target group
// protocol, a Compose image: the endpoint's `expect`), else the port's well-known service. The
// drift engine uses it twice: to choose between moved-candidates (a candidate whose fingerprint
// is the expected service wins, one that fingerprints as a different known service is not a
// candidate at all), and for `wrong-service` (only from the IaC's expectation, never a port guess).
import { serviceName } from '../services.js';

const BY_PORT: ReadonlyMap<number, string> = new Map([
  [21, 'ftp'],
  [22, 'ssh'],
  [23, 'telnet'],
  [25, 'smtp'],
  [53, 'dns'],
  [80, 'http'],
  [110, 'pop3'],
  [143, 'imap'],
  [389, 'ldap'],
  [443, 'https'],
  [587, 'smtp'],
  [636, 'ldaps'],
  [1433, 'mssql'],
  [1521, 'oracle'],
  [2049, 'nfs'],
  [2181, 'zookeeper'],
  [2222, 'ssh'],
  [2375, 'docker'],
  [2379, 'etcd'],
  [3306, 'mysql'],
  [3389, 'rdp'],
  [4222, 'nats'],
  [5432, 'postgres'],
  [5672, 'amqp'],
  [5900, 'vnc'],
  [6379, 'redis'],
  [6443, 'https'],
  [7687, 'bolt'],
  [8080, 'http'],
  [8443, 'https'],
  [9042, 'cassandra'],
  [9092, 'kafka'],
  [9200, 'http'],
  [11211, 'memcached'],
  [15672, 'http'],
  [27017, 'mongodb'],
]);

export function expectedService(port: number): string | undefined {
  return BY_PORT.get(port);
}

/** A fingerprint or expectation name in the fingerprint vocabulary (`https` → tls, `postgresql` → postgres). */
const norm = (s: string): string => serviceName(s) ?? s.toLowerCase();

/** A fingerprint that names a service: `unknown` (open, nothing recognisable answered) names none. */
export function knownService(fingerprint: string | undefined): string | undefined {
  return fingerprint && norm(fingerprint) !== 'unknown' ? norm(fingerprint) : undefined;
}

/**
 * Whether what answers is the service the IaC expects. http and http2 are one: a server that
 * speaks both may answer either hello. TLS is not HTTP: a target group declared HTTP whose
 * target answers a TLS handshake is misconfigured.
 */
export function sameService(expected: string, seen: string): boolean {
  const web = (s: string): string => (s === 'http2' ? 'http' : s);
  return web(norm(expected)) === web(norm(seen));
}

/**
 * `match`: the candidate speaks the expected service. `conflict`: both are known and differ.
 * `unknown`: either side is not known (no fingerprint, `unknown`, or a port that expects nothing).
 * `expected`: the IaC's expectation for the declared port, which wins over the port's usual service.
 */
export function serviceRelation(
  declaredPort: number,
  fingerprint: string | undefined,
  expected?: string,
): 'match' | 'conflict' | 'unknown' {
  const want = expected ?? expectedService(declaredPort);
  const seen = knownService(fingerprint);
  if (!want || !seen) return 'unknown';
  // http, http2 and TLS are one family for moves: a TLS terminator moving is still the same service.
  const family = (s: string): string => (s === 'http' || s === 'http2' || s === 'tls' ? 'web' : s);
  return family(norm(seen)) === family(norm(want)) ? 'match' : 'conflict';
}
