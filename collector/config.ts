// The collector's configuration: a YAML file (`--config F`) with every key also a flag
// (camelCase key ⇄ kebab-case flag), validated with every problem reported at once.
import { buildConfig, loadConfigFile, type Infer, type Schema } from '../shared/config.js';
import { checkRegions } from '../shared/live/aws/regions.js';
import { parsePortSpec } from '../shared/ports.js';
import { reportingIssues, reportingSchema, type ReportingSecrets } from './report/config.js';

export const collectorSchema = {
  iac: { type: 'strings', describe: 'IaC files and directories (as for extract)' },
  state: {
    type: 'strings',
    describe: 'Terraform state: files, globs, s3://BUCKET/KEY, https://… (HTTP backend), tfc://ORG/WORKSPACE',
  },
  live: {
    type: 'enum',
    values: ['aws'],
    describe: "also read the live configuration from this cloud: its hosts join the agents' plans",
  },
  awsRegion: { type: 'strings', describe: 'with live: AWS regions to read (default: AWS_REGION)' },
  awsProfile: { type: 'string', describe: 'with live: AWS shared-config profile (default: AWS_PROFILE)' },
  awsRoleArn: { type: 'string', describe: 'with live: IAM role to assume before reading' },
  liveRefresh: {
    type: 'duration',
    min: 1000,
    describe: 'with live: how often the live inventory is read again (default: the interval)',
  },
  targets: { type: 'string', describe: 'targets file mapping resources to hosts' },
  varFile: { type: 'strings', describe: 'Terraform variable files' },
  clusterDomain: { type: 'string', default: 'cluster.local', describe: 'Kubernetes cluster domain' },
  listen: {
    type: 'string',
    default: '127.0.0.1:7600',
    pattern: /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/,
    patternHint: 'HOST:PORT such as 127.0.0.1:7600 or [::1]:7600',
    describe: 'address to listen on',
  },
  data: {
    type: 'string',
    default: './portdrift.db',
    describe: 'the store: a SQLite file, or a PostgreSQL URL postgres://user@host:port/database (several collectors)',
  },
  leaderLease: {
    type: 'duration',
    default: '20s',
    min: 3000,
    max: 300_000,
    describe:
      'replicas on PostgreSQL: how long the leader lease holds without renewal (renewed every quarter); ' +
      'a leader that dies is replaced within 1.25 × this',
  },
  storeThread: { type: 'bool', default: true, describe: 'run SQLite on a worker thread beside the HTTP thread' },
  synchronous: {
    type: 'enum',
    values: ['full', 'normal'],
    default: 'full',
    describe: 'SQLite sync: full survives power loss (default); normal survives a crash of the collector only',
  },
  tlsCert: { type: 'string', describe: 'PEM certificate (https with tlsKey)' },
  tlsKey: { type: 'string', describe: 'PEM private key' },
  interval: {
    type: 'duration',
    default: '5m',
    min: 1000,
    describe: "the agents' probe interval, and how often IaC is reloaded",
  },
  checkInterval: {
    type: 'duration',
    default: '15s',
    describe:
      'how often agents re-probe the declared ports between ' +
      'sweeps (one connect each); a change an immediate re-probe ' +
      'confirms opens or resolves its findings at once, without damping cycles (0: off)',
  },
  cycles: {
    type: 'int',
    min: 1,
    max: 100,
    default: 2,
    describe: 'cycles (interval ticks) a finding must hold to open, or be absent to resolve',
  },
  debounce: {
    type: 'duration',
    default: '2s',
    describe:
      'delay between a batch and the drift evaluation it triggers ' +
      '(it refreshes open findings; cycles come from the interval)',
  },
  freshness: { type: 'duration', describe: 'observations older than this count as unobserved (default 3 × interval)' },
  discovery: {
    type: 'string',
    default: 'top',
    describe: 'discovery port spec probed on every host besides declared ports',
  },
  neighbourhood: {
    type: 'int',
    min: 0,
    max: 1000,
    default: 10,
    describe: 'ports probed around every declared port (±N)',
  },
  batchRetention: {
    type: 'duration',
    default: '30d',
    min: 60_000,
    describe: 'how long batch ids are remembered, so a resend within it is not stored twice',
  },
  retention: {
    type: 'duration',
    default: '30d',
    min: 60_000,
    describe: 'observation rows (latest port results, sweeps, listeners) older than this are pruned',
  },
  maxRowsPerAgent: {
    type: 'int',
    min: 1000,
    default: 1_000_000,
    describe: 'most rows (latest port results plus sweeps) one agent may hold; new rows past it are not stored',
  },
  agentKeyMaxAge: {
    type: 'duration',
    min: 3_600_000,
    describe: 'enrolled agent keys older than this get a new key on their next request, as agents rotate does',
  },
  maxBatchBytes: { type: 'int', min: 1024, default: 8 * 1024 * 1024, describe: 'largest observation batch (bytes)' },
  maxInflightBytes: {
    type: 'int',
    min: 1024 * 1024,
    default: 64 * 1024 * 1024,
    describe: 'batch bytes held at once across requests; past it a batch is answered 503 with Retry-After',
  },
  logLevel: {
    type: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    describe: 'log level: fatal, error, warn, info, debug, trace or silent',
  },
  ...reportingSchema,
} as const satisfies Schema;

export type CollectorConfig = Infer<typeof collectorSchema> & ReportingSecrets;

/**
 * Flags (camelCase keys, undefined when not given) over the file, validated at once, with the
 * secrets the entrypoint took from the environment (never flags: `ps` shows flags).
 */
export function collectorConfig(
  file: string | undefined,
  flags: Record<string, unknown>,
  secrets: ReportingSecrets = {},
): CollectorConfig {
  const fromFile = file ? loadConfigFile(file) : {};
  const origin = file ? `${file} with flags` : 'collector flags';
  const check = (c: Partial<CollectorConfig>, failed: ReadonlySet<string>) => crossCheck({ ...c, ...secrets }, failed);
  const config = buildConfig(collectorSchema, fromFile, flags, origin, check);
  return secrets.smtpPassword ? Object.freeze({ ...config, smtpPassword: secrets.smtpPassword }) : config;
}

/** What the schema alone cannot say; reported together with its problems (collector.md). */
const crossCheck = (c: Partial<CollectorConfig>, failed: ReadonlySet<string>): string[] => {
  const problems: string[] = [];
  const ok = (...keys: string[]) => keys.every((k) => !failed.has(k));
  if (ok('iac') && (c.iac?.length ?? 0) === 0) problems.push('iac: at least one IaC path is required (--iac PATH)');
  const given = (k: 'awsRegion' | 'awsProfile' | 'awsRoleArn' | 'liveRefresh'): boolean =>
    k === 'awsRegion' ? (c.awsRegion?.length ?? 0) > 0 : c[k] !== undefined;
  const awsKeys = (['awsRegion', 'awsProfile', 'awsRoleArn', 'liveRefresh'] as const).filter(given);
  if (ok('live') && c.live === undefined) for (const k of awsKeys) problems.push(`${k}: only applies with live: aws`);
  if (ok('awsRegion') && c.awsRegion) {
    try {
      checkRegions(c.awsRegion);
    } catch (err) {
      problems.push(`awsRegion: ${(err as Error).message.replace(/^--aws-region /, '')}`);
    }
  }
  const roleArn = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
  if (ok('awsRoleArn') && c.awsRoleArn !== undefined && !roleArn.test(c.awsRoleArn)) {
    problems.push('awsRoleArn: not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)');
  }
  if (ok('tlsCert', 'tlsKey') && (c.tlsCert === undefined) !== (c.tlsKey === undefined))
    problems.push('tlsKey: tlsCert and tlsKey go together');
  if (ok('discovery') && c.discovery !== undefined) {
    try {
      parsePortSpec(c.discovery, { field: 'discovery' });
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (ok('retention', 'freshness', 'interval') && c.retention !== undefined && c.interval !== undefined) {
    // A row pruned inside the freshness window would turn its endpoint unobserved.
    const freshness = c.freshness ?? 3 * c.interval;
    if (c.retention < freshness) {
      problems.push(`retention: must be at least the freshness window (${freshness / 1000}s), else live results go`);
    }
  }
  const [batch, inflight] = [c.maxBatchBytes, c.maxInflightBytes];
  if (ok('maxBatchBytes', 'maxInflightBytes') && batch !== undefined && inflight !== undefined && inflight < batch) {
    problems.push(`maxInflightBytes: must be at least maxBatchBytes (${batch}), else the largest batch never fits`);
  }
  if (ok('listen') && c.listen !== undefined) {
    const port = Number(c.listen.slice(c.listen.lastIndexOf(':') + 1));
    if (port > 65535) problems.push(`listen: port ${port} is out of range`);
  }
  // The report checks read several keys: run them on what passed (a failed key as if not given)
  // and drop what they say about a key that already failed, so `smtp: mail.example.com` and
  // `reportTo: [nope]` are both reported.
  const passed = {
    ...c,
    reportTo: ok('reportTo') ? (c.reportTo ?? []) : [],
    webhooks: ok('webhooks') ? (c.webhooks ?? []) : [],
  } as CollectorConfig;
  for (const key of ['smtp', 'smtpPasswordFile', 'reportEvery', 'reportAt'] as const) {
    if (!ok(key)) delete (passed as Partial<CollectorConfig>)[key];
  }
  problems.push(
    ...reportingIssues(passed)
      .filter((i) => ok(i.key))
      .map((i) => i.text),
  );
  return problems;
};

export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(i + 1)) };
}
