// One webhook delivery over HTTP(S) with retries: network errors, timeouts, 5xx, 408 and 429 are
// retried with exponential backoff and jitter (a 429's Retry-After is honoured, within the cap);
// other 4xx mean the receiver refuses this body, so retrying cannot help. The same delivery id
// and body are sent on every attempt, so a receiver that saw the first one can drop the repeats.
import { randomUUID } from 'node:crypto';
import { PortdriftError } from '../../shared/errors.js';
import { backoffDelay, retrying } from '../../shared/retry.js';
import { VERSION } from '../../shared/version.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './sign.js';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 1000, maxMs: 60_000, timeoutMs: 10_000 };

export interface Delivery {
  url: string;
  body: string;
  /** `finding.opened`, `finding.resolved`, `digest`. */
  event: string;
  secret?: string;
  /** X-Portdrift-Delivery (default: a new random id): the same for a transition whoever delivers it. */
  id?: string;
}

export interface DeliveryResult {
  id: string;
  status: number;
  attempts: number;
}

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Half jitter: a random delay in [d/2, d] after try `attempt`, so collectors never retry in lockstep. */
export function retryDelay(attempt: number, p: RetryPolicy, random = Math.random): number {
  return backoffDelay(attempt - 1, { baseMs: p.baseMs, maxMs: p.maxMs, jitter: 'half' }, random);
}

/** A try's answer that is not a success: its status, and a 429's Retry-After. */
interface Refusal {
  status: number;
  retryAfterMs: number | null;
}

function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export async function deliver(
  d: Delivery,
  policy: RetryPolicy = DEFAULT_RETRY,
  sleep: (ms: number) => Promise<void> = sleepReal,
): Promise<DeliveryResult> {
  const id = d.id ?? randomUUID();
  const post = async (attempt: number): Promise<DeliveryResult | Refusal> => {
    const ts = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `portdrift/${VERSION}`,
      'x-portdrift-event': d.event,
      'x-portdrift-delivery': id,
      [TIMESTAMP_HEADER]: String(ts),
      ...(d.secret ? { [SIGNATURE_HEADER]: sign(d.secret, ts, d.body) } : {}),
    };
    const signal = AbortSignal.timeout(policy.timeoutMs);
    const res = await fetch(d.url, { method: 'POST', headers, body: d.body, signal, redirect: 'error' });
    await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
    if (res.ok) return { id, status: res.status, attempts: attempt };
    if (res.status !== 408 && res.status !== 429 && res.status < 500) {
      const why = `webhook ${redactUrl(d.url)} refused the delivery (HTTP ${res.status}); not retried`;
      throw new PortdriftError('PD_WEBHOOK', why, { details: { status: res.status, delivery: id, attempts: attempt } });
    }
    const ra = res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : null;
    return { status: res.status, retryAfterMs: ra };
  };
  const r = await retrying(post, {
    attempts: policy.attempts,
    backoff: { baseMs: policy.baseMs, maxMs: policy.maxMs, jitter: 'half' },
    retryError: (err) => !(err instanceof PortdriftError),
    retryResult: (v) => !('id' in v),
    delay: (last, backoffMs) => {
      const ra = 'value' in last && !('id' in last.value) ? last.value.retryAfterMs : null;
      return ra !== null ? Math.min(policy.maxMs, ra) : backoffMs;
    },
    sleep: async (ms) => {
      await sleep(ms);
      return true;
    },
  });
  if (r.ok && 'id' in r.value) return r.value;
  const last = r.ok ? '' : describe(r.last, policy.timeoutMs);
  throw new PortdriftError(
    'PD_WEBHOOK',
    `webhook ${redactUrl(d.url)} failed after ${policy.attempts} attempts (last: ${last})`,
    { details: { delivery: id, attempts: policy.attempts } },
  );
}

function describe(last: { value: DeliveryResult | Refusal } | { error: unknown } | null, timeoutMs: number): string {
  if (!last) return '';
  if ('value' in last) return `HTTP ${last.value.status}`;
  const err = last.error as Error & { cause?: Error };
  return err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.message ?? err.message);
}

/** Webhook URLs often carry their secret in the path (Slack): show only scheme, host and port. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}
