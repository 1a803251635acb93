// The agent's configuration: the YAML file (`--config F`) with flags laid over it, every key also
// a flag (`spoolMax` ⇄ `--spool-max`), validated with every problem reported at once. The token
// comes from exactly one place: `--token`, `--token-file` (what systemd credentials and
// Kubernetes secrets give) or PORTDRIFT_TOKEN; it is never logged.
import { readFileSync } from 'node:fs';
import { buildConfig, type Infer } from '../../shared/config.js';
import { PortdriftError, isPortdriftError } from '../../shared/errors.js';
import { DEFAULT_LIMITS } from './spool.js';
import { DEFAULT_MAX_BATCH_BYTES } from './batch.js';
import { DEFAULT_PLAN_MAX_BYTES } from './transport.js';

export const agentSchema = {
  collector: { type: 'string', required: true, pattern: /^https?:\/\/[^\s/]+/, patternHint: 'an http:// or https:// URL', describe: 'the collector base URL' },
  token: { type: 'string', describe: 'agent token (prefer --token-file or PORTDRIFT_TOKEN: argv is visible to every local user)' },
  tokenFile: { type: 'string', describe: 'file holding the agent token' },
  name: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/, patternHint: 'letters, digits and ._:/@- (at most 128)', describe: 'this agent in every batch (default: the host name)' },
  scope: { type: 'strings', describe: 'CIDRs this agent may probe; every resolved address is checked' },
  interval: { type: 'duration', min: 100, describe: "time between sweeps (default: the plan's)" },
  minInterval: {
    type: 'duration',
    min: 100,
    default: '30s',
    describe: 'shortest time between sweeps a plan may ask for; a shorter plan interval is raised to it',
  },
  spool: { type: 'string', describe: 'directory of the on-disk spool (default: in memory)' },
  spoolMax: { type: 'int', min: 1, max: 1_000_000, default: DEFAULT_LIMITS.maxBatches, describe: 'most batches kept in the spool' },
  spoolMaxBytes: { type: 'int', min: 4096, default: DEFAULT_LIMITS.maxBytes, describe: 'most bytes kept in the spool' },
  concurrency: { type: 'int', min: 1, max: 65535, describe: 'most probes in flight (default: sized from the fd limit)' },
  timeout: { type: 'duration', min: 10, describe: 'probe connect timeout ceiling' },
  retries: { type: 'int', min: 0, max: 5, describe: 'retries of filtered probes' },
  listeners: { type: 'bool', describe: "also report this network namespace's LISTEN sockets" },
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
  logLevel: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, default: 'info' },
} as const;

export type AgentConfig = Infer<typeof agentSchema>;

export interface AgentSettings extends Omit<AgentConfig, 'token' | 'tokenFile' | 'name'> {
  token: string;
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
  try {
    config = buildConfig(agentSchema, input.file, input.flags, input.origin);
  } catch (err) {
    if (!isPortdriftError(err) || err.code !== 'PD_CONFIG_INVALID') throw err;
    problems.push(...((err.details?.problems as string[] | undefined) ?? [err.message]));
  }
  // Cross-field checks also run on the raw values when the schema step failed, so that one
  // run of the agent lists everything wrong with its configuration.
  const raw = { ...input.file, ...Object.fromEntries(Object.entries(input.flags).filter(([, v]) => v !== undefined)) } as Record<string, unknown>;
  const scope = config?.scope ?? (Array.isArray(raw.scope) ? raw.scope : typeof raw.scope === 'string' ? [raw.scope] : []);
  if (scope.length === 0) problems.push('scope: at least one CIDR is required: the agent probes only inside its scope');
  scope.forEach((cidr, i) => {
    const p = typeof cidr === 'string' ? input.checkCidr(cidr) : 'must be a string';
    if (p) problems.push(`scope[${i}]: ${p}`);
  });

  let token: string | undefined;
  const sources = [raw.token !== undefined && 'token', raw.tokenFile !== undefined && 'tokenFile'].filter(Boolean);
  if (sources.length > 1) problems.push('token: give either token or tokenFile, not both');
  else if (typeof raw.tokenFile === 'string' && raw.tokenFile !== '') {
    try {
      token = readFileSync(raw.tokenFile, 'utf8').trim();
      if (token === '') problems.push(`tokenFile: ${raw.tokenFile} is empty`);
    } catch (err) {
      problems.push(`tokenFile: cannot read ${raw.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (typeof raw.token === 'string' && raw.token !== '') token = raw.token;
  else if (sources.length === 0) {
    token = input.env.PORTDRIFT_TOKEN?.trim() || undefined;
    if (!token) problems.push('token: required (--token, --token-file or PORTDRIFT_TOKEN)');
  }
  if (token !== undefined && /\s/.test(token)) problems.push('token: must not contain white space');

  if (problems.length > 0 || !config || token === undefined) {
    throw new PortdriftError('PD_CONFIG_INVALID', `${input.origin ?? 'config'} is invalid:\n  ${problems.join('\n  ')}`, { details: { problems } });
  }
  const { token: _t, tokenFile: _f, name, ...rest } = config;
  return Object.freeze({ ...rest, token, name: name ?? sanitizeName(input.hostname) });
}

/** A host name as an agent name: the same character set the `name` key accepts. */
function sanitizeName(hostname: string): string {
  const n = hostname.replace(/[^A-Za-z0-9._:/@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return n === '' ? 'agent' : n;
}
