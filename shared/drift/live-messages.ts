// The sentences of the three-way findings. The suggestion always names both ways out, because
// the right fix depends on who is right: update the IaC (the console change should stay) or
// revert the console change (the IaC is the truth).
import { describeOrigin } from '../fix/plan.js';
import type { DeclaredEndpoint, LiveObject, LiveRule, Resource } from '../types.js';

type Text = { message: string; suggestion: string };

const loc = (s: { file: string; line: number }): string => `${s.file}:${s.line}`;

export function liveName(o: LiveObject): string {
  const what = o.kind === 'security-group' ? 'security group' : o.kind === 'db-instance' ? 'DB instance' : o.kind === 'target-group' ? 'target group' : 'instance';
  if (o.kind === 'security-group') return `${what} ${o.name ? `${o.name} (${o.id})` : o.id}`;
  return `${what} ${o.name ?? o.id}`;
}

export function ruleText(r: { protocol: string; port: number; toPort?: number | undefined }): string {
  if (r.protocol === 'all') return 'all traffic';
  return `${r.protocol} ${r.toPort !== undefined && r.toPort !== r.port ? `${r.port}-${r.toPort}` : r.port}`;
}

const sourcesText = (sources: readonly string[]): string => (sources.length > 0 ? ` from ${sources.join(', ')}` : '');

function revertPort(o: LiveObject, port: number): string {
  if (o.kind === 'db-instance') return `aws rds modify-db-instance --db-instance-identifier ${o.id} --db-port-number ${port} --apply-immediately --region ${o.region}`;
  return `recreate ${liveName(o)} on port ${port} (a target group's port cannot be changed in place)`;
}

export function configDriftText(e: DeclaredEndpoint, o: LiveObject, configured: number): Text {
  const origin = e.origin;
  const where = origin && origin.kind !== 'literal' ? `${origin.file}:${origin.line} ${describeOrigin(origin)} ${origin.text} → ${configured}` : `${loc(origin ?? e.source)} port ${e.port} → ${configured}`;
  return {
    message: `${e.resource} declares port ${e.port} but AWS has ${liveName(o)} (${o.region}) configured on ${configured}`,
    suggestion: `if the live change should stay, update the IaC: ${where}; otherwise revert it: ${revertPort(o, e.port)}`,
  };
}

function revokeCommand(sg: LiveObject, r: LiveRule): string {
  const proto = r.protocol === 'all' ? '-1' : r.protocol;
  const port = r.protocol === 'all' ? '' : ` --port ${r.port === r.toPort ? r.port : `${r.port}-${r.toPort}`}`;
  const src = r.sources[0];
  const from = src === undefined ? '' : src.startsWith('sg-') ? ` --source-group ${src}` : src.startsWith('pl-') ? '' : ` --cidr ${src}`;
  return `aws ec2 revoke-security-group-ingress --region ${sg.region} --group-id ${sg.id} --protocol ${proto}${port}${from}`;
}

export function unmanagedRuleText(group: Resource, sg: LiveObject, r: LiveRule): Text {
  return {
    message: `${liveName(sg)} allows ${ruleText(r)}${sourcesText(r.sources)} but no IaC declares that ingress rule`,
    suggestion: `if it should stay, declare it on ${group.address} (${loc(group.source)}); otherwise revert the console change: ${revokeCommand(sg, r)}`,
  };
}

export function missingRuleText(e: DeclaredEndpoint, sg: LiveObject): Text {
  const r = { protocol: e.protocol, port: e.port, toPort: e.toPort };
  return {
    message: `${e.resource} declares ingress ${ruleText(r)} but ${liveName(sg)} has no such rule`,
    suggestion: `if the rule should exist, apply the IaC again (terraform apply) to restore it; if it was removed on purpose, remove the declaration at ${loc(e.source)}`,
  };
}
