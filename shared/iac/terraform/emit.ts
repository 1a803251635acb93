// Turning evaluated attributes into declared endpoints, unresolved entries and problems for one
// resource instance. A port is taken only from a literal that is an integer 1–65535 (written as
// a number or a string of digits); an expression that cannot be evaluated is listed as
// unresolved; a literal that is not a port is a problem naming its line.
import type { DeclaredModel, Direction, Protocol, Role } from '../../types.js';
import { toPort } from '../declare.js';
import type { Attr } from './block.js';
import type { Origin, Value } from './eval.js';

export interface Emit {
  address: string;
  type: string;
  file: string;
  /** The resource's first line: the source of a default port. */
  line: number;
  model: DeclaredModel;
  /** The direction of the rule being read (allow endpoints only), when the IaC says it. */
  direction?: Direction;
}

export type PortValue = { port: number; origin: Origin | undefined };

/** The port held by `v`, or why not: `unknown` (an expression) / `bad` (a literal that is no port). */
export function portOf(v: Value): PortValue | 'unknown' | 'bad' {
  if (v.t === 'unknown') return 'unknown';
  if (v.t !== 'lit') return 'bad';
  const p = toPort(v.v);
  return p === undefined ? 'bad' : { port: p, origin: v.o };
}

/** A port attribute → its port; reports it as unresolved or as a problem when it has none. */
export function readPort(e: Emit, a: Attr, v: Value = a.value): PortValue | undefined {
  const p = portOf(v);
  if (p === 'unknown') {
    e.model.unresolved.push({
      resource: e.address,
      attribute: a.attribute,
      expression: v !== a.value && v.t === 'unknown' ? `\${${v.expr}}` : a.expression,
      source: { file: e.file, line: a.line },
    });
    return undefined;
  }
  if (p === 'bad') {
    e.model.problems.push({
      file: e.file,
      line: a.line,
      code: 'PD_IAC_SHAPE',
      message: `${e.address}: ${a.attribute} is not a port (an integer 1–65535)`,
    });
    return undefined;
  }
  return p;
}

export function endpoint(
  e: Emit,
  port: number,
  role: Role,
  protocol: Protocol,
  line: number,
  origin?: Origin,
  toPort?: number,
): void {
  e.model.endpoints.push({
    resource: e.address,
    host: null,
    port,
    ...(toPort !== undefined && toPort !== port ? { toPort } : {}),
    protocol,
    role,
    ...(role === 'allow' && e.direction ? { direction: e.direction } : {}),
    source: { file: e.file, line },
    ...(origin ? { origin: { ...origin } } : {}),
  });
}

/** A listen port from attribute `a`, or `fallback` (a default of the type) at the resource's first line when the
 * attribute is absent. */
export function listen(e: Emit, a: Attr | undefined, protocol: Protocol, fallback?: number | number[]): void {
  if (a) {
    const p = readPort(e, a);
    if (p) endpoint(e, p.port, 'listen', protocol, a.line, p.origin);
    return;
  }
  for (const port of fallback === undefined ? [] : Array.isArray(fallback) ? fallback : [fallback])
    endpoint(e, port, 'listen', protocol, e.line);
}

export function literal(v: Value | undefined): string | undefined {
  return v?.t === 'lit' && v.v !== null ? String(v.v) : undefined;
}

/** Rule protocols: `-1` / `all` / `*` → all; tcp/6, udp/17; anything else (icmp, esp, …) → none. */
export function ruleProtocol(v: Value | undefined): Protocol | 'other' | 'unknown' {
  if (v === undefined) return 'tcp';
  if (v.t === 'unknown') return 'unknown';
  const p = literal(v)?.toLowerCase();
  if (p === '-1' || p === 'all' || p === '*') return 'all';
  if (p === 'tcp' || p === '6') return 'tcp';
  if (p === 'udp' || p === '17') return 'udp';
  return 'other';
}

/**
 * A firewall rule `from..to` (role allow). Protocol all covers every port whatever the numbers
 * say (AWS writes 0/0 with `-1`); a 0 start (`0-65535`) is read as 1.
 */
export function allowRange(
  e: Emit,
  line: number,
  protocol: Protocol,
  from: Attr | undefined,
  to: Attr | undefined,
): void {
  if (protocol === 'all') {
    endpoint(e, 1, 'allow', 'all', from?.line ?? line, undefined, 65535);
    return;
  }
  if (!from) return;
  const zeroToPort = (v: Value): Value => (v.t === 'lit' && (v.v === 0 || v.v === '0') ? { ...v, v: 1 } : v);
  const a = readPort(e, from, zeroToPort(from.value));
  const b = to ? readPort(e, to, zeroToPort(to.value)) : a;
  if (!a || !b) return;
  if (b.port < a.port) {
    e.model.problems.push({
      file: e.file,
      line: from.line,
      code: 'PD_IAC_SHAPE',
      message: `${e.address}: port range ${a.port}..${b.port} runs backwards`,
    });
    return;
  }
  endpoint(e, a.port, 'allow', protocol, from.line, a.origin, b.port);
}
