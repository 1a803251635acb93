// The service names a fingerprint gives, the aliases a user or an IaC file may write for them,
// and the well-known port of each: the vocabulary shared by the agent's protocol hellos
// (agent/fingerprint) and whatever states an expectation (`probe --expect`, the IaC).
import type { ServiceName } from './types.js';

export const SERVICE_NAMES: readonly ServiceName[] = [
  'ssh',
  'smtp',
  'ftp',
  'mysql',
  'postgres',
  'tls',
  'http',
  'http2',
  'redis',
  'memcached',
  'mongodb',
  'kafka',
  'amqp',
  'unknown',
];

/** Other names for the same protocol: what the hello would be, not a product claim. */
const ALIASES: Readonly<Record<string, ServiceName>> = {
  postgresql: 'postgres',
  pg: 'postgres',
  mariadb: 'mysql',
  https: 'tls',
  ssl: 'tls',
  h2: 'http2',
  h2c: 'http2',
  grpc: 'http2',
  mongo: 'mongodb',
  rabbitmq: 'amqp',
  valkey: 'redis',
  smtps: 'tls',
  esmtp: 'smtp',
};

/** The ServiceName a name stands for (case-insensitive, aliases resolved), or null when it names none. */
export function serviceName(name: string): ServiceName | null {
  const n = name.trim().toLowerCase();
  if ((SERVICE_NAMES as readonly string[]).includes(n) && n !== 'unknown') return n as ServiceName;
  return ALIASES[n] ?? null;
}

/**
 * The service usually found on a port: the hello tried first when nothing else is expected, so
 * a conventional service costs one round trip. A guess only; the answer decides.
 */
const WELL_KNOWN: ReadonlyMap<number, ServiceName> = new Map<number, ServiceName>([
  [21, 'ftp'],
  [22, 'ssh'],
  [2222, 'ssh'],
  [25, 'smtp'],
  [587, 'smtp'],
  [2525, 'smtp'],
  [80, 'http'],
  [3000, 'http'],
  [5000, 'http'],
  [8000, 'http'],
  [8008, 'http'],
  [8080, 'http'],
  [8081, 'http'],
  [8888, 'http'],
  [9090, 'http'],
  [9200, 'http'],
  [15672, 'http'],
  [443, 'tls'],
  [465, 'tls'],
  [636, 'tls'],
  [993, 'tls'],
  [995, 'tls'],
  [6443, 'tls'],
  [8443, 'tls'],
  [9443, 'tls'],
  [3306, 'mysql'],
  [5432, 'postgres'],
  [6379, 'redis'],
  [11211, 'memcached'],
  [27017, 'mongodb'],
  [9092, 'kafka'],
  [5672, 'amqp'],
]);

export function wellKnownService(port: number): ServiceName | null {
  return WELL_KNOWN.get(port) ?? null;
}
