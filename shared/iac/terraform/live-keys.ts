// What a Terraform resource sets that names its live object, for `scan --live`: the literal
// `identifier` of a DB instance, the `name` of a security group, target group or ECS service, the
// `cluster_id` / `replication_group_id` of ElastiCache, the `family` of a task definition, literal tags,
// and for a standalone security-group rule the group it belongs to (a reference
// `aws_security_group.NAME.id`, which stays unknown to the evaluator but names the resource).
// Only literals count: a name built from a resource attribute is not known before apply.
import type { LiveKeys } from '../../types.js';
import { attr, type Block } from './block.js';
import type { Value } from './eval.js';

const NAME_ATTR: Record<string, string> = {
  aws_db_instance: 'identifier',
  aws_security_group: 'name',
  aws_lb_target_group: 'name',
  aws_alb_target_group: 'name',
  aws_elasticache_cluster: 'cluster_id',
  aws_elasticache_replication_group: 'replication_group_id',
  aws_ecs_service: 'name',
  aws_ecs_task_definition: 'family',
};

const RULE_TYPES = new Set([
  'aws_security_group_rule',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
]);

const GROUP_REF = /^aws_security_group\.([A-Za-z_][\w-]*)(\[[^\]]+\])?\.id$/;

const text = (v: Value | undefined): string | undefined =>
  v?.t === 'lit' && (typeof v.v === 'string' || typeof v.v === 'number') ? String(v.v) : undefined;

/** `modulePrefix` is the address prefix of the module instance (`module.api.`), '' at the root. */
export function liveKeysOf(type: string, b: Block, modulePrefix: string): LiveKeys | undefined {
  const keys: LiveKeys = {};
  const nameAttr = NAME_ATTR[type];
  const name = nameAttr ? text(attr(b, nameAttr)?.value) : undefined;
  if (name !== undefined) keys[nameAttr === 'identifier' ? 'identifier' : 'name'] = name;
  const tags = attr(b, 'tags')?.value;
  if (tags?.t === 'map') {
    const out: Record<string, string> = {};
    for (const [k, v] of tags.items) {
      const s = text(v);
      if (s !== undefined) out[k] = s;
    }
    if (Object.keys(out).length > 0) keys.tags = out;
  }
  if (RULE_TYPES.has(type)) {
    const sg = attr(b, 'security_group_id')?.value;
    const m = sg?.t === 'unknown' ? GROUP_REF.exec(sg.expr.replace(/^\$\{(.*)\}$/, '$1')) : null;
    if (m) keys.securityGroup = `${modulePrefix}aws_security_group.${m[1]}${m[2] ?? ''}`;
  }
  return Object.keys(keys).length > 0 ? keys : undefined;
}
