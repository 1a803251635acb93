// The enrolled agent's key: kept in its state directory (private, checked as the spool is: see
// private-dir.ts) in the file `agent-key`, mode 0600, owned by the agent's user. The first start
// with an enroll secret asks the collector for a key (POST /v1/enroll) and keeps it; later
// starts use the kept key and never enroll again, so a restarted agent keeps its name. A rotated
// key (`portdrift agents rotate`) replaces the file before it is used.
import { join } from 'node:path';
import { PortdriftError, isPortdriftError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { PodIdentity } from '../../shared/types.js';
import { readRegularFile, writeFileAtomic } from './atomic.js';
import { retrying } from '../../shared/retry.js';
import { sleep, type Sleep } from './backoff.js';
import { ensurePrivateDir } from './private-dir.js';

export const KEY_FILE = 'agent-key';

/** What an agent says of itself at enrollment (the collector validates every field). */
export interface AgentIdentity {
  name: string;
  host: string;
  version: string;
  scope: readonly string[];
  pod?: PodIdentity;
}

/** The Kubernetes downward-API fields (and the labels file's labels), when the agent runs in a pod. */
export function podIdentity(
  env: Readonly<Record<string, string | undefined>>,
  labels?: Record<string, string>,
): PodIdentity | undefined {
  const pod = { name: env.POD_NAME, namespace: env.POD_NAMESPACE, ip: env.POD_IP, node: env.NODE_NAME };
  const set: PodIdentity = Object.fromEntries(Object.entries(pod).filter(([, v]) => v !== undefined && v !== ''));
  if (labels) set.labels = labels;
  return Object.keys(set).length > 0 ? set : undefined;
}

/** The kept key, or null when the agent has not enrolled yet. The directory is created or checked. */
export function readKey(dir: string): string | null {
  ensurePrivateDir(dir, 'state directory');
  const file = join(dir, KEY_FILE);
  let text: string;
  try {
    text = readRegularFile(file, 4096, (st) => {
      const uid = typeof process.geteuid === 'function' ? process.geteuid() : null;
      if ((uid !== null && st.uid !== uid) || (st.mode & 0o077) !== 0) {
        const why = `is owned by uid ${st.uid} with mode ${(st.mode & 0o777).toString(8)}`;
        throw new PortdriftError('PD_SPOOL', `agent key ${file} ${why}: it must be the agent user's alone (chmod 600)`);
      }
    })
      .toString('utf8')
      .trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof PortdriftError) throw err;
    const message = `agent key ${file}: cannot read it: ${(err as Error).message}`;
    throw new PortdriftError('PD_SPOOL', message, { cause: err });
  }
  if (!/^pdt_[A-Za-z0-9_-]{20,200}$/.test(text)) {
    throw new PortdriftError('PD_SPOOL', `agent key ${file} holds no agent key; delete it to enroll again`);
  }
  return text;
}

/** Keep `key` (atomically, mode 0600) in the state directory. */
export function writeKey(dir: string, key: string): void {
  ensurePrivateDir(dir, 'state directory');
  try {
    writeFileAtomic(join(dir, KEY_FILE), `${key}\n`);
  } catch (err) {
    const message = `agent key ${join(dir, KEY_FILE)}: cannot write it: ${(err as Error).message}`;
    throw new PortdriftError('PD_SPOOL', message, { cause: err });
  }
}

/**
 * Enroll, retrying while the collector is unreachable or answers 5xx (an agent may start before
 * its collector), with backoff; a refusal (4xx: bad secret, name taken, scope) is thrown at once.
 * Null when `signal` stops the agent first.
 */
export async function enrollWithRetry(
  enroll: () => Promise<string>,
  log: Logger,
  signal: AbortSignal,
  random: () => number = Math.random,
  wait: Sleep = sleep,
): Promise<string | null> {
  const transient = (err: unknown): boolean => {
    const status = isPortdriftError(err) ? Number(err.details?.status ?? NaN) : NaN;
    return isPortdriftError(err) && (err.code === 'PD_COLLECTOR_UNREACHABLE' || status >= 500);
  };
  try {
    const r = await retrying(enroll, {
      attempts: Infinity,
      backoff: { baseMs: 1000, maxMs: 60_000, jitter: 'full' },
      random,
      sleep: wait,
      signal,
      retryError: transient,
      onRetry: ({ delayMs, last }) => {
        const err = 'error' in last ? (last.error as Error).message : '';
        log.warn({ err, retryInMs: delayMs }, 'cannot enroll yet; retrying');
      },
    });
    return r.ok ? r.value : null;
  } catch (err) {
    if (signal.aborted) return null;
    throw err;
  }
}
