// The port-bearing CloudFormation resource types (AWS CloudFormation reference) and where their ports are
// written. Each handler reads one resource's Properties through the evaluator and emits
// endpoints (resolved), unresolved entries (not known before deployment) or problems (wrong
// shape), every one with the line of its own attribute.
import { isMap, isPair, isScalar } from 'yaml';
import type { Node, Pair } from 'yaml';
import type { DeclaredModel, Direction, Protocol, Role, ValueOrigin } from '../../types.js';
import { toPort, toPortRange } from '../declare.js';
import { getPair, items, lineOf, pairLine } from '../yaml.js';
import { intrinsic } from './tags.js';
import { NO_VALUE, type CfnEvaluator } from './evaluate.js';

export interface ResourceScope {
  ev: CfnEvaluator;
  address: string;
  /** Line of the logical id: where a default port (no `Port` property) is reported. */
  line: number;
  props: Node | undefined;
  model: DeclaredModel;
}

type Handler = (r: ResourceScope) => void;

/** Engine default ports (docs/design/iac-extraction.md#default-ports). */
export function engineDefaultPort(engine: string): number | undefined {
  const e = engine.toLowerCase();
  if (/^(mysql|mariadb|aurora-mysql|aurora$)/.test(e)) return 3306;
  if (/^(postgres|aurora-postgresql)/.test(e)) return 5432;
  if (e.startsWith('oracle')) return 1521;
  if (e.startsWith('sqlserver')) return 1433;
  if (e.startsWith('db2')) return 50000;
  if (e === 'redis' || e === 'valkey') return 6379;
  if (e === 'memcached') return 11211;
  return undefined;
}

/** The pair `name` of a map node, with its value narrowed through decided `Fn::If`s; undefined when absent or
 * `AWS::NoValue`. */
export function prop(
  r: ResourceScope,
  node: Node | undefined,
  name: string,
): { pair: Pair<Node, Node>; value: Node; line: number } | undefined {
  const pair = getPair(r.ev.doc, node, name);
  if (!pair || !isPair(pair)) return undefined;
  const value = r.ev.select(pair.value);
  if (!value) return undefined;
  return { pair, value, line: pairLine(r.ev.s.lc, pair) };
}

function unresolved(r: ResourceScope, attribute: string, node: Node, line: number): void {
  r.model.unresolved.push({
    resource: r.address,
    attribute,
    expression: r.ev.expression(node),
    source: { file: r.ev.s.file, line },
  });
}

/** Evaluate a scalar property; unresolved entries and shape problems are recorded here. */
function scalar(
  r: ResourceScope,
  attribute: string,
  p: { value: Node; line: number },
): { value: unknown; origin?: ValueOrigin } | undefined {
  const e = r.ev.evaluate(p.value);
  if (!e.ok) {
    if (e.error)
      r.model.problems.push({
        file: r.ev.s.file,
        line: p.line,
        code: 'PD_IAC_SHAPE',
        message: `${r.address} ${attribute}: ${e.error}`,
      });
    else unresolved(r, attribute, p.value, p.line);
    return undefined;
  }
  if (e.value === NO_VALUE) return undefined;
  return e.origin ? { value: e.value, origin: e.origin } : { value: e.value };
}

function emitPort(
  r: ResourceScope,
  attribute: string,
  p: { value: Node; line: number } | undefined,
  role: Role,
  protocol: Protocol,
): boolean {
  if (!p) return false;
  const v = scalar(r, attribute, p);
  if (!v) return true;
  const port = toPort(v.value);
  if (port === undefined) {
    r.model.problems.push({
      file: r.ev.s.file,
      line: p.line,
      code: 'PD_IAC_SHAPE',
      message: `${r.address} ${attribute}: ${JSON.stringify(v.value)} is not a port number (1–65535)`,
    });
    return true;
  }
  r.model.endpoints.push({
    resource: r.address,
    host: null,
    port,
    protocol,
    role,
    source: { file: r.ev.s.file, line: p.line },
    ...(v.origin ? { origin: v.origin } : {}),
  });
  return true;
}

function emitDefault(r: ResourceScope, port: number, protocol: Protocol = 'tcp'): void {
  r.model.endpoints.push({
    resource: r.address,
    host: null,
    port,
    protocol,
    role: 'listen',
    source: { file: r.ev.s.file, line: r.line },
  });
}

export function stringProp(r: ResourceScope, node: Node | undefined, name: string): string | undefined | null {
  const p = prop(r, node, name);
  if (!p) return undefined;
  const e = r.ev.evaluate(p.value);
  return e.ok && (typeof e.value === 'string' || typeof e.value === 'number') ? String(e.value) : null;
}

function protocolOf(r: ResourceScope, node: Node | undefined, name: string): Protocol {
  const v = stringProp(r, node, name);
  return v && /^udp$/i.test(v) ? 'udp' : 'tcp';
}

/** `Port`, else the default by `Engine` (or a fixed default). An unknown engine gives an unresolved entry rather than a
 * guess. */
function portWithDefault(fixed?: number, defaultEngine?: string): Handler {
  return (r) => {
    if (emitPort(r, 'Port', prop(r, r.props, 'Port'), 'listen', 'tcp')) return;
    if (fixed !== undefined) return emitDefault(r, fixed);
    const enginePair = prop(r, r.props, 'Engine');
    const engine = stringProp(r, r.props, 'Engine') ?? defaultEngine;
    const port = typeof engine === 'string' ? engineDefaultPort(engine) : undefined;
    if (port !== undefined) return emitDefault(r, port);
    // Aurora instances take the cluster's port ("doesn't apply to Aurora DB instances").
    if (typeof engine === 'string' && engine.startsWith('aurora')) return;
    if (enginePair) return unresolved(r, 'Port (default by Engine)', enginePair.value, enginePair.line);
    // A read replica (or a restore) without Engine takes its source's engine, hence its port.
    for (const name of ['SourceDBInstanceIdentifier', 'DBSnapshotIdentifier']) {
      const from = prop(r, r.props, name);
      if (from) return unresolved(r, `Port (inherited through ${name})`, from.value, from.line);
    }
  };
}

function rule(r: ResourceScope, node: Node | undefined, prefix: string, direction: Direction): void {
  const proto = prop(r, node, 'IpProtocol');
  const protoValue = proto ? scalar(r, `${prefix}IpProtocol`, proto) : undefined;
  if (!protoValue) return;
  const p = String(protoValue.value).toLowerCase();
  const protocol: Protocol | undefined =
    p === 'tcp' || p === '6'
      ? 'tcp'
      : p === 'udp' || p === '17'
        ? 'udp'
        : p === '-1' || p === 'all'
          ? 'all'
          : undefined;
  if (!protocol) return; // ICMP and other port-less protocols
  const from = prop(r, node, 'FromPort');
  const line = from?.line ?? proto!.line;
  if (protocol === 'all') {
    r.model.endpoints.push({
      resource: r.address,
      host: null,
      port: 1,
      toPort: 65535,
      protocol: 'all',
      role: 'allow',
      direction,
      source: { file: r.ev.s.file, line },
    });
    return;
  }
  const to = prop(r, node, 'ToPort');
  const fromV = from ? scalar(r, `${prefix}FromPort`, from) : undefined;
  const toV = to ? scalar(r, `${prefix}ToPort`, to) : undefined;
  if (!fromV || (to && !toV)) return;
  const a = toPort(fromV.value);
  const b = toV ? toPort(toV.value) : a;
  // FromPort -1 / ToPort -1 with tcp means every port.
  if (String(fromV.value) === '-1') {
    r.model.endpoints.push({
      resource: r.address,
      host: null,
      port: 1,
      toPort: 65535,
      protocol,
      role: 'allow',
      direction,
      source: { file: r.ev.s.file, line },
    });
    return;
  }
  if (a === undefined || b === undefined || b < a) {
    r.model.problems.push({
      file: r.ev.s.file,
      line,
      code: 'PD_IAC_SHAPE',
      message:
        `${r.address} ${prefix}FromPort/ToPort: ${String(fromV.value)}` +
        `–${String(toV?.value ?? fromV.value)} is not a port range`,
    });
    return;
  }
  r.model.endpoints.push({
    resource: r.address,
    host: null,
    port: a,
    ...(b !== a ? { toPort: b } : {}),
    protocol,
    role: 'allow',
    direction,
    source: { file: r.ev.s.file, line },
    ...(fromV.origin ? { origin: fromV.origin } : {}),
  });
}

/** A list property, or an unresolved entry when the list itself is an expression. */
function list(r: ResourceScope, node: Node | undefined, name: string, attribute: string): Node[] {
  const p = prop(r, node, name);
  if (!p) return [];
  if (isMap(p.value) || isScalar(p.value) || (p.value as { tag?: string }).tag) {
    unresolved(r, attribute, p.value, p.line);
    return [];
  }
  const out: Node[] = [];
  items(r.ev.doc, p.value).forEach((raw, i) => {
    const n = r.ev.select(raw);
    if (n === undefined) return;
    // An entry still behind an undecidable Fn::If (or another function) may or may not exist.
    if (intrinsic(r.ev.doc, n)) unresolved(r, `${attribute}[${i}]`, n, lineOf(r.ev.s.lc, raw));
    else out.push(n);
  });
  return out;
}

const MQ_PORTS: Record<string, number[]> = { activemq: [61617, 5671, 61614, 8883, 61619], rabbitmq: [5671] };

export const handlers: Record<string, Handler> = {
  'AWS::RDS::DBInstance': portWithDefault(),
  'AWS::RDS::DBCluster': portWithDefault(),
  'AWS::ElastiCache::CacheCluster': portWithDefault(),
  'AWS::ElastiCache::ReplicationGroup': portWithDefault(undefined, 'redis'),
  'AWS::DocDB::DBCluster': portWithDefault(27017),
  'AWS::Redshift::Cluster': portWithDefault(5439),
  'AWS::Neptune::DBCluster': portWithDefault(8182),
  'AWS::ElasticLoadBalancingV2::Listener': (r) =>
    void emitPort(r, 'Port', prop(r, r.props, 'Port'), 'listen', protocolOf(r, r.props, 'Protocol')),
  'AWS::ElasticLoadBalancingV2::TargetGroup': (r) => {
    const protocol = protocolOf(r, r.props, 'Protocol');
    emitPort(r, 'Port', prop(r, r.props, 'Port'), 'listen', protocol);
    list(r, r.props, 'Targets', 'Targets').forEach((t, i) =>
      emitPort(r, `Targets[${i}].Port`, prop(r, t, 'Port'), 'listen', protocol),
    );
    const hc = prop(r, r.props, 'HealthCheckPort');
    const hcValue = hc ? r.ev.evaluate(hc.value) : undefined;
    if (hc && !(hcValue?.ok && hcValue.value === 'traffic-port')) emitPort(r, 'HealthCheckPort', hc, 'listen', 'tcp');
  },
  'AWS::EC2::SecurityGroup': (r) => {
    list(r, r.props, 'SecurityGroupIngress', 'SecurityGroupIngress').forEach((rl, i) =>
      rule(r, rl, `SecurityGroupIngress[${i}].`, 'ingress'),
    );
    list(r, r.props, 'SecurityGroupEgress', 'SecurityGroupEgress').forEach((rl, i) =>
      rule(r, rl, `SecurityGroupEgress[${i}].`, 'egress'),
    );
  },
  'AWS::EC2::SecurityGroupIngress': (r) => rule(r, r.props, '', 'ingress'),
  'AWS::EC2::SecurityGroupEgress': (r) => rule(r, r.props, '', 'egress'),
  'AWS::ECS::TaskDefinition': (r) => {
    list(r, r.props, 'ContainerDefinitions', 'ContainerDefinitions').forEach((c, i) => {
      list(r, c, 'PortMappings', `ContainerDefinitions[${i}].PortMappings`).forEach((m, j) => {
        const at = `ContainerDefinitions[${i}].PortMappings[${j}].`;
        const protocol = protocolOf(r, m, 'Protocol');
        if (emitPort(r, `${at}ContainerPort`, prop(r, m, 'ContainerPort'), 'listen', protocol)) return;
        const range = prop(r, m, 'ContainerPortRange');
        const v = range ? scalar(r, `${at}ContainerPortRange`, range) : undefined;
        if (!range || !v) return;
        const pr = toPortRange(v.value);
        if (!pr)
          r.model.problems.push({
            file: r.ev.s.file,
            line: range.line,
            code: 'PD_IAC_SHAPE',
            message: `${r.address} ${at}ContainerPortRange: ${JSON.stringify(v.value)} is not a port range`,
          });
        else
          r.model.endpoints.push({
            resource: r.address,
            host: null,
            ...pr,
            protocol,
            role: 'listen',
            source: { file: r.ev.s.file, line: range.line },
          });
      });
    });
  },
  'AWS::ECS::Service': (r) => {
    list(r, r.props, 'LoadBalancers', 'LoadBalancers').forEach((lb, i) =>
      emitPort(r, `LoadBalancers[${i}].ContainerPort`, prop(r, lb, 'ContainerPort'), 'listen', 'tcp'),
    );
  },
  'AWS::AmazonMQ::Broker': (r) => {
    const engine = stringProp(r, r.props, 'EngineType');
    const ports = typeof engine === 'string' ? MQ_PORTS[engine.toLowerCase()] : undefined;
    if (ports) ports.forEach((p) => emitDefault(r, p));
    else {
      const p = prop(r, r.props, 'EngineType');
      if (p) unresolved(r, 'EngineType (ports by engine)', p.value, p.line);
    }
  },
};
