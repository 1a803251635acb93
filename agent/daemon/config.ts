// The agent's configuration: the YAML file (`--config F`) with flags laid over it, every key also
// a flag (`spoolMax` ⇄ `--spool-max`), validated with every problem reported at once. The token
// comes from exactly one place: `--token`, `--token-file` (what systemd credentials and
// Kubernetes secrets give) or PORTDRIFT_TOKEN; it is never logged.
import { readFileSync } from 'node:fs';
import { buildConfig, type Infer } from '../../shared/config.js';
import { PortdriftError, isPortdriftError } from '../../shared/errors.js';
import { parseExclusion } from '../../shared/exclude.js';
import { parsePortSpec } from '../../shared/ports.js';
import { DEFAULT_LIMITS } from './spool.js';
import { DEFAULT_MAX_BATCH_BYTES } from './batch.js';
import { DEFAULT_PLAN_MAX_BYTES } from './transport.js';

export const agentSchema = {
  collector: {
    type: 'string',
    required: true,
    pattern: /^https?:\/\/[^\s/]+/,
    patternHint: 'an http:// or https:// URL',
    describe: 'the collector base URL',
  },
  token: {
    type: 'string',
    describe: 'agent token (prefer --token-file or PORTDRIFT_TOKEN: argv is visible to every local user)',
  },
  tokenFile: { type: 'string', describe: 'file holding the agent token' },
  enrollSecretFile: {
    type: 'string',
    describe:
      'file holding an enroll secret (or PORTDRIFT_ENROLL_SECRET): on first start the agent enrolls ' +
      'and keeps its own key in --state-dir',
  },
  stateDir: {
    type: 'string',
    describe: 'private directory of the enrolled agent key (default: the --spool directory)',
  },
  name: {
    type: 'string',
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/,
    patternHint: 'letters, digits and ._:/@- (at most 128)',
    describe: 'this agent in every batch (default: POD_NAMESPACE/POD_NAME in Kubernetes, else the host name)',
  },
  scope: { type: 'strings', describe: 'CIDRs this agent may probe; every resolved address is checked' },
  interval: { type: 'duration', min: 100, describe: "time between sweeps (default: the plan's)" },
  minInterval: {
    type: 'duration',
    min: 100,
    default: '30s',
    describe: 'shortest time between sweeps a plan may ask for; a shorter plan interval is raised to it',
  },
  checkInterval: {
    type: 'duration',
    min: 0,
    describe: "time between re-probes of the declared ports between sweeps (default: the plan's, 15s; 0s: off)",
  },
  spool: { type: 'string', describe: 'directory of the on-disk spool (default: in memory)' },
  spoolMax: {
    type: 'int',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_LIMITS.maxBatches,
    describe: 'most batches kept in the spool',
  },
  spoolMaxBytes: { type: 'int', min: 4096, default: DEFAULT_LIMITS.maxBytes, describe: 'most bytes kept in the spool' },
  concurrency: {
    type: 'int',
    min: 1,
    max: 65535,
    describe: 'most probes in flight (default: sized from the fd limit)',
  },
  timeout: { type: 'duration', min: 10, describe: 'probe connect timeout ceiling' },
  retries: { type: 'int', min: 0, max: 5, describe: 'retries of filtered probes' },
  listeners: { type: 'bool', describe: "also report this network namespace's LISTEN sockets" },
  podLabels: {
    type: 'string',
    describe:
      "the pod's labels file (a downwardAPI volume's metadata.labels), sent with the pod so the collector " +
      'maps the pod to its workload',
  },
  exclude: {
    type: 'strings',
    describe: 'addresses, CIDRs or host names never probed, whatever the plan asks (as nmap --exclude)',
  },
  excludePorts: { type: 'string', describe: 'ports never probed, whatever the plan asks (a port spec: 22,8000-8100)' },
  rate: { type: 'int', min: 1, max: 10_000_000, describe: 'most new connects per second over all hosts together' },
  fingerprint: {
    type: 'enum',
    values: ['expected', 'all', 'off'] as const,
    default: 'expected',
    describe:
      'which open ports get a read-only protocol hello: expected (declared ports whose IaC names a service, ' +
      'and moved candidates near them), all, or off',
  },
  planMaxBytes: {
    type: 'int',
    min: 1024,
    default: DEFAULT_PLAN_MAX_BYTES,
    describe: 'largest plan the agent reads; a larger answer is refused as it streams in',
  },
  maxBatchBytes: {
    type: 'int',
    min: 16 * 1024,
    default: DEFAULT_MAX_BATCH_BYTES,
    describe: "largest batch sent; a bigger sweep is split (keep it under the collector's maxBatchBytes)",
  },
  caFile: { type: 'string', describe: 'CA bundle to verify an https collector' },
  stopGrace: { type: 'duration', default: '2s', describe: 'on SIGTERM, how long a sweep may still run' },
  flushTimeout: { type: 'duration', default: '5s', describe: 'on SIGTERM, how long to try delivering the spool' },
  logLevel: {
    type: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
    default: 'info',
  },
} as const;

export type AgentConfig = Infer<typeof agentSchema>;

/** Keys resolved into other settings (token, enrollSecret, stateDir, name). */
type Resolved = 'token' | 'tokenFile' | 'name' | 'enrollSecretFile' | 'stateDir';

export interface AgentSettings extends Omit<AgentConfig, Resolved> {
  /** The agent token; null when the agent enrolls (or uses the key it enrolled for before). */
  token: string | null;
  /** The enroll secret; null when a token is given. */
  enrollSecret: string | null;
  /** Where the enrolled key lives: --state-dir, else --spool; null without enrollment. */
  stateDir: string | null;
  name: string;
}

export interface ResolveInput {
  file: Record<string, unknown>;
  flags: Record<string, unknown>;
  env: Readonly<Record<string, string | undefined>>;
  hostname: string;
  /** Problems of one CIDR (`shared/scope.ts`), or none. */
  checkCidr: (cidr: string) => string | null;
  origin?: string;
}

/** Validate, then resolve the token and name; all problems of both steps in one error. */
export function resolveAgentConfig(input: ResolveInput): AgentSettings {
  const problems: string[] = [];
  let config: AgentConfig | undefined;
  let refusedKeys: readonly string[] = [];
  try {
    config = buildConfig(agentSchema, input.file, input.flags, input.origin);
  } catch (err) {
    if (!isPortdriftError(err) || err.code !== 'PD_CONFIG_INVALID') throw err;
    problems.push(...((err.details?.problems as string[] | undefined) ?? [err.message]));
    refusedKeys = (err.details?.keys as string[] | undefined) ?? [];
  }
  // Cross-field checks also run on the raw values when the schema step failed, so that one
  // run of the agent lists everything wrong with its configuration.
  const raw = {
    ...input.file,
    ...Object.fromEntries(Object.entries(input.flags).filter(([, v]) => v !== undefined)),
  } as Record<string, unknown>;
  const scope =
    config?.scope ?? (Array.isArray(raw.scope) ? raw.scope : typeof raw.scope === 'string' ? [raw.scope] : []);
  if (scope.length === 0) problems.push('scope: at least one CIDR is required: the agent probes only inside its scope');
  scope.forEach((cidr, i) => {
    const p = typeof cidr === 'string' ? input.checkCidr(cidr) : 'must be a string';
    if (p) problems.push(`scope[${i}]: ${p}`);
  });
  const exclude =
    config?.exclude ??
    (Array.isArray(raw.exclude) ? raw.exclude : typeof raw.exclude === 'string' ? [raw.exclude] : []);
  if (exclude.length > 0 && exclude.every((e) => typeof e === 'string')) {
    try {
      parseExclusion(exclude as string[]);
    } catch (err) {
      problems.push(`exclude: ${(err as Error).message}`);
    }
  }
  if (typeof raw.excludePorts === 'string') {
    try {
      parsePortSpec(raw.excludePorts);
    } catch (err) {
      problems.push(`excludePorts: ${(err as Error).message}`);
    }
  }

  const before = problems.length;
  const token = readSecret(raw, input.env, 'token', 'tokenFile', 'PORTDRIFT_TOKEN', problems);
  const enrollSecret = readSecret(raw, input.env, null, 'enrollSecretFile', 'PORTDRIFT_ENROLL_SECRET', problems);
  // A secret already refused (by the schema or just above) is not reported missing as well.
  const secretKeys = ['token', 'tokenFile', 'enrollSecretFile'];
  const secretProblem = problems.length > before || refusedKeys.some((k) => secretKeys.includes(k));
  if (token !== undefined && enrollSecret !== undefined) {
    problems.push(
      'token: give either a token (--token, --token-file, PORTDRIFT_TOKEN) or an enroll secret ' +
        '(--enroll-secret-file, PORTDRIFT_ENROLL_SECRET), not both',
    );
  } else if (token === undefined && enrollSecret === undefined && !secretProblem) {
    problems.push(
      'token: required (--token, --token-file or PORTDRIFT_TOKEN), ' +
        'or an enroll secret (--enroll-secret-file or PORTDRIFT_ENROLL_SECRET)',
    );
  }
  const dirOf = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const stateDir = dirOf(raw.stateDir) ?? dirOf(raw.spool);
  if (enrollSecret !== undefined && stateDir === null) {
    problems.push('stateDir: an enrolling agent needs --state-dir (or --spool) to keep its key between starts');
  }

  if (problems.length > 0 || !config) {
    throw new PortdriftError(
      'PD_CONFIG_INVALID',
      `${input.origin ?? 'config'} is invalid:\n  ${problems.join('\n  ')}`,
      { details: { problems } },
    );
  }
  const { token: _t, tokenFile: _f, enrollSecretFile: _e, stateDir: _s, name, ...rest } = config;
  const pod = input.env.POD_NAMESPACE && input.env.POD_NAME ? `${input.env.POD_NAMESPACE}/${input.env.POD_NAME}` : null;
  return Object.freeze({
    ...rest,
    token: token ?? null,
    enrollSecret: enrollSecret ?? null,
    stateDir: enrollSecret !== undefined ? stateDir : null,
    name: name ?? sanitizeName(pod ?? input.hostname),
  });
}

/**
 * A secret from exactly one place: the flag itself (`literal`, when allowed), its file, or the
 * environment variable. Undefined when none is given; problems are added to `problems`.
 */
function readSecret(
  raw: Record<string, unknown>,
  env: ResolveInput['env'],
  literal: 'token' | null,
  fileKey: 'tokenFile' | 'enrollSecretFile',
  envName: string,
  problems: string[],
): string | undefined {
  const key = literal ?? fileKey.replace(/File$/, '');
  const sources = [literal !== null && raw[literal] !== undefined, raw[fileKey] !== undefined].filter(Boolean);
  let value: string | undefined;
  if (sources.length > 1) problems.push(`${key}: give either ${literal} or ${fileKey}, not both`);
  else if (typeof raw[fileKey] === 'string' && raw[fileKey] !== '') {
    const file = raw[fileKey] as string;
    try {
      value = readFileSync(file, 'utf8').trim();
      if (value === '') problems.push(`${fileKey}: ${file} is empty`);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      problems.push(`${fileKey}: cannot read ${file}: ${why}`);
    }
  } else if (literal !== null && typeof raw[literal] === 'string' && raw[literal] !== '') {
    value = raw[literal] as string;
  } else if (sources.length === 0) value = env[envName]?.trim() || undefined;
  if (value !== undefined && /\s/.test(value)) problems.push(`${key}: must not contain white space`);
  return value === '' ? undefined : value;
}

/** A host name as an agent name: the same character set the `name` key accepts. */
function sanitizeName(hostname: string): string {
  const n = hostname
    .replace(/[^A-Za-z0-9._:/@-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return n === '' ? 'agent' : n;
}
