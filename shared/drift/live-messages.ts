// The sentences of the three-way findings. The suggestion always names both ways out, because
// the right fix depends on who is right: update the IaC (the console change should stay) or
// revert the console change (the IaC is the truth).
import { describeOrigin } from '../fix/plan.js';
import type { DeclaredEndpoint, LiveKind, LiveObject, LiveRule, Resource } from '../types.js';

type Text = { message: string; suggestion: string };

const loc = (s: { file: string; line: number }): string => `${s.file}:${s.line}`;

const KIND_NAME: Record<LiveKind, string> = {
  'security-group': 'security group',
  'db-instance': 'DB instance',
  'target-group': 'target group',
  instance: 'instance',
  'cache-cluster': 'ElastiCache cluster',
  'replication-group': 'ElastiCache replication group',
  'ecs-service': 'ECS service',
  'task-definition': 'ECS task definition',
};

export function liveName(o: LiveObject): string {
  const what = KIND_NAME[o.kind];
  if (o.kind === 'security-group') return `${what} ${o.name ? `${o.name} (${o.id})` : o.id}`;
  return `${what} ${o.name ?? o.id}`;
}

export function ruleText(r: { protocol: string; port: number; toPort?: number | undefined }): string {
  if (r.protocol === 'all') return 'all traffic';
  return `${r.protocol} ${r.toPort !== undefined && r.toPort !== r.port ? `${r.port}-${r.toPort}` : r.port}`;
}

const sourcesText = (sources: readonly string[]): string => (sources.length > 0 ? ` from ${sources.join(', ')}` : '');

function revertPort(o: LiveObject, port: number): string {
  if (o.kind === 'ecs-service' || o.kind === 'task-definition') {
    const what = o.kind === 'ecs-service' ? `the service ${o.name ?? o.id}` : `family ${o.name ?? o.id}`;
    return `register a task definition revision mapping port ${port} and update ${what} to it (terraform apply)`;
  }
  if (o.kind === 'cache-cluster' || o.kind === 'replication-group') {
    return `recreate ${liveName(o)} on port ${port} (an ElastiCache port cannot be changed in place; terraform apply)`;
  }
  if (o.kind !== 'db-instance') {
    return `recreate ${liveName(o)} on port ${port} (a target group's port cannot be changed in place)`;
  }
  return (
    `aws rds modify-db-instance --region ${o.region} --db-instance-identifier ${o.id} ` +
    `--db-port-number ${port} --apply-immediately`
  );
}

/** Where to change the IaC: the line of the port, or the variable default / tfvars value it comes from. */
function iacEdit(e: DeclaredEndpoint, to: number): string {
  const o = e.origin;
  if (o && o.kind !== 'literal') return `${o.file}:${o.line} ${describeOrigin(o)} ${o.text} → ${to}`;
  return `${loc(o ?? e.source)} port ${e.port} → ${to}`;
}

export function configDriftText(e: DeclaredEndpoint, o: LiveObject, configured: number): Text {
  const live = `${liveName(o)} (${o.region})`;
  return {
    message: `${e.resource} declares port ${e.port} but AWS has ${live} configured on ${configured}`,
    suggestion:
      `if the live change should stay, update the IaC: ${iacEdit(e, configured)}; ` +
      `otherwise revert it: ${revertPort(o, e.port)}`,
  };
}

/** A declared container port that the live task definition does not map (`configured`: one it maps instead). */
export function containerDriftText(e: DeclaredEndpoint, o: LiveObject, configured: number | undefined): Text {
  const live = `${liveName(o)} (${o.region}, ${o.id.split('/').pop()})`;
  const maps = (o.ports ?? []).length > 0 ? `maps ${(o.ports ?? []).join(', ')}` : 'maps no port';
  if (configured === undefined) {
    return {
      message: `${e.resource} declares container port ${e.port} but AWS has ${live}, which ${maps}`,
      suggestion:
        `if the live revision is right, remove the port from the IaC at ${loc(e.origin ?? e.source)}; ` +
        `otherwise ${revertPort(o, e.port)}`,
    };
  }
  return {
    message: `${e.resource} declares container port ${e.port} but AWS has ${live} mapping ${configured}`,
    suggestion:
      `if the live change should stay, update the IaC: ${iacEdit(e, configured)}; ` +
      `otherwise revert it: ${revertPort(o, e.port)}`,
  };
}

function revokeCommand(sg: LiveObject, r: LiveRule): string {
  const proto = r.protocol === 'all' ? '-1' : r.protocol;
  const port = r.protocol === 'all' ? '' : ` --port ${r.port === r.toPort ? r.port : `${r.port}-${r.toPort}`}`;
  const src = r.sources[0];
  let from = '';
  if (src?.startsWith('sg-')) from = ` --source-group ${src}`;
  else if (src !== undefined && !src.startsWith('pl-')) from = ` --cidr ${src}`;
  const group = `--region ${sg.region} --group-id ${sg.id}`;
  return `aws ec2 revoke-security-group-ingress ${group} --protocol ${proto}${port}${from}`;
}

export function unmanagedRuleText(group: Resource, sg: LiveObject, r: LiveRule): Text {
  return {
    message: `${liveName(sg)} allows ${ruleText(r)}${sourcesText(r.sources)} but no IaC declares that ingress rule`,
    suggestion:
      `if it should stay, declare it on ${group.address} (${loc(group.source)}); ` +
      `otherwise revert the console change: ${revokeCommand(sg, r)}`,
  };
}

/** A rule behind which nothing listens on any host that carries the group (`stale-rule`). */
export function staleRuleText(
  sg: LiveObject,
  r: { port: number; toPort: number; declared?: DeclaredEndpoint; live?: LiveRule },
  hosts: readonly string[],
): Text {
  const rule = ruleText({ protocol: 'tcp', port: r.port, toPort: r.toPort });
  const shown = hosts.length > 5 ? `${hosts.slice(0, 5).join(', ')}, …` : hosts.join(', ');
  const on = `${hosts.length} host${hosts.length === 1 ? '' : 's'} that carry the group (${shown})`;
  const ways = [
    r.declared ? `remove the declaration at ${loc(r.declared.source)}` : '',
    r.live ? `revoke it: ${revokeCommand(sg, r.live)}` : '',
  ].filter(Boolean);
  return {
    message: `${liveName(sg)} allows ${rule} but nothing listens there on any of the ${on}: every probe was refused`,
    suggestion:
      `if nothing should listen there any more, ${ways.join(' and ')}; ` +
      'otherwise the service behind the rule is down on every host: start it',
  };
}

export function missingRuleText(e: DeclaredEndpoint, sg: LiveObject): Text {
  const r = { protocol: e.protocol, port: e.port, toPort: e.toPort };
  return {
    message: `${e.resource} declares ingress ${ruleText(r)} but ${liveName(sg)} has no such rule`,
    suggestion:
      'if the rule should exist, apply the IaC again (terraform apply) to restore it; ' +
      `if it was removed on purpose, remove the declaration at ${loc(e.source)}`,
  };
}
