// The JSON bodies of the admin routes (acknowledge a finding, add an ignore rule), as zod schemas
// (shared/validate): unknown fields refused, every problem at once as `field: problem`.
import { parseDuration } from '../../../shared/duration.js';
import { FINDING_KINDS } from '../../../shared/drift/index.js';
import { PortdriftError } from '../../../shared/errors.js';
import { isPort } from '../../../shared/ports.js';
import type { FindingKind } from '../../../shared/types.js';
import { check, type Issue, problemText, z } from '../../../shared/validate/index.js';

const MAX_REASON = 2000;

/**
 * The longest an acknowledgement or ignore rule may be given for. Longer is a typo (10000000d is
 * the year 29405) or a wish for "forever", which is no expiry at all and says so.
 */
const MAX_EXPIRY_MS = 10 * 366 * 86_400_000;

const reason = z
  .string({ error: 'is required: say why' })
  .refine((r) => r.trim() !== '', { error: 'is required: say why', abort: true })
  .refine((r) => r.length <= MAX_REASON, { error: `must be at most ${MAX_REASON} characters` })
  .transform((r) => r.trim());

/** `expires` (a duration from now: 7d, 12h) or `expiresAt` (an ISO time in the future), or neither. */
function expiryFields(now: string) {
  const at = Date.parse(now);
  const expires = z.string({ error: 'must be a duration such as 7d or 12h' }).transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (err) {
      // parseDuration's own message names the value and what to write instead.
      ctx.addIssue({ code: 'custom', input: text, message: (err as Error).message });
      return z.NEVER;
    }
    if (ms <= 0) ctx.addIssue({ code: 'custom', input: text, message: 'must be longer than 0' });
    else if (ms > MAX_EXPIRY_MS) {
      ctx.addIssue({ code: 'custom', input: text, message: 'must be at most 10 years (leave it out for no expiry)' });
    }
    return new Date(at + ms).toISOString();
  });
  const expiresAt = z.unknown().transform((v, ctx) => {
    if (v === null) return null;
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    const fail = (message: string) => void ctx.addIssue({ code: 'custom', input: v, message });
    if (Number.isNaN(t)) fail('must be an ISO time');
    else if (t <= at) fail('must lie in the future');
    else if (t - at > MAX_EXPIRY_MS) fail('must be at most 10 years ahead (leave it out for no expiry)');
    return new Date(Number.isNaN(t) ? 0 : t).toISOString();
  });
  return { expires: expires.optional(), expiresAt: expiresAt.optional() };
}

/** Both expiry fields given: one problem, on `expires`. */
const oneExpiry = (v: { expires?: unknown; expiresAt?: unknown }, ctx: z.RefinementCtx) => {
  if (v.expires !== undefined && v.expiresAt !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['expires'], message: 'give expires or expiresAt, not both' });
  }
};

const HOST = 'must be a host name or address';
const optional = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? null);

function ackSchema(now: string) {
  return z.strictObject({ reason, ...expiryFields(now) }).superRefine(oneExpiry);
}

function ignoreSchema(now: string) {
  const kinds = FINDING_KINDS as readonly FindingKind[];
  return z
    .strictObject({
      resource: z
        .string({ error: 'must be a resource address or glob' })
        .min(1, { error: 'must be a resource address or glob' })
        .max(500, { error: 'must be a resource address or glob' })
        .default('*'),
      host: optional(z.string({ error: HOST }).min(1, { error: HOST })),
      port: optional(z.number({ error: 'must be a port 1-65535' }).refine(isPort, { error: 'must be a port 1-65535' })),
      kind: optional(z.enum(kinds as [FindingKind, ...FindingKind[]], { error: `must be one of ${kinds.join(', ')}` })),
      reason,
      ...expiryFields(now),
    })
    .superRefine(oneExpiry)
    .superRefine((v, ctx) => {
      if (v.resource === '*' && v.host === null && v.port === null) {
        const message = 'a rule must name a resource, host or port (it would ignore everything)';
        ctx.addIssue({ code: 'custom', path: ['resource'], message });
      }
    });
}

/** PD_HTTP_BAD_REQUEST: every problem, joined; details name the first field and list them all. */
function refused(issues: readonly Issue[]): PortdriftError {
  const problems = issues.map(problemText);
  const details = { field: issues[0]!.path, problems };
  return new PortdriftError('PD_HTTP_BAD_REQUEST', problems.join('; '), { details });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = check(schema, body, { unknown: 'unknown field' });
  if (!r.ok) throw refused(r.issues);
  return r.value;
}

export interface AckBody {
  reason: string;
  expiresAt: string | null;
}

export function parseAckBody(body: unknown, now: string): AckBody {
  const v = parse(ackSchema(now), body);
  return { reason: v.reason, expiresAt: v.expires ?? v.expiresAt ?? null };
}

export interface IgnoreBody extends AckBody {
  resource: string;
  host: string | null;
  port: number | null;
  kind: FindingKind | null;
}

export function parseIgnoreBody(body: unknown, now: string): IgnoreBody {
  const v = parse(ignoreSchema(now), body);
  const { resource, host, port, kind, reason: why } = v;
  return { resource, host, port, kind, reason: why, expiresAt: v.expires ?? v.expiresAt ?? null };
}
