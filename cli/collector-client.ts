// The query commands' client of the collector (drift, agents, history, ack): Node's global
// fetch (undici's one home is the agent's transport). `--collector URL` (default
// http://127.0.0.1:7600, or PORTDRIFT_COLLECTOR), `--token-file`, `--token` or PORTDRIFT_TOKEN. A collector
// that cannot be reached is PD_COLLECTOR_UNREACHABLE naming the URL; an error answer is
// PD_COLLECTOR_RESPONSE with the collector's own code and message.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { PortdriftError } from '../shared/errors.js';
import { oneLine } from '../shared/format/safe-text.js';
import type { CliContext } from './context.js';

export const DEFAULT_COLLECTOR = 'http://127.0.0.1:7600';
/** How long a query waits for the collector's answer, unless told otherwise. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface ClientOptions {
  collector?: string;
  token?: string;
  tokenFile?: string;
}

export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--collector <url>', `collector URL (default ${DEFAULT_COLLECTOR}, or PORTDRIFT_COLLECTOR)`)
    .addOption(
      new Option(
        '--token <token>',
        'API token (or PORTDRIFT_TOKEN; prefer --token-file: argv is visible to every local user)',
      ),
    )
    .option('--token-file <file>', 'file holding the API token (a systemd credential, a mounted secret)');
}

/** The token from exactly one of --token, --token-file, PORTDRIFT_TOKEN (in that order). */
function clientToken(ctx: CliContext, opts: ClientOptions, what: string): string {
  if (opts.token !== undefined && opts.tokenFile !== undefined)
    throw new PortdriftError('PD_USAGE', 'give --token or --token-file, not both');
  if (opts.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(ctx.cwd, opts.tokenFile), 'utf8').trim();
    } catch (err) {
      throw new PortdriftError(
        'PD_USAGE',
        `--token-file ${opts.tokenFile}: cannot read it: ` +
          `${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
    if (text === '' || /\s/.test(text))
      throw new PortdriftError(
        'PD_USAGE',
        `--token-file ${opts.tokenFile}: ${text === '' ? 'is empty' : 'holds more than one word'}; expected one token`,
      );
    return text;
  }
  const token = opts.token ?? ctx.env.PORTDRIFT_TOKEN?.trim();
  if (!token)
    throw new PortdriftError(
      'PD_USAGE',
      `${what}: give --token-file, --token or set PORTDRIFT_TOKEN (create one with \`portdrift token create\`)`,
    );
  return token;
}

export interface CallOptions {
  /** How long to wait for the answer (default 60 s). */
  timeoutMs?: number;
}

export async function callCollector(
  ctx: CliContext,
  opts: ClientOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  call: CallOptions = {},
): Promise<unknown> {
  const timeoutMs = call.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const base = opts.collector ?? ctx.env.PORTDRIFT_COLLECTOR ?? DEFAULT_COLLECTOR;
  let url: URL;
  try {
    url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new PortdriftError('PD_USAGE', `--collector ${JSON.stringify(base)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PortdriftError('PD_USAGE', `--collector must be an http(s) URL, got ${base}`);
  const token = clientToken(ctx, opts, `${method} ${url.pathname}`);
  // Ctrl-C (or SIGTERM) ends the request at once, as the 60 s limit does: a query must never
  // make its user send the signal twice. Plain timers, not AbortSignal.timeout (see
  // agent/daemon/deadline.ts for why that is unreliable on Node 20).
  const abort = new AbortController();
  let interrupted: string | undefined;
  const limit = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  void ctx.shutdown.then((signal) => {
    interrupted = signal;
    abort.abort(new Error(`interrupted by ${signal}`));
  });
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: abort.signal,
    });
    text = await res.text();
  } catch (err) {
    if (interrupted)
      throw new PortdriftError(
        'PD_INTERRUPTED',
        `${method} ${url.pathname}: interrupted by ${interrupted} before the collector at ${url.origin} answered`,
        { cause: err },
      );
    const reason = abort.signal.aborted ? (abort.signal.reason as Error).message : undefined;
    const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
    throw new PortdriftError(
      'PD_COLLECTOR_UNREACHABLE',
      `cannot reach the collector at ${url.origin}: ` +
        `${reason ?? cause?.code ?? cause?.message ?? (err as Error).message}`,
      { cause: err },
    );
  } finally {
    clearTimeout(limit);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PortdriftError(
      'PD_COLLECTOR_RESPONSE',
      `${method} ${url.pathname}: the collector at ${url.origin} answered HTTP ${res.status}, not JSON`,
    );
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new PortdriftError(
      'PD_COLLECTOR_RESPONSE',
      `${method} ${url.pathname}: HTTP ${res.status}${e ? `: ${e.message} [${e.code}]` : ''}`,
      { details: { status: res.status, ...(e?.code ? { code: e.code } : {}) } },
    );
  }
  return parsed;
}

/** Aligned columns for the table format; every cell one safe line (a collector's answer is text from elsewhere). */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((r) => r.map(oneLine));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return `${all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}
