// `fix --environment`: when the console is what is wrong, restore the IaC's value in the cloud
// instead of editing the IaC. For each config-drift, unmanaged-rule and missing-rule finding: the
// `terraform apply -target=ADDRESS` that restores it, and the one AWS call that does the same
// (ModifyDBInstance port, RevokeSecurityGroupIngress, AuthorizeSecurityGroupIngress) where one
// call can, with the reason where none can. Pure: the calls are made by the caller (--apply).
import type { DeclaredEndpoint, Finding } from '../types.js';

export interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp: string }[];
  Ipv6Ranges?: { CidrIpv6: string }[];
  UserIdGroupPairs?: { GroupId: string }[];
  PrefixListIds?: { PrefixListId: string }[];
}

export type AwsCall =
  | {
      operation: 'ModifyDBInstance';
      region: string;
      input: { DBInstanceIdentifier: string; DBPortNumber: number; ApplyImmediately: true };
    }
  | {
      operation: 'RevokeSecurityGroupIngress' | 'AuthorizeSecurityGroupIngress';
      region: string;
      input: { GroupId: string; IpPermissions: IpPermission[] };
    };

export interface Revert {
  findingId: string;
  kind: Finding['kind'];
  resource: string;
  liveId: string;
  /** One line: what changes back (`shop-orders port 5433 → 5432`). */
  what: string;
  terraform: string;
  /** Null where no single AWS call restores it (`why` says so). */
  call: AwsCall | null;
  /** The same call for the AWS CLI. */
  cli: string | null;
  why?: string;
}

export interface EnvironmentInput {
  findings: readonly Finding[];
  /** The declared model's endpoints: a missing rule's sources. */
  endpoints: readonly DeclaredEndpoint[];
  /** IaC resource address → the live id it matched (`aws_security_group.web` → `sg-…`). */
  liveIdOf: ReadonlyMap<string, string>;
  /** The region of a live id, where known. */
  regionOf: (liveId: string) => string | undefined;
}

export const REVERTED_KINDS: ReadonlySet<Finding['kind']> = new Set(['config-drift', 'unmanaged-rule', 'missing-rule']);

/** A resource address as `-target` takes it: quoted for a shell when it holds an index (`aws_x.y["a"]`). */
function target(address: string): string {
  const t = `-target=${address}`;
  return /^[\w.-]+$/.test(address) ? t : `'${t.replace(/'/g, `'\\''`)}'`;
}

/** Sources (CIDRs, `sg-…`, `pl-…`) into the parts of an IpPermission. */
function permission(protocol: string, port: number, toPort: number, sources: readonly string[]): IpPermission {
  const all = protocol === 'all';
  const p: IpPermission = { IpProtocol: all ? '-1' : protocol, ...(all ? {} : { FromPort: port, ToPort: toPort }) };
  const v4 = sources.filter((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
  const v6 = sources.filter((s) => s.includes(':'));
  const groups = sources.filter((s) => s.startsWith('sg-'));
  const lists = sources.filter((s) => s.startsWith('pl-'));
  if (v4.length) p.IpRanges = v4.map((CidrIp) => ({ CidrIp }));
  if (v6.length) p.Ipv6Ranges = v6.map((CidrIpv6) => ({ CidrIpv6 }));
  if (groups.length) p.UserIdGroupPairs = groups.map((GroupId) => ({ GroupId }));
  if (lists.length) p.PrefixListIds = lists.map((PrefixListId) => ({ PrefixListId }));
  return p;
}

/** The AWS CLI form of a call (`--ip-permissions` as JSON, which every source kind fits). */
export function cliOf(call: AwsCall): string {
  if (call.operation === 'ModifyDBInstance') {
    const i = call.input;
    return (
      `aws rds modify-db-instance --region ${call.region} --db-instance-identifier ${i.DBInstanceIdentifier} ` +
      `--db-port-number ${i.DBPortNumber} --apply-immediately`
    );
  }
  const verb = call.operation === 'RevokeSecurityGroupIngress' ? 'revoke' : 'authorize';
  const json = JSON.stringify(call.input.IpPermissions).replace(/'/g, `'\\''`);
  const group = `--region ${call.region} --group-id ${call.input.GroupId}`;
  return `aws ec2 ${verb}-security-group-ingress ${group} --ip-permissions '${json}'`;
}

const range = (port: number, toPort: number | undefined): string =>
  toPort !== undefined && toPort !== port ? `${port}-${toPort}` : String(port);

function revertOf(f: Finding, input: EnvironmentInput): Revert | null {
  const liveId = f.liveId;
  if (!REVERTED_KINDS.has(f.kind) || !liveId) return null;
  const region = input.regionOf(liveId);
  const terraform = `terraform apply ${target(f.resource)}`;
  const base = { findingId: f.id, kind: f.kind, resource: f.resource, liveId, terraform };
  const none = (what: string, why: string): Revert => ({ ...base, what, call: null, cli: null, why });
  const done = (what: string, call: AwsCall): Revert => ({ ...base, what, call, cli: cliOf(call) });
  const noRegion = 'the region of the live object is not known (pass --aws-region)';

  if (f.kind === 'config-drift') {
    const from = f.configured?.port;
    const to = f.declared?.port ?? f.port;
    const what = `${liveId} port ${from ?? '?'} → ${to}`;
    if (!f.resource.split('.').some((part) => part === 'aws_db_instance')) {
      return none(what, 'no AWS call changes this port in place: restore it with terraform');
    }
    if (region === undefined) return none(what, noRegion);
    return done(what, {
      operation: 'ModifyDBInstance',
      region,
      input: { DBInstanceIdentifier: liveId, DBPortNumber: to, ApplyImmediately: true },
    });
  }

  if (f.kind === 'unmanaged-rule') {
    const c = f.configured;
    const what = `${liveId}: revoke ingress ${c ? `${c.protocol} ${range(c.port, c.toPort)}` : f.port}`;
    if (!c) return none(what, 'the live rule is not in the finding');
    if (region === undefined) return none(what, noRegion);
    const perm = permission(c.protocol, c.port, c.toPort ?? c.port, c.sources ?? []);
    const input = { GroupId: liveId, IpPermissions: [perm] };
    return done(what, { operation: 'RevokeSecurityGroupIngress', region, input });
  }

  // missing-rule: authorize what the IaC declares, from the sources it writes.
  const d = f.declared;
  const what = `${liveId}: authorize ingress ${d ? `${d.protocol} ${range(d.port, d.toPort)}` : f.port}`;
  if (!d) return none(what, 'the declared rule is not in the finding');
  const e = input.endpoints.find(
    (x) =>
      x.resource === f.resource &&
      x.role === 'allow' &&
      x.direction === 'ingress' &&
      x.protocol === d.protocol &&
      x.port === d.port &&
      (x.toPort ?? x.port) === (d.toPort ?? d.port),
  );
  const written = e?.sources ?? [];
  const sources = written.map((s) => (s === 'self' ? liveId : (input.liveIdOf.get(s) ?? s)));
  const unresolved = sources.filter((s) => s.startsWith('aws_security_group.'));
  if (sources.length === 0) {
    return none(what, "the IaC does not write the rule's sources literally: restore it with terraform");
  }
  if (unresolved.length > 0) {
    return none(what, `${unresolved.join(', ')} matched no live group: restore it with terraform`);
  }
  if (region === undefined) return none(what, noRegion);
  const perm = permission(d.protocol, d.port, d.toPort ?? d.port, sources);
  const call = { GroupId: liveId, IpPermissions: [perm] };
  return done(what, { operation: 'AuthorizeSecurityGroupIngress', region, input: call });
}

/** The reverts of the findings, in the findings' order; other kinds are left out. */
export function planEnvironment(input: EnvironmentInput): Revert[] {
  return input.findings.map((f) => revertOf(f, input)).filter((r): r is Revert => r !== null);
}
