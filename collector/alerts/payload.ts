// Webhook bodies. `json` is portdrift's own versioned shape for SIEMs and scripts; `slack` is
// what Slack incoming webhooks (and Mattermost, Rocket.Chat, Teams' Slack-compatible
// connectors) accept: a `text` fallback plus Block Kit sections.
import type { Finding } from '../../shared/types.js';

export type AlertEventType = 'opened' | 'resolved';

export interface AlertEvent {
  type: AlertEventType;
  finding: Finding;
  /** ISO time of the transition. */
  at: string;
}

export interface Digest {
  /** The hour window in which these alerts were held back. */
  from: string;
  to: string;
  events: AlertEvent[];
}

export type WebhookFormat = 'json' | 'slack';

const brief = (f: Finding) => ({
  id: f.id,
  kind: f.kind,
  severity: f.severity,
  resource: f.resource,
  host: f.host,
  port: f.port,
  ...(f.observedPort !== undefined ? { observedPort: f.observedPort } : {}),
  source: f.source,
});

export function jsonEvent(e: AlertEvent, scope: string): Record<string, unknown> {
  return { version: 1, event: `finding.${e.type}`, scope, at: e.at, finding: e.finding };
}

export function jsonDigest(d: Digest, scope: string): Record<string, unknown> {
  const opened = d.events.filter((e) => e.type === 'opened').length;
  return {
    version: 1,
    event: 'digest',
    scope,
    window: { from: d.from, to: d.to },
    held: d.events.length,
    counts: { opened, resolved: d.events.length - opened },
    events: d.events.map((e) => ({ event: `finding.${e.type}`, at: e.at, finding: brief(e.finding) })),
  };
}

// Slack mrkdwn treats &, < and > as control characters; everything else is literal.
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const EMOJI: Record<string, string> = { high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' };
const where = (f: Finding): string => (f.source ? `\`${esc(f.source.file)}:${f.source.line}\`` : 'no IaC line');
const endpoint = (f: Finding): string =>
  `${f.host}:${f.port}${f.observedPort !== undefined ? ` → ${f.observedPort}` : ''}`;

export function slackEvent(e: AlertEvent, scope: string): Record<string, unknown> {
  const f = e.finding;
  const head =
    e.type === 'opened'
      ? `${EMOJI[f.severity]} portdrift (${scope}): ${f.kind} finding opened`
      : `:white_check_mark: portdrift (${scope}): ${f.kind} finding resolved`;
  const detail =
    `*${esc(f.resource)}* \`${esc(endpoint(f))}\` — ${where(f)}\n` +
    `${esc(f.message)}${e.type === 'opened' ? `\n_${esc(f.suggestion)}_` : ''}`;
  return {
    text: `${head}: ${f.resource} ${endpoint(f)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${esc(head)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: detail } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `severity ${f.severity} · id ${f.id} · ${e.at}` }] },
    ],
  };
}

/** Slack messages stay short: the digest lists the first few and counts the rest. */
export const DIGEST_LINES = 20;

export function slackDigest(d: Digest, scope: string): Record<string, unknown> {
  const opened = d.events.filter((e) => e.type === 'opened').length;
  const head =
    `portdrift (${scope}): ${d.events.length} alert${d.events.length === 1 ? '' : 's'} held back by ` +
    `the hourly cap (${opened} opened, ${d.events.length - opened} ` +
    `resolved) between ${d.from.slice(11, 16)} and ${d.to.slice(11, 16)} UTC`;
  const lines = d.events
    .slice(0, DIGEST_LINES)
    .map(
      (e) =>
        `• ${e.type} ${e.finding.kind} *${esc(e.finding.resource)}` +
        `* \`${esc(endpoint(e.finding))}\` ${where(e.finding)}`,
    );
  if (d.events.length > DIGEST_LINES) lines.push(`…and ${d.events.length - DIGEST_LINES} more`);
  return {
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${esc(head)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
    ],
  };
}

export function body(format: WebhookFormat, scope: string, x: { event: AlertEvent } | { digest: Digest }): string {
  if ('event' in x) return JSON.stringify(format === 'slack' ? slackEvent(x.event, scope) : jsonEvent(x.event, scope));
  return JSON.stringify(format === 'slack' ? slackDigest(x.digest, scope) : jsonDigest(x.digest, scope));
}
