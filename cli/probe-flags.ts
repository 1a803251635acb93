// The probing flags `probe` and `scan` (and `fix` without --from) share, checked in one place:
// every problem is found before anything is read or probed, each names its flag, and the error
// has the code docs/errors.md gives for it (PD_PORT_SPEC, PD_DURATION, PD_CONFIG_INVALID for a
// CIDR, PD_USAGE for a count). Several problems at once are one PD_USAGE error listing them all,
// with each problem's own code in details.
import { parseDuration } from '../shared/duration.js';
import { type ErrorCode, PortdriftError, isPortdriftError } from '../shared/errors.js';
import { type Exclusion, parseExclusion } from '../shared/exclude.js';
import { parsePortSpec, portNumber } from '../shared/ports.js';
import { checkCidr, makeAdmit } from '../shared/scope.js';
import { SERVICE_NAMES, serviceName } from '../shared/services.js';
import type { ServiceName } from '../shared/types.js';

export interface ProbeFlagText {
  ports?: string;
  concurrency?: string;
  timeout?: string;
  retries?: string;
  allowSpecial?: string[];
  /** `--expect PORT=SERVICE`, repeatable (`probe --fingerprint`). */
  expect?: string[];
  exclude?: string[];
  excludePorts?: string;
  rate?: string;
}

export interface ProbeFlagValues {
  /** Undefined when --ports was not given. */
  ports?: number[];
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  admit: (ip: string) => string | null;
  /** Port → the service expected there; undefined when no --expect was given. */
  expect?: Record<number, ServiceName>;
  /** --exclude: addresses and names left out (undefined when not given). */
  exclude?: Exclusion;
  /** --exclude-ports: never probed, whatever else asks for them. */
  excludePorts?: ReadonlySet<number>;
  /** --rate: most connects per second over all hosts together. */
  rate?: number;
}

/** Most connects per second `--rate` may ask for (far above what one machine can do). */
const MAX_RATE = 1_000_000;

interface Problem {
  flag: string;
  code: ErrorCode;
  message: string;
}

/** Longest connect timeout a flag may ask for: beyond it a port is not "slow", it is filtered. */
const MAX_TIMEOUT_MS = 120_000;

export function parseProbeFlags(o: ProbeFlagText): ProbeFlagValues {
  const problems: Problem[] = [];
  // Each parser's error names its value; a parser told the flag (as the port-spec one is) names
  // that too, else the flag is put before its message here.
  const attempt = <T>(flag: string, f: () => T, named = false): T | undefined => {
    try {
      return f();
    } catch (err) {
      const code = isPortdriftError(err) ? err.code : 'PD_USAGE';
      const message = (err as Error).message;
      problems.push({ flag, code, message: named ? message : `${flag}: ${message}` });
      return undefined;
    }
  };
  const int = (text: string | undefined, flag: string, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    if (/^\d+$/.test(text) && Number(text) >= min && Number(text) <= max) return Number(text);
    problems.push({
      flag,
      code: 'PD_USAGE',
      message: `${flag} ${JSON.stringify(text)}: expected an integer from ${min} to ${max}`,
    });
    return undefined;
  };

  let ports: number[] | undefined;
  if (o.ports !== undefined) {
    ports = attempt('--ports', () => parsePortSpec(o.ports!, { field: '--ports' }), true);
    if (ports !== undefined && ports.length === 0)
      problems.push({
        flag: '--ports',
        code: 'PD_PORT_SPEC',
        message: `--ports ${JSON.stringify(o.ports)} names no port`,
      });
  }
  const concurrency = int(o.concurrency, '--concurrency', 1, 65535);
  const retries = int(o.retries, '--retries', 0, 10);
  let timeoutMs: number | undefined;
  if (o.timeout !== undefined) {
    timeoutMs = attempt('--timeout', () => parseDuration(o.timeout!));
    if (timeoutMs !== undefined && (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS))
      problems.push({ flag: '--timeout', code: 'PD_DURATION', message: `--timeout ${o.timeout}: expected 1ms to 2m` });
  }
  // Each CIDR checked here, so the problem reads as the flag's; makeAdmit then cannot refuse them.
  const cidrProblems = (o.allowSpecial ?? []).map(checkCidr).filter((p): p is string => p !== null);
  if (cidrProblems.length > 0) {
    const message = `--allow-special: ${cidrProblems.join('; ')}`;
    problems.push({ flag: '--allow-special', code: 'PD_CONFIG_INVALID', message });
  }
  const allow = o.allowSpecial ?? [];
  const admit = cidrProblems.length > 0 ? undefined : attempt('--allow-special', () => makeAdmit({ allow }));
  let expect: Record<number, ServiceName> | undefined;
  for (const text of o.expect ?? []) {
    const m = /^(\d+)=(.+)$/.exec(text.trim());
    const name = m ? serviceName(m[2]!) : null;
    const port = m ? portNumber(m[1]!) : null;
    if (port === null || name === null) {
      const known = SERVICE_NAMES.filter((n) => n !== 'unknown').join(', ');
      const message = `--expect ${JSON.stringify(text)}: expected PORT=SERVICE, a port 1–65535 and one of ${known}`;
      problems.push({ flag: '--expect', code: 'PD_USAGE', message });
      continue;
    }
    expect = { ...expect, [port]: name };
  }
  const exclude = o.exclude?.length ? attempt('--exclude', () => parseExclusion(o.exclude!)) : undefined;
  const excluded =
    o.excludePorts !== undefined
      ? attempt('--exclude-ports', () => parsePortSpec(o.excludePorts!, { field: '--exclude-ports' }), true)
      : undefined;
  let rate: number | undefined;
  if (o.rate !== undefined) {
    rate = Number(o.rate);
    if (!/^\d+(?:\.\d+)?$/.test(o.rate) || !(rate > 0) || rate > MAX_RATE) {
      const message = `--rate ${JSON.stringify(o.rate)}: expected connects per second, above 0 and at most ${MAX_RATE}`;
      problems.push({ flag: '--rate', code: 'PD_USAGE', message });
      rate = undefined;
    }
  }

  if (problems.length === 1)
    throw new PortdriftError(problems[0]!.code, problems[0]!.message, { details: { flag: problems[0]!.flag } });
  if (problems.length > 1 || !admit)
    throw new PortdriftError('PD_USAGE', problems.map((p) => p.message).join('; '), { details: { problems } });
  const values: ProbeFlagValues = {
    admit,
    ...(exclude !== undefined ? { exclude } : {}),
    ...(excluded !== undefined ? { excludePorts: new Set(excluded) } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(ports !== undefined ? { ports } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
  return expect ? { ...values, expect } : values;
}
