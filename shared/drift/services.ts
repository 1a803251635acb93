// The service a declared port is expected to speak, by well-known port, in the vocabulary of the
// probe engine's fingerprints (`ssh`, `http`, `postgres`, …). The drift engine uses it to choose
// between moved-candidates: a candidate whose fingerprint is the expected service wins, and one
// that fingerprints as a different known service (sshd next to a closed database port) is not a
// candidate at all. Ports not listed here expect nothing in particular.

const BY_PORT: ReadonlyMap<number, string> = new Map([
  [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [53, 'dns'], [80, 'http'], [110, 'pop3'], [143, 'imap'],
  [389, 'ldap'], [443, 'https'], [587, 'smtp'], [636, 'ldaps'], [1433, 'mssql'], [1521, 'oracle'], [2049, 'nfs'],
  [2181, 'zookeeper'], [2222, 'ssh'], [2375, 'docker'], [2379, 'etcd'], [3306, 'mysql'], [3389, 'rdp'],
  [4222, 'nats'], [5432, 'postgres'], [5672, 'amqp'], [5900, 'vnc'], [6379, 'redis'], [6443, 'https'],
  [7687, 'bolt'], [8080, 'http'], [8443, 'https'], [9042, 'cassandra'], [9092, 'kafka'], [9200, 'http'],
  [11211, 'memcached'], [15672, 'http'], [27017, 'mongodb'],
]);

export function expectedService(port: number): string | undefined {
  return BY_PORT.get(port);
}

/**
 * `match`: the candidate speaks the expected service. `conflict`: both are known and differ.
 * `unknown`: either side is not known (no fingerprint, or a port that expects nothing).
 */
export function serviceRelation(declaredPort: number, fingerprint: string | undefined): 'match' | 'conflict' | 'unknown' {
  const expected = expectedService(declaredPort);
  if (!expected || !fingerprint) return 'unknown';
  const seen = fingerprint.toLowerCase();
  // http and https are one family for this purpose: a TLS terminator moving is still the same service.
  const norm = (s: string): string => (s === 'https' || s === 'http-alt' ? 'http' : s);
  return norm(seen) === norm(expected) ? 'match' : 'conflict';
}
