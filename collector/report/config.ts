// The collector's configuration keys for emailed reports and webhook alerts, as a schema the
// collector spreads into its own (shared/config.ts: every key is also a flag, camelCase in YAML,
// kebab-case as a flag: `reportTo` ⇄ `--report-to`), and the function that turns the validated
// values into the running services.
//
//   smtp: smtps://reports@mail.internal:465            # or smtp://…:587 (STARTTLS; required with credentials)
//   smtpPasswordFile: /etc/portdrift/smtp-password     # or PORTDRIFT_SMTP_PASSWORD; never in the URL (ps)
//   reportTo: [ops@example.com, sec@example.com]
//   reportFrom: portdrift@example.com
//   reportEvery: 24h                                   # or reportAt: "daily 08:00" / "weekly mon 08:00" (UTC)
//   reportScope: prod
//   webhooks:
//     - url: https://hooks.slack.com/services/T/B/X
//       format: slack
//       maxPerHour: 12
//       minSeverity: medium
//     - url: https://siem.internal/portdrift
//       format: json
//       secret: 9c1f…                                  # HMAC-SHA256 key: X-Portdrift-Signature
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Infer, Schema } from '../../shared/config.js';
import { PortdriftError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { AlertDispatcher, type WebhookConfig } from '../alerts/dispatcher.js';
import { type AlertQueue, AlertPump } from '../alerts/outbox-pump.js';
import type { SharedCap } from '../alerts/shared-cap.js';
import { createMailer, parseSmtpUrl, redactSmtpUrl } from './mail.js';
import { Outbox, type ReportOutbox } from './outbox.js';
import { parseSchedule } from './schedule.js';
import { ReportService, type ReportServiceOptions } from './service.js';

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/;

export const reportingSchema = {
  smtp: {
    type: 'string',
    pattern: /^smtps?:\/\/./,
    patternHint: 'an smtp:// or smtps:// URL',
    describe:
      'SMTP relay: smtp://user@host:587 (STARTTLS, required with ' +
      'credentials) or smtps://host:465; ?starttls=required|off',
  },
  smtpPasswordFile: { type: 'string', describe: 'file holding the SMTP password, read at start (keeps it out of ps)' },
  smtpTlsVerify: {
    type: 'bool',
    default: true,
    describe:
      'verify the relay certificate (turn off only for a private relay with a self-signed certificate; prefer smtpCa)',
  },
  smtpCa: { type: 'string', describe: 'PEM file of the CA that signs the relay certificate' },
  reportTo: { type: 'strings', describe: 'report recipients' },
  reportFrom: {
    type: 'string',
    pattern: EMAIL,
    patternHint: 'an address such as portdrift@example.com',
    describe: 'report sender',
    default: 'portdrift@localhost',
  },
  reportEvery: { type: 'string', describe: 'report period: a duration such as 24h' },
  reportAt: { type: 'string', describe: 'report time instead of a period: "daily 08:00" or "weekly mon 08:00" (UTC)' },
  reportScope: {
    type: 'string',
    default: 'default',
    describe: 'the name reports and alerts give this collector, e.g. prod',
  },
  webhooks: {
    type: 'list',
    describe: 'webhooks called when a finding opens or resolves',
    of: {
      url: { type: 'string', required: true, pattern: /^https?:\/\/./, patternHint: 'an http:// or https:// URL' },
      format: { type: 'enum', values: ['json', 'slack'], default: 'json' },
      secret: { type: 'string', describe: 'HMAC-SHA256 key for X-Portdrift-Signature' },
      maxPerHour: { type: 'int', min: 1, max: 10_000, default: 12 },
      minSeverity: { type: 'enum', values: ['low', 'medium', 'high'], default: 'low' },
      events: { type: 'strings', default: ['opened', 'resolved'] },
    },
  },
} as const satisfies Schema;

/**
 * What never comes from a flag: the SMTP password from the environment (PORTDRIFT_SMTP_PASSWORD,
 * read by the CLI entrypoint). A flag or the URL would show it to every user through `ps`.
 */
export interface ReportingSecrets {
  smtpPassword?: string;
}

export type ReportingConfig = Infer<typeof reportingSchema> & ReportingSecrets;

/** Where the password comes from when not from the URL, as the config problems name it. */
const passwordSource = (c: ReportingConfig): string | null =>
  c.smtpPasswordFile ? 'smtpPasswordFile' : c.smtpPassword ? 'PORTDRIFT_SMTP_PASSWORD' : null;

/** A problem of the reporting keys: the top-level key it is about, and its `path: message` text. */
export interface ReportingProblem {
  key: string;
  text: string;
}

/** Problems the schema cannot express (combinations), as `path: message`, for the collector's config check. */
export function reportingProblems(c: ReportingConfig): string[] {
  return reportingIssues(c).map((i) => i.text);
}

/** The same problems, each with its top-level key (the collector leaves out those of a key it already refused). */
export function reportingIssues(c: ReportingConfig): ReportingProblem[] {
  const issues: ReportingProblem[] = [];
  const p = { push: (key: string, text: string) => issues.push({ key, text }) };
  const wantsReports = c.reportTo.length > 0 || c.reportEvery !== undefined || c.reportAt !== undefined;
  if (wantsReports) {
    if (!c.smtp) p.push('smtp', 'smtp: is required when reports are configured (reportTo, reportEvery or reportAt)');
    if (c.reportTo.length === 0) {
      p.push('reportTo', 'reportTo: at least one recipient is required when reports are configured');
    }
    if (c.reportEvery !== undefined && c.reportAt !== undefined) {
      p.push('reportAt', 'reportAt: give reportEvery or reportAt, not both');
    }
  }
  c.reportTo.forEach((a, i) => EMAIL.test(a) || p.push('reportTo', `reportTo[${i}]: "${a}" is not an email address`));
  for (const [key, text] of [
    ['reportEvery', c.reportEvery && (c.reportEvery.startsWith('every') ? c.reportEvery : `every ${c.reportEvery}`)],
    ['reportAt', c.reportAt],
  ] as const) {
    if (!text) continue;
    try {
      parseSchedule(text);
    } catch (err) {
      p.push(key, `${key}: ${(err as Error).message}`);
    }
  }
  if (c.smtpPasswordFile && c.smtpPassword) {
    p.push('smtpPasswordFile', 'smtpPasswordFile: give smtpPasswordFile or PORTDRIFT_SMTP_PASSWORD, not both');
  }
  if (c.smtpPasswordFile && !c.smtp) {
    p.push('smtpPasswordFile', 'smtpPasswordFile: is the password of the smtp URL, which is not given');
  }
  if (c.smtp) {
    try {
      const t = parseSmtpUrl(c.smtp);
      const source = passwordSource(c);
      if (source && t.auth?.pass) {
        p.push('smtp', `smtp: the URL carries a password and ${source} gives one too; remove it from the URL`);
      }
      if (source && !t.auth) {
        p.push('smtp', `smtp: ${source} gives a password but the URL names no user (smtp://USER@host)`);
      }
      if (!source && t.auth && !t.auth.pass) {
        const where = 'smtpPasswordFile or PORTDRIFT_SMTP_PASSWORD';
        p.push('smtp', `smtp: the URL names the user ${t.auth.user} but no password is given (${where})`);
      }
    } catch (err) {
      p.push('smtp', `smtp: ${(err as Error).message}`);
    }
  }
  c.webhooks.forEach((w, i) =>
    w.events.forEach((e) => {
      const text = `webhooks[${i}].events: "${e}" is not opened or resolved`;
      if (!['opened', 'resolved'].includes(e)) p.push('webhooks', text);
    }),
  );
  return issues;
}

/** The password from smtpPasswordFile (read once, at start) or from the environment. */
function readPassword(c: ReportingConfig, cwd: string): string | undefined {
  if (!c.smtpPasswordFile) return c.smtpPassword;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, c.smtpPasswordFile), 'utf8');
  } catch (err) {
    const why = `smtpPasswordFile: cannot read ${c.smtpPasswordFile}: ${(err as Error).message}`;
    throw new PortdriftError('PD_CONFIG_READ', why, { cause: err });
  }
  // `echo secret > file` ends the password with a newline that is not part of it.
  const password = text.replace(/[\r\n]+$/, '');
  if (password === '') {
    throw new PortdriftError('PD_CONFIG_INVALID', `smtpPasswordFile: ${c.smtpPasswordFile} is empty`);
  }
  return password;
}

export interface Reporting {
  /** Null when no report is configured. */
  reports: ReportService | null;
  /** Null when no webhook is configured. */
  alerts: AlertDispatcher | null;
  /** Replicas sharing a database: delivers the queued transitions while this replica leads. */
  pump: AlertPump | null;
  stop(): Promise<void>;
}

/**
 * Several replicas on one database: the outbox they share (reports and queued webhook alerts),
 * and whether this replica leads. Scheduled reports and all webhook deliveries are the leader's.
 */
export interface SharedOutbox {
  reports: ReportOutbox;
  alerts: AlertQueue;
  /** The webhooks' hourly caps and the alerts they hold back (for the next leader's digest). */
  caps?: SharedCap;
  isLeader: () => boolean;
  /** How often the leader looks for work (default: reports 5 s, alerts 1 s). */
  pollMs?: { reports?: number; alerts?: number };
  /** How often a claim is renewed while its send lasts (default 5 s): well within the claim's length. */
  renewMs?: number;
}

/**
 * Build the report service and the alert dispatcher from validated config. `dataFile` is the
 * collector's database path: the outbox lives beside it (`<data>.outbox/`), so a backup of the
 * collector's directory keeps unsent reports too; `shared` replaces it for replicas on PostgreSQL.
 */
export function createReporting(
  c: ReportingConfig,
  deps: { dataFile: string; log: Logger; load: ReportServiceOptions['load']; cwd?: string; shared?: SharedOutbox },
): Reporting {
  const problems = reportingProblems(c);
  if (problems.length > 0)
    throw new PortdriftError('PD_CONFIG_INVALID', `config is invalid:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  let reports: ReportService | null = null;
  if (c.smtp && c.reportTo.length > 0) {
    const schedule = parseSchedule(
      c.reportAt ?? (c.reportEvery ? `every ${c.reportEvery.replace(/^every\s+/, '')}` : 'every 24h'),
    );
    const dataFile = resolve(deps.cwd ?? '.', deps.dataFile);
    let tlsCa: string | undefined;
    if (c.smtpCa) {
      try {
        tlsCa = readFileSync(resolve(deps.cwd ?? '.', c.smtpCa), 'utf8');
      } catch (err) {
        throw new PortdriftError('PD_CONFIG_READ', `smtpCa: cannot read ${c.smtpCa}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    const password = readPassword(c, deps.cwd ?? '.');
    if (parseSmtpUrl(c.smtp).auth?.pass && password === undefined) {
      const advice = 'local users see it in `ps` when given as --smtp; use smtpPasswordFile or PORTDRIFT_SMTP_PASSWORD';
      deps.log.warn({ smtp: redactSmtpUrl(c.smtp) }, `the smtp URL carries a password: ${advice}`);
    }
    reports = new ReportService({
      schedule,
      from: c.reportFrom,
      to: [...c.reportTo],
      outbox: deps.shared?.reports ?? new Outbox(join(dirname(dataFile), `${dataFile.split('/').pop()}.outbox`)),
      ...(deps.shared
        ? {
            isLeader: deps.shared.isLeader,
            ...(deps.shared.pollMs?.reports ? { pollMs: deps.shared.pollMs.reports } : {}),
            ...(deps.shared.renewMs ? { renewEveryMs: deps.shared.renewMs } : {}),
          }
        : {}),
      mailer: createMailer({
        url: c.smtp,
        tlsVerify: c.smtpTlsVerify,
        ...(tlsCa ? { tlsCa } : {}),
        ...(password !== undefined ? { password } : {}),
      }),
      load: deps.load,
      log: deps.log.child({ part: 'report' }),
    });
  }
  const hooks: WebhookConfig[] = c.webhooks.map((w) => ({
    url: w.url,
    format: w.format,
    maxPerHour: w.maxPerHour,
    minSeverity: w.minSeverity,
    events: w.events as WebhookConfig['events'],
    ...(w.secret ? { secret: w.secret } : {}),
  }));
  const alerts =
    hooks.length > 0
      ? new AlertDispatcher({
          webhooks: hooks,
          scope: c.reportScope,
          log: deps.log.child({ part: 'alerts' }),
          ...(deps.shared?.caps ? { shared: deps.shared.caps } : {}),
        })
      : null;
  const pump =
    alerts && deps.shared
      ? new AlertPump({
          queue: deps.shared.alerts,
          dispatcher: alerts,
          isLeader: deps.shared.isLeader,
          log: deps.log.child({ part: 'alerts' }),
          ...(deps.shared.pollMs?.alerts ? { pollMs: deps.shared.pollMs.alerts } : {}),
          ...(deps.shared.renewMs ? { renewMs: deps.shared.renewMs } : {}),
        })
      : null;
  return {
    reports,
    alerts,
    pump,
    async stop() {
      reports?.stop();
      await pump?.stop();
      await alerts?.stop();
    },
  };
}
