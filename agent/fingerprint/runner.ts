// Fingerprinting of open ports, after the connect sweep and apart from it (the connect engine
// is untouched and costs nothing more when fingerprinting is off). Per port: the steps of
// registry.ts, each on a fresh connection (a hello a service did not understand may leave it
// confused), until one is recognised or the port's deadline passes. Bounded everywhere: a
// deadline per port, a read cap per attempt, a small pool of ports in flight overall and per
// address, and a cap on ports per address (a host that accepts every port is a middlebox, not
// 65535 services). A hostile or broken service costs at most these bounds; nothing throws.
import type { Fingerprint, ServiceName } from '../../shared/types.js';
import { exchange } from './connection.js';
import { firstGuess, recogniser, steps } from './registry.js';
import { excerpt } from './text.js';
import type { AttemptResult, HelloContext, Limits } from './types.js';

export interface FingerprintOptions {
  /** Wall time for one port's whole fingerprinting (default 1000 ms). */
  deadlineMs?: number;
  /**
   * How long to wait for a banner when none is expected (default 150 ms): a server-first
   * service greets at once on accept. When one is expected (ssh, smtp, ftp, mysql) the wait is
   * attemptTimeoutMs.
   */
  bannerWaitMs?: number;
  /** Longest wait for the expected hello's answer (default 500 ms). */
  attemptTimeoutMs?: number;
  /**
   * Longest wait for any other hello's answer (default 200 ms; at least 8 connect round trips).
   * Many services wait silently for the rest of a message they cannot parse, so each wrong
   * guess costs this.
   */
  guessTimeoutMs?: number;
  /** Most bytes read per attempt (default 4096); the TLS handshake may read tlsMaxBytes (default 16384). */
  maxBytes?: number;
  tlsMaxBytes?: number;
  /** Most bytes read for one port over all its attempts (default 24576). */
  portMaxBytes?: number;
  /** Ports fingerprinted at once, overall (default 16) and per address (default 4). */
  concurrency?: number;
  perAddress?: number;
  /** Most ports fingerprinted per address (default 256); the others get an `unknown` saying so. */
  maxPortsPerAddress?: number;
  signal?: AbortSignal;
}

/** Below this many bytes of the port's budget left, another attempt could not read an answer. */
const MIN_ATTEMPT_BYTES = 64;

export const FINGERPRINT_DEFAULTS = {
  deadlineMs: 1000,
  bannerWaitMs: 150,
  attemptTimeoutMs: 500,
  guessTimeoutMs: 200,
  maxBytes: 4096,
  tlsMaxBytes: 16_384,
  portMaxBytes: 24_576,
  concurrency: 16,
  perAddress: 4,
  maxPortsPerAddress: 256,
} as const;

export interface FingerprintTarget {
  host: string;
  ip: string;
  port: number;
  /** The service the port should have: its hello goes first. */
  expect?: ServiceName;
  /** The connect round trip measured by the probe, to scale the waits on slow paths. */
  rttMs?: number | null;
}

/** A port's fingerprint and what it cost. */
export interface FingerprintReport {
  fingerprint: Fingerprint;
  /** Connections opened and bytes read for it, and its wall time. */
  attempts: number;
  bytes: number;
  ms: number;
}

type Settings = Required<Omit<FingerprintOptions, 'signal'>> & { signal?: AbortSignal };

function settings(o: FingerprintOptions): Settings {
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...FINGERPRINT_DEFAULTS, ...given } as Settings;
}

/** Fingerprints one open port. Never throws. */
export async function fingerprintPort(
  target: FingerprintTarget,
  options: FingerprintOptions = {},
): Promise<FingerprintReport> {
  const s = settings(options);
  const started = performance.now();
  const deadline = started + s.deadlineMs;
  const hint = firstGuess(target.port, target.expect);
  let attempts = 0;
  let bytes = 0;
  let unrecognised: { what: string; data: Buffer } | null = null;
  const report = (fingerprint: Fingerprint): FingerprintReport => {
    const ms = Math.round((performance.now() - started) * 10) / 10;
    return { fingerprint, attempts, bytes, ms };
  };

  const guessMs = Math.min(s.attemptTimeoutMs, Math.max(s.guessTimeoutMs, 8 * (target.rttMs ?? 0)));
  const bannerMs = Math.min(s.attemptTimeoutMs, Math.max(s.bannerWaitMs, 8 * (target.rttMs ?? 0)));
  const plan = steps(hint);
  const expectBanner = hint !== null && plan[0]!.kind === 'banner';
  let tentative: Fingerprint | null = null;
  // Attempts the server closed without sending a byte, and whether the banner wait was one.
  let emptyCloses = 0;
  let silentClose = false;
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i]!;
    if (performance.now() >= deadline || s.signal?.aborted || bytes >= s.portMaxBytes - MIN_ATTEMPT_BYTES) break;
    const sent = step.kind === 'banner' ? null : step.module.name;
    const ctx: HelloContext = { host: target.host, ip: target.ip, port: target.port, hint, sent };
    // The first step is the expected one (or the banner wait): it gets the full wait.
    const expected = i === 0 && hint !== null;
    const limits: Limits = {
      deadline,
      timeoutMs: expected ? s.attemptTimeoutMs : guessMs,
      maxBytes: Math.min(sent === 'tls' ? s.tlsMaxBytes : s.maxBytes, s.portMaxBytes - bytes),
      ...(s.signal ? { signal: s.signal } : {}),
    };
    attempts++;
    let r: AttemptResult;
    try {
      if (step.kind === 'hello' && step.module.attempt) r = await step.module.attempt(ctx, limits);
      else {
        r = await exchange({
          ip: target.ip,
          port: target.port,
          hello: step.kind === 'hello' ? step.module.hello!(ctx) : null,
          recognise: recogniser(ctx),
          limits,
          ...(step.kind === 'banner' ? { firstByteMs: expected && expectBanner ? s.attemptTimeoutMs : bannerMs } : {}),
        });
      }
    } catch (err) {
      // A module bug must cost this port its fingerprint, never the agent its run.
      r = { fingerprint: null, data: Buffer.alloc(0), bytes: 0, end: `internal error: ${(err as Error).message}` };
    }
    bytes += r.bytes;
    if (r.fingerprint) {
      const tlsAt = plan.findIndex((x, j) => j > i && x.kind === 'hello' && x.module.name === 'tls');
      if (tentative === null && tlsAt !== -1 && isPlainHttpToTls(r.fingerprint)) {
        // A TLS server may answer plain HTTP with 400 (nginx: "The plain HTTP request was
        // sent to HTTPS port"): the TLS hello goes next, and this answer stands if it fails.
        tentative = r.fingerprint;
        plan.splice(i + 1, 0, ...plan.splice(tlsAt, 1));
        continue;
      }
      return report(r.fingerprint);
    }
    if (tentative) return report(tentative);
    if (r.data.length > 0 && !unrecognised) {
      unrecognised = { what: sent ? `answer to the ${sent} hello` : 'banner', data: r.data };
    }
    // A banner nobody knows is a server-first service of another kind: client hellos would
    // only be noise to it. A service that filled a whole read cap with nothing recognisable
    // floods whatever it is sent: more hellos would only read more.
    if ((step.kind === 'banner' && r.data.length > 0) || r.end?.startsWith('read cap')) break;
    // A server that closes a connection on which nothing was sent, without a byte, and does so
    // again, speaks no protocol to anyone (a bare accept-and-close, a connection limit): every
    // further hello would cost a connection for the same answer.
    if (r.end === 'closed' && r.bytes === 0) {
      emptyCloses++;
      if (step.kind === 'banner') silentClose = true;
      if (silentClose && emptyCloses >= 2) {
        return report({
          service: 'unknown',
          detail: `closes every connection at once, without a byte (${attempts} attempts)`,
        });
      }
    }
  }
  if (tentative) return report(tentative);
  if (unrecognised) {
    return report({ service: 'unknown', detail: `unrecognised ${unrecognised.what}: "${excerpt(unrecognised.data)}"` });
  }
  let why = 'no banner and no hello answered';
  if (s.signal?.aborted) why = 'stopped';
  else if (performance.now() >= deadline) why = `nothing recognised within ${s.deadlineMs} ms`;
  return report({ service: 'unknown', detail: `${why} (${attempts} attempt${attempts === 1 ? '' : 's'})` });
}

/**
 * Fingerprints many open ports with a bounded pool, addresses taking turns. Results are in the
 * order of `targets`; a port not started before `signal` aborted has no report (undefined).
 */
export async function fingerprintAll(
  targets: readonly FingerprintTarget[],
  options: FingerprintOptions = {},
): Promise<(FingerprintReport | undefined)[]> {
  const s = settings(options);
  const out: (FingerprintReport | undefined)[] = new Array(targets.length);
  const queues = new Map<string, number[]>();
  const seen = new Map<string, number>();
  targets.forEach((t, i) => {
    const n = (seen.get(t.ip) ?? 0) + 1;
    seen.set(t.ip, n);
    if (n > s.maxPortsPerAddress) {
      const detail = `not fingerprinted: more than ${s.maxPortsPerAddress} open ports on ${t.ip}`;
      out[i] = { fingerprint: { service: 'unknown', detail }, attempts: 0, bytes: 0, ms: 0 };
      return;
    }
    const q = queues.get(t.ip) ?? [];
    q.push(i);
    queues.set(t.ip, q);
  });
  const running = new Map<string, number>();
  let active = 0;
  return new Promise((resolve) => {
    const pump = () => {
      if (!s.signal?.aborted) {
        // One port per address per turn, so no address waits behind another's long list.
        let started = true;
        while (started && active < s.concurrency) {
          started = false;
          for (const [ip, q] of queues) {
            if (active >= s.concurrency) break;
            if (q.length === 0 || (running.get(ip) ?? 0) >= s.perAddress) continue;
            const i = q.shift()!;
            if (q.length === 0) queues.delete(ip);
            active++;
            started = true;
            running.set(ip, (running.get(ip) ?? 0) + 1);
            void fingerprintPort(targets[i]!, options)
              // fingerprintPort does not throw; should it ever, the port is unknown, the pool goes on.
              .catch((err: unknown): FingerprintReport => {
                const detail = `internal error: ${(err as Error)?.message ?? String(err)}`;
                return { fingerprint: { service: 'unknown', detail }, attempts: 0, bytes: 0, ms: 0 };
              })
              .then((r) => {
                out[i] = r;
                active--;
                running.set(ip, running.get(ip)! - 1);
                pump();
              });
          }
        }
      }
      if (active === 0 && (queues.size === 0 || s.signal?.aborted)) resolve(out);
    };
    pump();
  });
}

function isPlainHttpToTls(fp: Fingerprint): boolean {
  return fp.service === 'http' && /^HTTP\/[\d.]+ 400\b/.test(fp.detail ?? '');
}
