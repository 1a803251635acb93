// The body of POST /v1/enroll, validated by hand (one small module, no schema library): an agent
// says who it is — name, host, version, the scope it asks for, and its pod when in Kubernetes.
// Every problem is named by its field, all at once; unknown fields are refused, so a typo on the
// agent side is a clear 400 rather than a silently ignored value.
import { isIP } from 'node:net';
import { PortdriftError } from '../../shared/errors.js';
import { checkCidr, parseCidr, type Cidr } from '../../shared/scope.js';
import type { PodIdentity } from '../../shared/types.js';

/** The agent-name rule of the agent's own `--name` (agent/daemon/config.ts). */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
const MAX_SCOPE = 256;
// C0 and C1 controls, DEL, and line/paragraph separators: nothing of this belongs in a log line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export interface EnrollIdentity {
  name: string;
  host: string;
  version: string;
  scope: string[];
  pod?: PodIdentity;
}

const TOP = new Set(['name', 'host', 'version', 'scope', 'pod']);
const POD = new Set(['name', 'namespace', 'ip', 'node', 'labels']);
/** Kubernetes bounds: a label key is an optional DNS prefix (253) and a name (63); a value at most 63. */
const MAX_LABELS = 64;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function text(v: unknown, field: string, max: number, problems: string[], required = true): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') return void problems.push(`${field}: must be a string`);
  if (v.length === 0 || v.length > max) {
    return void problems.push(`${field}: must be 1 to ${max} characters (got ${v.length})`);
  }
  if (CONTROL.test(v)) return void problems.push(`${field}: must not contain control characters`);
  return v;
}

/** The validated identity, or PD_HTTP_BAD_REQUEST listing every bad field as `field: problem`. */
export function parseIdentity(body: Record<string, unknown>): EnrollIdentity {
  const problems: string[] = [];
  for (const k of Object.keys(body)) if (!TOP.has(k)) problems.push(`${k.slice(0, 40)}: unknown field`);
  const name = text(body.name, 'name', 128, problems);
  if (name !== undefined && !AGENT_NAME.test(name)) {
    problems.push('name: letters, digits and ._:/@- only, starting with a letter or digit');
  }
  const host = text(body.host, 'host', 253, problems);
  const version = text(body.version, 'version', 64, problems);
  const scope: string[] = [];
  if (!Array.isArray(body.scope) || body.scope.length === 0) problems.push('scope: must be a non-empty list of CIDRs');
  else if (body.scope.length > MAX_SCOPE) problems.push(`scope: at most ${MAX_SCOPE} CIDRs`);
  else {
    body.scope.forEach((c, i) => {
      const v = text(c, `scope[${i}]`, 64, problems);
      if (v === undefined) return;
      const p = checkCidr(v);
      if (p) problems.push(`scope[${i}]: ${p}`);
      else scope.push(v);
    });
  }
  const pod = parsePod(body.pod, 'pod', problems);
  if (problems.length > 0) {
    const message = `invalid enrollment:\n  ${problems.join('\n  ')}`;
    throw new PortdriftError('PD_HTTP_BAD_REQUEST', message, { details: { problems } });
  }
  return { name: name!, host: host!, version: version!, scope, ...(pod ? { pod } : {}) };
}

/**
 * A pod identity (enrollment body, batch header): the Downward-API fields and labels, each
 * problem added to `problems` as `field: problem`. Undefined when absent or invalid.
 */
export function parsePod(value: unknown, field: string, problems: string[]): PodIdentity | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${field}: must be an object`);
    return undefined;
  }
  const before = problems.length;
  const p = value as Record<string, unknown>;
  for (const k of Object.keys(p)) if (!POD.has(k)) problems.push(`${field}.${k.slice(0, 40)}: unknown field`);
  const pod: PodIdentity = {};
  for (const k of ['name', 'namespace', 'node'] as const) {
    const v = text(p[k], `${field}.${k}`, 253, problems, false);
    if (v !== undefined) pod[k] = v;
  }
  const ip = text(p.ip, `${field}.ip`, 45, problems, false);
  if (ip !== undefined && isIP(ip) === 0) problems.push(`${field}.ip: not an IP address`);
  else if (ip !== undefined) pod.ip = ip;
  if (p.labels !== undefined) {
    const labels = p.labels;
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      problems.push(`${field}.labels: must be an object`);
    } else if (Object.keys(labels).length > MAX_LABELS) {
      problems.push(`${field}.labels: at most ${MAX_LABELS} labels`);
    } else {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(labels)) {
        const at = `${field}.labels.${JSON.stringify(k.slice(0, 60))}`;
        if (!LABEL_KEY.test(k)) problems.push(`${at}: not a Kubernetes label key`);
        else if (typeof v !== 'string' || !LABEL_VALUE.test(v)) problems.push(`${at}: not a Kubernetes label value`);
        else out[k] = v;
      }
      pod.labels = out;
    }
  }
  return problems.length === before ? pod : undefined;
}

function within(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  const total = inner.family === 4 ? 32 : 128;
  const mask = ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - outer.prefix)) - 1n);
  return (inner.network & mask) === outer.network;
}

/**
 * The agent's scope must lie inside the enroll secret's: each CIDR asked for inside one CIDR of
 * the secret. Otherwise 403 PD_ENROLL_OUT_OF_SCOPE naming every CIDR outside.
 */
export function checkWithin(asked: readonly string[], allowed: readonly string[], secretName: string): void {
  const outer = allowed.map((c) => parseCidr(c));
  const outside = asked.filter((c) => !outer.some((o) => within(parseCidr(c), o)));
  if (outside.length > 0) {
    const message =
      `scope ${outside.join(', ')} is outside the scope of the enroll secret ${secretName} (${allowed.join(', ')})`;
    throw new PortdriftError('PD_ENROLL_OUT_OF_SCOPE', message, { details: { outside } });
  }
}
