// `--live-audit`: who changed a drifted live object last, and when, from CloudTrail's event
// history (LookupEvents, the 90 days every account keeps without a trail). One lookup per live
// object (LookupEvents takes one attribute: ResourceName), paginated, newest first, sequential per
// region: the API allows 2 calls a second per account and region, and the adaptive retry slows the
// client down when it is throttled anyway.
//
// The event chosen for a finding is the newest write event on the object whose request names the
// finding's port (`fromPort` / `toPort` of a security-group rule, `dBPortNumber` of an RDS instance,
// `port` of a target group or cache, `containerPort` of an ECS service), else the newest write
// event on the object at all: a port can also change through an event that does not name it.
import { CloudTrailClient, type CloudTrailClientConfig, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import type { Finding } from '../../types.js';
import { type LiveProblem, guarded } from './errors.js';

export const cloudtrailClient = (config: CloudTrailClientConfig): CloudTrailClient => new CloudTrailClient(config);

/** Most pages read per object (50 events each): the newest change is on the first page in practice. */
const MAX_PAGES = 4;
const PORT_KEYS = new Set(['fromPort', 'toPort', 'dBPortNumber', 'port', 'containerPort', 'hostPort']);

export interface WriteEvent {
  name: string;
  at: string;
  by: string;
  /** Every port the request names under a port key. */
  ports: number[];
}

export interface Change {
  changedBy: string;
  changedAt: string;
  /** The API call (ModifyDBInstance, AuthorizeSecurityGroupIngress, …). */
  event: string;
}

function portsIn(value: unknown, key: string | null, out: number[]): void {
  if (Array.isArray(value)) {
    for (const v of value) portsIn(v, key, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) portsIn(v, k, out);
  } else if (key !== null && PORT_KEYS.has(key)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    if (Number.isInteger(n)) out.push(n);
  }
}

/** One LookupEvents record → a write event, or null for a read (`ReadOnly: "true"`) or an unreadable one. */
export function writeEventOf(e: {
  EventName?: string | undefined;
  EventTime?: Date | undefined;
  Username?: string | undefined;
  ReadOnly?: string | undefined;
  CloudTrailEvent?: string | undefined;
}): WriteEvent | null {
  if (e.ReadOnly === 'true' || !e.EventName || !e.EventTime) return null;
  let record: { userIdentity?: { arn?: string }; requestParameters?: unknown } = {};
  try {
    record = e.CloudTrailEvent ? (JSON.parse(e.CloudTrailEvent) as typeof record) : {};
  } catch {
    record = {};
  }
  const ports: number[] = [];
  portsIn(record.requestParameters ?? null, null, ports);
  const by = record.userIdentity?.arn ?? e.Username ?? 'unknown';
  return { name: e.EventName, at: e.EventTime.toISOString(), by, ports };
}

/** The port whose change a finding is about: the live value of a drift, the rule's port of a rule. */
function portOf(f: Finding): number {
  return f.configured?.port ?? f.declared?.port ?? f.port;
}

/** The change to show on a finding, from its object's write events (newest first). */
export function changeFor(f: Finding, events: readonly WriteEvent[]): Change | null {
  const port = portOf(f);
  const e = events.find((x) => x.ports.includes(port)) ?? events[0];
  return e ? { changedBy: e.by, changedAt: e.at, event: e.name } : null;
}

async function writeEvents(
  client: CloudTrailClient,
  liveId: string,
  wanted: ReadonlySet<number>,
): Promise<WriteEvent[]> {
  const out: WriteEvent[] = [];
  let pages = 0;
  const input = { LookupAttributes: [{ AttributeKey: 'ResourceName' as const, AttributeValue: liveId }] };
  for await (const page of paginateLookupEvents({ client, pageSize: 50 }, input)) {
    for (const e of page.Events ?? []) {
      const w = writeEventOf(e);
      if (w) out.push(w);
    }
    // Once a write names every port asked about, later pages only hold older events.
    const named = new Set(out.flatMap((w) => w.ports));
    if (++pages >= MAX_PAGES || [...wanted].every((p) => named.has(p))) break;
  }
  return out;
}

/**
 * The last change of each finding's live object in `region`: finding id → change. A denied or
 * failing lookup is one problem for the region (`cloudtrail:LookupEvents`), the findings stay as
 * they are.
 */
export async function auditRegion(
  client: CloudTrailClient,
  region: string,
  findings: readonly Finding[],
  problems: LiveProblem[],
): Promise<Map<string, Change>> {
  const out = new Map<string, Change>();
  await guarded(region, 'cloudtrail:LookupEvents', problems, async () => {
    const byObject = new Map<string, Finding[]>();
    for (const f of findings) {
      if (f.liveId) byObject.set(f.liveId, [...(byObject.get(f.liveId) ?? []), f]);
    }
    for (const [liveId, list] of byObject) {
      const events = await writeEvents(client, liveId, new Set(list.map(portOf)));
      for (const f of list) {
        const c = changeFor(f, events);
        if (c) out.set(f.id, c);
      }
    }
    return [];
  });
  return out;
}
