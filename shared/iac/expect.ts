// Which service a declared listen port should speak, read from what the IaC says about it: an
// RDS / ElastiCache engine, a load-balancer protocol, a Kubernetes appProtocol or port name, a
// container image. The names are the fingerprint vocabulary (shared/services.ts), so the drift
// engine can compare them with what answers (`wrong-service`). Where the IaC says nothing that
// names one protocol (TCP target groups, an unknown image), nothing is expected: no guess.
import { serviceName } from '../services.js';
import type { DeclaredEndpoint, DeclaredModel, ServiceExpectation, ServiceName, SourceLocation } from '../types.js';

/** RDS, Aurora, ElastiCache, MemoryDB engines (`aurora` alone is Aurora MySQL). */
export function engineService(engine: string): ServiceName | null {
  const e = engine.trim().toLowerCase();
  if (/^(postgres|aurora-postgresql)/.test(e)) return 'postgres';
  if (/^(mysql|mariadb|aurora-mysql|aurora$)/.test(e)) return 'mysql';
  if (e === 'redis' || e === 'valkey') return 'redis';
  if (e === 'memcached') return 'memcached';
  return null;
}

/** A load-balancer listener / target group protocol: HTTP → http, HTTPS and TLS → tls; TCP, UDP say nothing. */
export function lbProtocolService(protocol: string): ServiceName | null {
  const p = protocol.trim().toUpperCase();
  if (p === 'HTTP') return 'http';
  if (p === 'HTTPS' || p === 'TLS') return 'tls';
  return null;
}

/**
 * A Kubernetes `appProtocol`: IANA names (`http`, `https`, `grpc`) and the `kubernetes.io/h2c`,
 * `kubernetes.io/ws`, `kubernetes.io/wss` values; a domain-prefixed value of another vendor says nothing.
 */
export function appProtocolService(value: string): ServiceName | null {
  const v = value.trim().toLowerCase();
  const k8s: Record<string, ServiceName> = {
    'kubernetes.io/h2c': 'http2',
    'kubernetes.io/ws': 'http',
    'kubernetes.io/wss': 'tls',
  };
  if (v in k8s) return k8s[v]!;
  if (v.includes('/')) return null;
  return v === 'http' ? 'http' : serviceName(v);
}

/**
 * A port name (Kubernetes Service or container port): `http`, `https`, `grpc`, `postgres`,
 * `redis`, `metrics`, and Istio's `<protocol>-<suffix>` form (`http-api`, `grpc-web`).
 * `tcp`, `udp` and names that are no protocol (`web`, `api`) say nothing.
 */
export function portNameService(name: string): ServiceName | null {
  const n = name.trim().toLowerCase();
  const head = n.split('-')[0]!;
  for (const word of [n, head]) {
    if (word === 'metrics' || word === 'http' || word === 'prometheus') return 'http';
    const s = serviceName(word);
    if (s) return s;
  }
  return null;
}

/**
 * Well-known images and the port each service of theirs listens on: an expectation only for that
 * port (nginx's 443 is TLS, rabbitmq's 15672 is its HTTP console). Matched on the image's last
 * path segment without tag or digest: `postgres:16`, `docker.io/library/redis@sha256:…`, `bitnami/kafka`.
 */
const IMAGES: ReadonlyArray<[RegExp, ReadonlyArray<[number, ServiceName]>]> = [
  [/^(postgres|postgis|timescaledb(-ha)?)$/, [[5432, 'postgres']]],
  [/^(redis|valkey|redis-stack-server|keydb)$/, [[6379, 'redis']]],
  [/^(mysql|mariadb|percona(-server)?)$/, [[3306, 'mysql']]],
  [/^(mongo|mongodb(-community-server)?)$/, [[27017, 'mongodb']]],
  [
    /^rabbitmq$/,
    [
      [5672, 'amqp'],
      [15672, 'http'],
      [5671, 'tls'],
    ],
  ],
  [/^memcached$/, [[11211, 'memcached']]],
  [
    /^(nginx|nginx-unprivileged|httpd|caddy|traefik)$/,
    [
      [80, 'http'],
      [8080, 'http'],
      [443, 'tls'],
      [8443, 'tls'],
    ],
  ],
  [/^(elasticsearch|opensearch)$/, [[9200, 'http']]],
  [/^(kafka|cp-kafka|cp-server)$/, [[9092, 'kafka']]],
];

export function imageService(image: string, port: number): ServiceName | null {
  const last = image.trim().toLowerCase().split('/').pop() ?? '';
  const name = last.split('@')[0]!.split(':')[0]!;
  for (const [re, ports] of IMAGES) if (re.test(name)) return ports.find(([p]) => p === port)?.[1] ?? null;
  return null;
}

/**
 * Sets `expect` on the listen endpoints of `resource` added since index `from` (what one resource's
 * handler emitted), where `pick` names a service for the endpoint's port. A range never gets one.
 */
export function expectSince(
  model: DeclaredModel,
  from: number,
  resource: string,
  pick: (e: DeclaredEndpoint) => { service: ServiceName | null; source: SourceLocation; by: string } | undefined,
): void {
  for (let i = from; i < model.endpoints.length; i++) {
    const e = model.endpoints[i]!;
    if (e.resource !== resource || e.role !== 'listen' || e.toPort !== undefined || e.expect) continue;
    const p = pick(e);
    if (p?.service) e.expect = { service: p.service, source: { ...p.source }, by: p.by } satisfies ServiceExpectation;
  }
}
