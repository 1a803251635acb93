// The body of POST /v1/enroll, validated with zod (shared/validate): an agent says who it is —
// name, host, version, the scope it asks for, and its pod when in Kubernetes.
// Every problem is named by its field, all at once; unknown fields are refused, so a typo on the
// agent side is a clear 400 rather than a silently ignored value.
import { isIP } from 'node:net';
import { PortdriftError } from '../../shared/errors.js';
import { checkCidr, parseCidr, type Cidr } from '../../shared/scope.js';
import type { PodIdentity } from '../../shared/types.js';
import { check, z } from '../../shared/validate/index.js';

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

/** A string of 1 to `max` characters without control characters. */
const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .refine((v) => v.length > 0 && v.length <= max, {
      error: (iss) => `must be 1 to ${max} characters (got ${(iss.input as string).length})`,
      abort: true,
    })
    .refine((v) => !CONTROL.test(v), { error: 'must not contain control characters', abort: true });

const cidr = text(64).superRefine((v, ctx) => {
  const problem = checkCidr(v);
  if (problem) ctx.addIssue({ code: 'custom', input: v, message: problem });
});

/** Kubernetes bounds: a label key is an optional DNS prefix (253) and a name (63); a value at most 63. */
const MAX_LABELS = 64;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const labels = z.record(z.string(), z.unknown(), { error: 'must be an object' }).superRefine((v, ctx) => {
  const entries = Object.entries(v);
  if (entries.length > MAX_LABELS) {
    ctx.addIssue({ code: 'custom', input: v, message: `at most ${MAX_LABELS} labels` });
    return;
  }
  for (const [k, value] of entries) {
    // The key, quoted, is the path step: label keys hold dots and slashes.
    const path = [JSON.stringify(k.slice(0, 60))];
    if (!LABEL_KEY.test(k)) ctx.addIssue({ code: 'custom', input: k, path, message: 'not a Kubernetes label key' });
    else if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      ctx.addIssue({ code: 'custom', input: value, path, message: 'not a Kubernetes label value' });
    }
  }
}) as unknown as z.ZodType<Record<string, string>>;

/** A pod identity (enrollment body, batch header): the Downward-API fields and the pod's labels. */
export const podSchema = z.strictObject(
  {
    name: text(253).optional(),
    namespace: text(253).optional(),
    node: text(253).optional(),
    ip: text(45)
      .refine((v) => isIP(v) !== 0, { error: 'not an IP address' })
      .optional(),
    labels: labels.optional(),
  },
  { error: 'must be an object' },
);

const identitySchema = z.strictObject({
  name: text(128).refine((v) => AGENT_NAME.test(v), {
    error: 'letters, digits and ._:/@- only, starting with a letter or digit',
  }),
  host: text(253),
  version: text(64),
  // The list's size is checked before its items: 10,000 bad CIDRs are one problem, not 10,000.
  scope: z
    .array(z.unknown(), { error: 'must be a non-empty list of CIDRs' })
    .min(1, { error: 'must be a non-empty list of CIDRs' })
    .max(MAX_SCOPE, { error: `at most ${MAX_SCOPE} CIDRs` })
    .pipe(z.array(cidr)),
  pod: podSchema.optional(),
});

/** The validated identity, or PD_HTTP_BAD_REQUEST listing every bad field as `field: problem`. */
export function parseIdentity(body: Record<string, unknown>): EnrollIdentity {
  const r = check(identitySchema, body, { unknown: 'unknown field' });
  if (!r.ok) {
    const message = `invalid enrollment:\n  ${r.problems.join('\n  ')}`;
    throw new PortdriftError('PD_HTTP_BAD_REQUEST', message, { details: { problems: r.problems } });
  }
  const { pod, ...rest } = r.value;
  if (!pod) return rest;
  return { ...rest, pod: definedOnly(pod) };
}

/** The pod without the optional fields it did not send. */
export function definedOnly(pod: PodIdentity): PodIdentity {
  return Object.fromEntries(Object.entries(pod).filter(([, v]) => v !== undefined)) as PodIdentity;
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
      `scope ${outside.join(', ')} is outside the scope of ` +
      `the enroll secret ${secretName} (${allowed.join(', ')})`;
    throw new PortdriftError('PD_ENROLL_OUT_OF_SCOPE', message, { details: { outside } });
  }
}
