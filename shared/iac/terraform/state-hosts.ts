// Which state attributes of a resource name the hosts it runs on (docs/design/iac-extraction.md#terraform-state).
// Resources whose ports live on other resources' hosts take those hosts:
//   - a target group listens on its targets: the `target_id`s of the attachments that point at
//     its ARN (an instance id is turned into that instance's private IP when the instance is in
//     the same state; a Lambda ARN is not a host);
//   - a load-balancer listener listens on its load balancer: the LB's `dns_name`.
// Values are treated as untrusted data: only strings that look like a host are kept.

export interface StateInstance {
  address: string;
  type: string;
  attributes: Record<string, unknown>;
}

type Path = string[];

/** Attribute paths per resource type. `*` walks every element of an array. */
const HOST_PATHS: Record<string, Path[]> = {
  aws_db_instance: [['address']],
  aws_rds_cluster: [['endpoint'], ['reader_endpoint']],
  aws_rds_cluster_instance: [['endpoint']],
  aws_docdb_cluster: [['endpoint'], ['reader_endpoint']],
  aws_neptune_cluster: [['endpoint'], ['reader_endpoint']],
  aws_redshift_cluster: [['dns_name']],
  aws_elasticache_cluster: [['cache_nodes', '*', 'address'], ['cluster_address']],
  aws_elasticache_replication_group: [
    ['primary_endpoint_address'],
    ['reader_endpoint_address'],
    ['configuration_endpoint_address'],
  ],
  aws_memorydb_cluster: [
    ['cluster_endpoint', '*', 'address'],
    ['shards', '*', 'nodes', '*', 'endpoint', '*', 'address'],
  ],
  aws_mq_broker: [
    ['instances', '*', 'ip_address'],
    ['instances', '*', 'endpoints', '*'],
  ],
  aws_msk_cluster: [
    ['bootstrap_brokers'],
    ['bootstrap_brokers_tls'],
    ['bootstrap_brokers_sasl_scram'],
    ['bootstrap_brokers_sasl_iam'],
  ],
  aws_opensearch_domain: [['endpoint']],
  aws_elasticsearch_domain: [['endpoint']],
  aws_lb: [['dns_name']],
  aws_alb: [['dns_name']],
  aws_instance: [['private_ip']],
  aws_network_interface: [['private_ips', '*']],
  google_sql_database_instance: [['private_ip_address']],
  google_compute_instance: [['network_interface', '*', 'network_ip']],
  azurerm_linux_virtual_machine: [['private_ip_address']],
  azurerm_windows_virtual_machine: [['private_ip_address']],
  azurerm_network_interface: [['private_ip_address']],
  kubernetes_service: [['spec', '*', 'cluster_ip']],
  kubernetes_service_v1: [['spec', '*', 'cluster_ip']],
};

const TARGET_GROUPS = new Set(['aws_lb_target_group', 'aws_alb_target_group']);
const ATTACHMENTS = new Set(['aws_lb_target_group_attachment', 'aws_alb_target_group_attachment']);
const LISTENERS = new Set(['aws_lb_listener', 'aws_alb_listener']);

export function hostsOf(instances: readonly StateInstance[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (address: string, hosts: Iterable<string>): void => {
    const list = out.get(address) ?? [];
    for (const h of hosts) if (!list.includes(h)) list.push(h);
    if (list.length) out.set(address, list);
  };
  const byArn = new Map<string, StateInstance>();
  const instanceIp = new Map<string, string>();
  for (const i of instances) {
    const arn = i.attributes.arn;
    if (typeof arn === 'string') byArn.set(arn, i);
    if (
      i.type === 'aws_instance' &&
      typeof i.attributes.id === 'string' &&
      typeof i.attributes.private_ip === 'string'
    ) {
      instanceIp.set(i.attributes.id, i.attributes.private_ip);
    }
  }
  for (const i of instances) {
    const paths = HOST_PATHS[i.type];
    if (paths) add(i.address, paths.flatMap((p) => collect(i.attributes, p)).flatMap(hostsIn));
    if (ATTACHMENTS.has(i.type)) {
      const target = targetHost(i.attributes.target_id, instanceIp);
      if (target) {
        add(i.address, [target]);
        const tg = byArn.get(String(i.attributes.target_group_arn));
        if (tg && TARGET_GROUPS.has(tg.type)) add(tg.address, [target]);
      }
    }
  }
  // Listeners last, so that they see their load balancer's hosts.
  for (const i of instances) {
    if (!LISTENERS.has(i.type)) continue;
    const lb = byArn.get(String(i.attributes.load_balancer_arn));
    if (lb) add(i.address, out.get(lb.address) ?? []);
  }
  return out;
}

function collect(value: unknown, path: Path): unknown[] {
  if (path.length === 0) return [value];
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*') return Array.isArray(value) ? value.flatMap((v) => collect(v, rest)) : [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return collect((value as Record<string, unknown>)[head], rest);
}

/**
 * The host part of a value: `db.internal`, `db.internal:5432`, `10.0.0.5`, `[fd00::1]:443`,
 * `ssl://b-1.mq.amazonaws.com:61617`, or a comma-separated broker list `h1:9092,h2:9092`.
 */
export function hostsIn(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((s) => hostPart(s.trim()))
    .filter((h): h is string => h !== undefined);
}

function hostPart(s: string): string | undefined {
  if (s === '') return undefined;
  let h = s;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(h);
  if (url) h = url[1]!.replace(/^[^@]*@/, '');
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(h);
  if (bracketed) return bracketed[1]!.toLowerCase();
  // One colon: host:port. Several colons and no brackets: a bare IPv6 address.
  if (/^[^:]+:\d+$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  if (/^[0-9a-f:.]+$/i.test(h) && h.includes(':')) return h.toLowerCase();
  return /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$/.test(h) ? h.replace(/\.$/, '').toLowerCase() : undefined;
}

/** An attachment's `target_id`: an IP, an instance id (its private IP if known), else nothing (Lambda ARN, ALB ARN). */
function targetHost(id: unknown, instanceIp: ReadonlyMap<string, string>): string | undefined {
  if (typeof id !== 'string') return undefined;
  if (/^i-[0-9a-f]+$/.test(id)) return instanceIp.get(id);
  if (id.startsWith('arn:')) return undefined;
  return hostPart(id);
}
