// The agent's HTTP client to the collector, and the only undici user (docs/design/architecture.md#library-homes). One
// keep-alive connection to the collector's origin (the agent's requests are sequential, and an
// undici Pool would open a second socket for no gain); every request carries the agent token
// (Authorization: Bearer) and a User-Agent with the version. Requests are retried on transient
// failures (connection errors, timeouts, 408/425/429/5xx) with exponential backoff and full
// jitter; POST is retried too, which is safe because every batch carries its Idempotency-Key
// and the collector accepts a key once.
import { readFileSync } from 'node:fs';
import { Client, type Dispatcher } from 'undici';
import { PortdriftError, isPortdriftError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Plan } from '../../shared/types.js';
import { retrying } from '../../shared/retry.js';
import { describe, errorBody, type Raw, responseError, retryAfterMs } from './answer.js';
import { sleep, type BackoffOptions, type Sleep } from './backoff.js';
import { validatePlan } from './plan.js';

export interface TransportOptions {
  /** The collector's base URL, e.g. `http://10.0.9.7:7600` (a path prefix is kept). */
  url: string;
  /** The agent token or key; empty until an enrolling agent has its key (setToken). */
  token: string;
  userAgent: string;
  /**
   * A new key the collector handed over (Portdrift-Agent-Key, after `agents rotate`): return
   * true once it is kept safe; only then is it used. Without it, such a header is ignored.
   */
  onNewKey?: (key: string) => boolean;
  /** PEM bundle to verify an https collector with (a private CA). */
  caFile?: string;
  /** Per request: connect, headers and body timeouts. */
  timeoutMs?: number;
  /** Attempts per request (1 = no retry). */
  attempts?: number;
  /** Largest plan body read (default DEFAULT_PLAN_MAX_BYTES); a longer one is refused unread. */
  planMaxBytes?: number;
  backoff?: BackoffOptions;
  logger: Logger;
  random?: () => number;
  /** The wait between attempts (tests pass one that moves their own clock). */
  sleep?: Sleep;
}

export type PlanResult = { kind: 'unchanged' } | { kind: 'plan'; plan: Plan; etag: string | null };

/** `accepted`: committed (200/201/202/204). `rejected`: refused for good (e.g. 400): never resend. */
export type SendResult =
  | { kind: 'accepted'; status: number }
  | { kind: 'rejected'; status: number; code: string; message: string };

/**
 * The collector is not trusted with the agent's memory: a plan larger than this is refused as
 * soon as the body passes it (the read is aborted, the connection closed), never buffered whole.
 */
export const DEFAULT_PLAN_MAX_BYTES = 16 * 1024 * 1024;
/** Every other answer of the collector is a short JSON object. */
const ANSWER_MAX_BYTES = 1024 * 1024;

/** The response header carrying a rotated agent key (the collector's NEW_KEY_HEADER). */
const NEW_KEY_HEADER = 'portdrift-agent-key';
const KEY_SHAPE = /^pdt_[A-Za-z0-9_-]{20,200}$/;

/** Statuses worth another attempt: the request may succeed unchanged later. */
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

/** 4xx answers that mean this batch can never be accepted, however often it is sent. */
const POISON = new Set([400, 413, 415, 422]);

export class CollectorClient {
  private readonly http: Client;
  private readonly base: URL;
  private readonly attempts: number;
  private readonly backoff: BackoffOptions;
  private readonly timeoutMs: number;
  private readonly planMaxBytes: number;
  private readonly random: () => number;
  private token: string;

  constructor(private readonly options: TransportOptions) {
    this.token = options.token;
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new PortdriftError('PD_USAGE', `--collector must be an http(s) URL, got ${options.url}`);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.backoff = options.backoff ?? { baseMs: 500, maxMs: 15_000 };
    this.random = options.random ?? Math.random;
    this.planMaxBytes = options.planMaxBytes ?? DEFAULT_PLAN_MAX_BYTES;
    this.http = new Client(this.base.origin, {
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 10_000),
      ...(options.caFile ? { connect: { ca: readFileSync(options.caFile, 'utf8') } } : {}),
    });
  }

  /**
   * GET the plan. `etag` from the previous answer makes an unchanged plan a 304. The scope goes
   * along as `scope` query parameters so the collector can pre-filter; the agent still checks
   * every address itself.
   */
  async getPlan(
    etag: string | null,
    scope: readonly string[],
    signal?: AbortSignal,
    attempts = this.attempts,
  ): Promise<PlanResult> {
    const q = new URLSearchParams(scope.map((c): [string, string] => ['scope', c]));
    const res = await this.withRetries('GET /v1/plan', signal, attempts, () =>
      this.raw(
        'GET',
        `v1/plan${scope.length ? `?${q}` : ''}`,
        { ...(etag ? { 'if-none-match': etag } : {}), accept: 'application/json' },
        undefined,
        signal,
        { what: 'GET /v1/plan', maxBytes: this.planMaxBytes, limitName: 'planMaxBytes (--plan-max-bytes)' },
      ),
    );
    if (res.status === 304) return { kind: 'unchanged' };
    if (res.status !== 200) throw responseError('GET /v1/plan', res);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new PortdriftError('PD_COLLECTOR_RESPONSE', 'GET /v1/plan: the body is not JSON');
    }
    const tag = res.headers.etag;
    return { kind: 'plan', plan: validatePlan(body), etag: typeof tag === 'string' ? tag : null };
  }

  /** POST one NDJSON batch under its Idempotency-Key. Throws only when it may succeed later. */
  async sendBatch(batchId: string, body: string, signal?: AbortSignal): Promise<SendResult> {
    const res = await this.withRetries(`POST /v1/observations ${batchId}`, signal, this.attempts, () =>
      this.raw(
        'POST',
        'v1/observations',
        { 'content-type': 'application/x-ndjson', 'idempotency-key': batchId, accept: 'application/json' },
        body,
        signal,
        { what: 'POST /v1/observations', maxBytes: ANSWER_MAX_BYTES, limitName: 'the limit of an answer to a batch' },
      ),
    );
    if (res.status >= 200 && res.status < 300) return { kind: 'accepted', status: res.status };
    if (POISON.has(res.status)) {
      const { code, message } = errorBody(res);
      return { kind: 'rejected', status: res.status, code, message };
    }
    // A record outside the token's scope: the same batch is refused however often it is sent,
    // and waiting would hold every later batch behind it (the plan's tokenScope keeps the agent
    // from probing there, so this is a token re-scoped since, or a collector without the field).
    if (res.status === 403) {
      const { code, message } = errorBody(res);
      if (code === 'PD_RECORD_OUT_OF_SCOPE') return { kind: 'rejected', status: res.status, code, message };
    }
    // Any other 401/403 (a revoked or wrong token), 404 (wrong URL) …: the batch stays spooled until an
    // operator fixes the agent's configuration.
    throw responseError('POST /v1/observations', res);
  }

  /** Use this key from now on (an enrolled agent's key). */
  setToken(token: string): void {
    this.token = token;
  }

  /**
   * POST /v1/enroll with the enroll secret: the agent's own key, or a PD_COLLECTOR_RESPONSE
   * naming the collector's code (401 bad secret, 403 scope, 409 name taken, 400 bad field).
   */
  async enroll(secret: string, identity: Record<string, unknown>, signal?: AbortSignal): Promise<string> {
    const res = await this.withRetries('POST /v1/enroll', signal, this.attempts, () =>
      this.raw(
        'POST',
        'v1/enroll',
        { 'content-type': 'application/json', accept: 'application/json' },
        JSON.stringify(identity),
        signal,
        { what: 'POST /v1/enroll', maxBytes: ANSWER_MAX_BYTES, limitName: 'the limit of an answer to an enrollment' },
        secret,
      ),
    );
    if (res.status !== 201) throw responseError('POST /v1/enroll', res);
    let key: unknown;
    try {
      key = (JSON.parse(res.text) as { key?: unknown }).key;
    } catch {
      /* checked below */
    }
    if (typeof key !== 'string' || !KEY_SHAPE.test(key)) {
      throw new PortdriftError('PD_COLLECTOR_RESPONSE', 'POST /v1/enroll: the answer carries no agent key');
    }
    return key;
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  /** A rotated key in the answer: kept (onNewKey) and used from the next request on. */
  private takeNewKey(headers: Raw['headers']): void {
    const key = headers[NEW_KEY_HEADER];
    if (typeof key !== 'string' || key === this.token || !this.options.onNewKey) return;
    if (!KEY_SHAPE.test(key)) {
      this.options.logger.warn({}, 'the collector sent a new agent key that is not a key: ignored');
      return;
    }
    if (this.options.onNewKey(key)) this.token = key;
  }

  private async raw(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    cap: BodyCap,
    bearer = this.token,
  ): Promise<Raw> {
    const url = new URL(path, this.base);
    const res = await this.http.request({
      method,
      path: `${url.pathname}${url.search}`,
      headers: { ...headers, authorization: `Bearer ${bearer}`, 'user-agent': this.options.userAgent },
      ...(body !== undefined ? { body } : {}),
      ...(signal ? { signal } : {}),
    } as Dispatcher.RequestOptions);
    const text = await readCapped(res.body, res.headers['content-length'], cap);
    if (bearer === this.token) this.takeNewKey(res.headers);
    return { status: res.statusCode, headers: res.headers, text };
  }

  /**
   * Run `attempt` until it answers with a non-transient status. Network errors and transient
   * statuses are retried after a jittered backoff (or the server's Retry-After, capped); the
   * last failure is thrown as PD_COLLECTOR_UNREACHABLE / PD_COLLECTOR_RESPONSE. An abort ends
   * the loop at once.
   */
  private async withRetries(
    what: string,
    signal: AbortSignal | undefined,
    attempts: number,
    attempt: () => Promise<Raw>,
  ): Promise<Raw> {
    const r = await retrying(attempt, {
      attempts,
      backoff: { ...this.backoff, jitter: 'full' },
      random: this.random,
      sleep: this.options.sleep ?? sleep,
      // An answer over its size limit would be as large the next time: not retried.
      retryError: (err) => !isPortdriftError(err),
      retryResult: (res) => TRANSIENT.has(res.status),
      delay: (last, backoffMs) => {
        const retryAfter = 'value' in last ? retryAfterMs(last.value.headers['retry-after']) : null;
        return retryAfter !== null ? Math.min(retryAfter, this.backoff.maxMs) : backoffMs;
      },
      onRetry: ({ attempt: n, delayMs }) => this.options.logger.debug({ what, attempt: n, delayMs }, 'retrying'),
      ...(signal ? { signal } : {}),
    });
    if (r.ok) return r.value;
    if (r.last && 'value' in r.last) throw responseError(what, r.last.value);
    const cause = (r.last && 'error' in r.last ? r.last.error : undefined) ?? signal?.reason;
    throw new PortdriftError(
      'PD_COLLECTOR_UNREACHABLE',
      `${what}: cannot reach the collector at ${this.base.origin}: ${describe(cause)}`,
      { cause },
    );
  }
}

interface BodyCap {
  what: string;
  maxBytes: number;
  /** The setting that raises it, for the error message. */
  limitName: string;
}

/**
 * The body as text, at most `cap.maxBytes` of it: a declared Content-Length over the cap is
 * refused before reading; otherwise the read stops (and the stream is destroyed, which closes
 * the connection) as soon as the bytes received pass the cap.
 */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  contentLength: string | string[] | undefined,
  cap: BodyCap,
): Promise<string> {
  const tooLarge = (got: string) => {
    // Destroying the body makes undici emit an AbortError on it: expected here, never uncaught.
    body.on('error', () => {});
    body.destroy();
    const message =
      `${cap.what}: the collector's answer is larger than the limit of ${formatBytes(cap.maxBytes)} (${got}): ` +
      `refused, not read further; the limit is ${cap.limitName}`;
    return new PortdriftError('PD_COLLECTOR_RESPONSE', message, { details: { limit: cap.maxBytes } });
  };
  const declared = typeof contentLength === 'string' ? Number(contentLength) : NaN;
  if (declared > cap.maxBytes) throw tooLarge(`Content-Length ${declared}`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > cap.maxBytes) throw tooLarge(`${n} bytes received so far`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, n).toString('utf8');
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}
