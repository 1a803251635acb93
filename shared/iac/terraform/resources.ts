// Per resource type: which attributes hold ports, and the default port when none is written
// (docs/design/iac-extraction.md#default-ports). Listeners (databases, caches, load-balancer listeners and
// target groups, containers) are role `listen`; security-group, NACL, firewall and NSG rules are
// role `allow` and never listen ports (docs/design/iac-extraction.md#rules-are-not-listeners).
import type { Direction, Unresolved } from '../../types.js';
import type { Value } from './eval.js';
import { attr, children, type Block } from './block.js';
import { containerPorts } from './ecs.js';
import { kubernetesPods, kubernetesService } from './kubernetes.js';
import { allowRange, endpoint, listen, literal, readPort, ruleProtocol, type Emit } from './emit.js';

type Handler = (e: Emit, b: Block, unresolved: Unresolved[]) => void;

const engineDefault = (
  engine: string | undefined,
  table: [RegExp, number][],
  otherwise?: number,
): number | undefined => {
  if (engine === undefined) return otherwise;
  return table.find(([re]) => re.test(engine))?.[1] ?? otherwise;
};

const RDS_ENGINES: [RegExp, number][] = [
  [/postgres/, 5432],
  [/mysql|mariadb/, 3306],
  [/^oracle/, 1521],
  [/^sqlserver/, 1433],
  [/^db2/, 50000],
];

/** A `port` attribute with a default that depends on `engine` (or a fixed one). */
function portWithDefault(def: (b: Block) => number | undefined): Handler {
  return (e, b) => {
    const p = attr(b, 'port');
    listen(e, p, 'tcp', p ? undefined : def(b));
  };
}

/**
 * A `port` whose default is the engine's: when neither is known, or the engine is inherited
 * (`replicate_source_db`, `snapshot_identifier`), an unresolved entry says so, never silence.
 * `otherwise` is the default when no engine is written at all (a cluster's is Aurora MySQL).
 */
function portByEngine(table: [RegExp, number][], otherwise?: number, inherited: string[] = []): Handler {
  return (e, b, unresolved) => {
    const p = attr(b, 'port');
    if (p) return listen(e, p, 'tcp');
    const eng = attr(b, 'engine');
    const name = literal(eng?.value)?.toLowerCase();
    const port = eng ? (name === undefined ? undefined : engineDefault(name, table)) : otherwise;
    if (port !== undefined) return endpoint(e, port, 'listen', 'tcp', e.line);
    const from = eng ? undefined : inherited.map((n) => attr(b, n)).find((a) => a !== undefined);
    const why = eng ?? from;
    if (!why) return;
    const attribute = eng ? 'port (default by engine)' : `port (inherited through ${from!.attribute})`;
    const source = { file: e.file, line: why.line };
    unresolved.push({ resource: e.address, attribute, expression: why.expression, source });
  };
}
/** ElastiCache: redis / valkey 6379, memcached 11211; a cluster in a replication group takes the group's port. */
function cachePort(groupMember: boolean): Handler {
  return (e, b, unresolved) => {
    const p = attr(b, 'port');
    if (p) return listen(e, p, 'tcp');
    if (groupMember && attr(b, 'replication_group_id')) return;
    const eng = attr(b, 'engine');
    if (eng?.value.t === 'unknown') {
      const source = { file: e.file, line: eng.line };
      unresolved.push({
        resource: e.address,
        attribute: 'port (default by engine)',
        expression: eng.expression,
        source,
      });
      return;
    }
    endpoint(e, engine(b) === 'memcached' ? 11211 : 6379, 'listen', 'tcp', e.line);
  };
}

const engine = (b: Block, name = 'engine'): string | undefined => literal(attr(b, name)?.value)?.toLowerCase();

const lbProtocol = (b: Block): 'tcp' | 'udp' =>
  /^udp$/i.test(literal(attr(b, 'protocol')?.value) ?? '') ? 'udp' : 'tcp';

function securityGroup(e: Emit, b: Block, unresolved: Unresolved[]): void {
  for (const dir of ['ingress', 'egress'] as const) {
    for (const r of children(b, dir, e.address, unresolved)) rule({ ...e, direction: dir }, r, 'protocol');
  }
}

/** `type = "ingress"` / `"egress"` of an aws_security_group_rule; an expression leaves it unsaid. */
function ruleType(b: Block): Direction | undefined {
  const t = literal(attr(b, 'type')?.value)?.toLowerCase();
  return t === 'ingress' || t === 'egress' ? t : undefined;
}

/** A rule resource that carries its direction in an attribute (or is of one direction by type). */
const directed = (e: Emit, direction: Direction | undefined): Emit => (direction ? { ...e, direction } : e);

function rule(e: Emit, r: Block, protoName: string): void {
  const proto = attr(r, protoName);
  const protocol = ruleProtocol(proto?.value);
  if (protocol === 'other') return;
  if (protocol === 'unknown') {
    readPort(e, proto!);
    // The ports are listed too when they cannot be evaluated either: each is a port not known.
    for (const a of [attr(r, 'from_port'), attr(r, 'to_port')]) if (a?.value.t === 'unknown') readPort(e, a);
    return;
  }
  const before = e.model.endpoints.length;
  allowRange(e, r.line, protocol, attr(r, 'from_port'), attr(r, 'to_port'));
  const sources = ruleSources(r);
  if (sources.length > 0) for (const x of e.model.endpoints.slice(before)) x.sources = sources;
}

const CIDR_ATTRS = ['cidr_blocks', 'ipv6_cidr_blocks', 'prefix_list_ids', 'cidr_ipv4', 'cidr_ipv6', 'prefix_list_id'];
const GROUP_ATTRS = ['security_groups', 'source_security_group_id', 'referenced_security_group_id'];

/**
 * A rule's sources as the IaC writes them: literal CIDRs and prefix lists, a group reference
 * (`aws_security_group.web.id`) as the group's address, `self`. Anything else (a variable, a
 * module output) is left out: `fix --environment` then does not authorize the rule itself.
 */
function ruleSources(r: Block): string[] {
  const out: string[] = [];
  const items = (a: ReturnType<typeof attr>): Value[] => (!a ? [] : a.value.t === 'list' ? a.value.items : [a.value]);
  for (const name of CIDR_ATTRS) {
    for (const v of items(attr(r, name))) {
      const s = literal(v);
      if (s !== undefined) out.push(s);
    }
  }
  for (const name of GROUP_ATTRS) {
    const a = attr(r, name);
    if (!a) continue;
    for (const m of a.expression.matchAll(/\b(aws_security_group\.[\w-]+)\.id\b/g)) out.push(m[1]!);
    for (const v of items(a)) {
      const s = literal(v);
      if (s?.startsWith('sg-')) out.push(s);
    }
  }
  if (literal(attr(r, 'self')?.value) === 'true') out.push('self');
  return [...new Set(out)];
}

/** GCP firewall `allow[]` / `deny[]`: `ports` is a list of strings, `"22"` or `"8000-8100"`; none → every port. */
function gcpFirewall(e: Emit, b: Block, unresolved: Unresolved[]): void {
  // `direction` defaults to INGRESS in the provider.
  const dir = literal(attr(b, 'direction')?.value)?.toLowerCase();
  const written = attr(b, 'direction') !== undefined;
  e = directed(e, !written || dir === 'ingress' ? 'ingress' : dir === 'egress' ? 'egress' : undefined);
  for (const a of children(b, 'allow', e.address, unresolved)) {
    const protocol = ruleProtocol(attr(a, 'protocol')?.value);
    if (protocol === 'other' || protocol === 'unknown') continue;
    const ports = attr(a, 'ports');
    if (!ports || protocol === 'all') {
      endpoint(e, 1, 'allow', 'all', ports?.line ?? a.line, undefined, 65535);
      continue;
    }
    portList(e, ports, protocol);
  }
}

/** A list of port strings (`"22"`, `"8000-8100"`, `"*"`) as allow endpoints. */
function portList(e: Emit, a: NonNullable<ReturnType<typeof attr>>, protocol: 'tcp' | 'udp' | 'all'): void {
  const items = a.value.t === 'list' ? a.value.items : [a.value];
  for (const v of items) {
    const s = literal(v);
    if (v.t === 'unknown' || s === undefined) {
      readPort(e, a, v);
      continue;
    }
    if (s === '*') {
      endpoint(e, 1, 'allow', 'all', a.line, undefined, 65535);
      continue;
    }
    const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
    const from = m ? Number(m[1]) : NaN;
    const to = m?.[2] ? Number(m[2]) : from;
    if (!m || from < 1 || to > 65535 || to < from) {
      e.model.problems.push({
        file: e.file,
        line: a.line,
        code: 'PD_IAC_SHAPE',
        message: `${e.address}: ${a.attribute} entry ${JSON.stringify(s)} is not a port or port range`,
      });
      continue;
    }
    const o = v.t === 'lit' ? v.o : undefined;
    endpoint(e, from, 'allow', protocol, a.line, o, to);
  }
}

function azureRule(e: Emit, r: Block): void {
  if (/^deny$/i.test(literal(attr(r, 'access')?.value) ?? '')) return;
  const dir = literal(attr(r, 'direction')?.value)?.toLowerCase();
  e = directed(e, dir === 'inbound' ? 'ingress' : dir === 'outbound' ? 'egress' : undefined);
  const p = literal(attr(r, 'protocol')?.value)?.toLowerCase();
  const protocol = p === 'tcp' ? 'tcp' : p === 'udp' ? 'udp' : p === '*' ? 'all' : undefined;
  if (!protocol) return;
  for (const name of ['destination_port_range', 'destination_port_ranges']) {
    const a = attr(r, name);
    if (a) portList(e, a, protocol);
  }
}

const MSK_PORTS = { TLS: [9094], PLAINTEXT: [9092], TLS_PLAINTEXT: [9092, 9094] } as const;

function msk(e: Emit, b: Block, unresolved: Unresolved[]): void {
  // Brokers listen by client authentication mode (Amazon MSK port list); encryption in transit defaults to TLS.
  const transit = children(b, 'encryption_info', e.address, unresolved).flatMap((x) =>
    children(x, 'encryption_in_transit', e.address, unresolved),
  );
  const mode = (
    literal(transit.map((t) => attr(t, 'client_broker')?.value).find(Boolean)) ?? 'TLS'
  ).toUpperCase() as keyof typeof MSK_PORTS;
  const ports = new Set<number>(MSK_PORTS[mode] ?? [9094]);
  for (const auth of children(b, 'client_authentication', e.address, unresolved)) {
    for (const sasl of children(auth, 'sasl', e.address, unresolved)) {
      if (literal(attr(sasl, 'scram')?.value) === 'true') ports.add(9096);
      if (literal(attr(sasl, 'iam')?.value) === 'true') ports.add(9098);
    }
  }
  for (const p of [...ports].sort((x, y) => x - y)) endpoint(e, p, 'listen', 'tcp', e.line);
}

function mq(e: Emit, b: Block): void {
  const kind = engine(b, 'engine_type');
  listen(e, undefined, 'tcp', kind === 'rabbitmq' ? [5671] : [5671, 8883, 61614, 61617, 61619]);
}

function gcpSql(e: Emit, b: Block): void {
  const v = engine(b, 'database_version');
  const port = v?.startsWith('postgres')
    ? 5432
    : v?.startsWith('mysql')
      ? 3306
      : v?.startsWith('sqlserver')
        ? 1433
        : undefined;
  if (port) endpoint(e, port, 'listen', 'tcp', attr(b, 'database_version')?.line ?? e.line);
}

const lbTargetGroup: Handler = (e, b) => {
  if (/^lambda$/i.test(literal(attr(b, 'target_type')?.value) ?? '')) return;
  listen(e, attr(b, 'port'), lbProtocol(b));
};

const lbListener: Handler = (e, b) => listen(e, attr(b, 'port'), lbProtocol(b));

export const HANDLERS: Record<string, Handler> = {
  aws_security_group: securityGroup,
  aws_security_group_rule: (e, b) => rule(directed(e, ruleType(b)), b, 'protocol'),
  aws_vpc_security_group_ingress_rule: (e, b) => rule(directed(e, 'ingress'), b, 'ip_protocol'),
  aws_vpc_security_group_egress_rule: (e, b) => rule(directed(e, 'egress'), b, 'ip_protocol'),
  aws_network_acl_rule: (e, b) => {
    if (/^deny$/i.test(literal(attr(b, 'rule_action')?.value) ?? '')) return;
    // `egress` defaults to false; an expression leaves the direction unsaid.
    const egress = attr(b, 'egress');
    const v = egress ? literal(egress.value) : 'false';
    rule(directed(e, v === 'true' ? 'egress' : v === 'false' ? 'ingress' : undefined), b, 'protocol');
  },
  aws_network_acl: (e, b, u) => {
    for (const dir of ['ingress', 'egress'] as const) {
      for (const r of children(b, dir, e.address, u)) {
        if (!/^deny$/i.test(literal(attr(r, 'action')?.value) ?? '')) rule({ ...e, direction: dir }, r, 'protocol');
      }
    }
  },
  aws_db_instance: portByEngine(RDS_ENGINES, undefined, ['replicate_source_db', 'snapshot_identifier']),
  // Any other cluster engine (`aurora`) is MySQL-compatible: 3306, as with no engine.
  aws_rds_cluster: portByEngine([...RDS_ENGINES, [/./, 3306]], 3306, ['snapshot_identifier']),
  aws_docdb_cluster: portWithDefault(() => 27017),
  aws_neptune_cluster: portWithDefault(() => 8182),
  aws_redshift_cluster: portWithDefault(() => 5439),
  aws_memorydb_cluster: portWithDefault(() => 6379),
  aws_elasticache_cluster: cachePort(true),
  aws_elasticache_replication_group: cachePort(false),
  aws_lb_listener: lbListener,
  aws_alb_listener: lbListener,
  aws_lb_target_group: lbTargetGroup,
  aws_alb_target_group: lbTargetGroup,
  aws_lb_target_group_attachment: (e, b) => listen(e, attr(b, 'port'), 'tcp'),
  aws_alb_target_group_attachment: (e, b) => listen(e, attr(b, 'port'), 'tcp'),
  aws_ecs_task_definition: (e, b) => containerPorts(e, b),
  aws_ecs_service: (e, b, u) => {
    for (const lb of children(b, 'load_balancer', e.address, u)) listen(e, attr(lb, 'container_port'), 'tcp');
  },
  aws_msk_cluster: msk,
  aws_mq_broker: mq,
  aws_opensearch_domain: (e) => endpoint(e, 443, 'listen', 'tcp', e.line),
  aws_elasticsearch_domain: (e) => endpoint(e, 443, 'listen', 'tcp', e.line),
  google_compute_firewall: gcpFirewall,
  google_sql_database_instance: gcpSql,
  azurerm_network_security_rule: (e, b) => azureRule(e, b),
  azurerm_network_security_group: (e, b, u) => {
    for (const r of children(b, 'security_rule', e.address, u)) azureRule(e, r);
  },
  kubernetes_service: kubernetesService,
  kubernetes_service_v1: kubernetesService,
  kubernetes_deployment: kubernetesPods,
  kubernetes_deployment_v1: kubernetesPods,
  kubernetes_stateful_set: kubernetesPods,
  kubernetes_stateful_set_v1: kubernetesPods,
  kubernetes_daemonset: kubernetesPods,
  kubernetes_daemon_set_v1: kubernetesPods,
  kubernetes_pod: kubernetesPods,
  kubernetes_pod_v1: kubernetesPods,
};
