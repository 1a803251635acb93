// The service each Terraform resource's listen ports should speak (see ../expect.ts), from the
// attribute that says it, with that attribute's line: `engine` of databases and caches,
// `protocol` of load-balancer listeners and target groups, and the fixed protocols of managed
// brokers and search domains (MQ and OpenSearch endpoints are TLS; MSK's 9092 is plaintext Kafka).
import type { DeclaredEndpoint, DeclaredModel, ServiceName, SourceLocation } from '../../types.js';
import { engineService, expectSince, lbProtocolService } from '../expect.js';
import { attr, type Block } from './block.js';
import { literal } from './emit.js';

type Pick = (e: DeclaredEndpoint) => { service: ServiceName | null; source: SourceLocation; by: string } | undefined;

/** What `type` expects, given its block; undefined when the type says nothing about its protocol. */
function pickerFor(type: string, b: Block, file: string, line: number): Pick | undefined {
  const at = (l: number): SourceLocation => ({ file, line: l });
  const fromAttr = (name: string, map: (v: string) => ServiceName | null, fallback?: string): Pick | undefined => {
    const a = attr(b, name);
    const v = a ? literal(a.value) : fallback;
    if (v === undefined) return undefined;
    const service = map(v);
    return () => ({ service, source: at(a?.line ?? line), by: `${name} ${JSON.stringify(v)}` });
  };
  switch (type) {
    case 'aws_db_instance':
    case 'aws_elasticache_cluster':
    case 'aws_elasticache_replication_group':
      return fromAttr('engine', engineService);
    case 'aws_rds_cluster':
      return fromAttr('engine', engineService, 'aurora');
    case 'aws_memorydb_cluster':
      return fromAttr('engine', engineService, 'redis');
    case 'aws_lb_listener':
    case 'aws_alb_listener':
    case 'aws_lb_target_group':
    case 'aws_alb_target_group':
      return fromAttr('protocol', lbProtocolService);
    case 'aws_mq_broker':
      return () => ({ service: 'tls', source: at(line), by: 'Amazon MQ endpoints (TLS)' });
    case 'aws_opensearch_domain':
    case 'aws_elasticsearch_domain':
      return () => ({ service: 'tls', source: at(line), by: 'domain endpoint (HTTPS)' });
    case 'aws_msk_cluster':
      return (e) =>
        e.port === 9092
          ? { service: 'kafka', source: at(line), by: 'MSK plaintext listener' }
          : { service: 'tls', source: at(line), by: 'MSK TLS listener' };
    default:
      return undefined;
  }
}

/** Sets `expect` on the listen endpoints resource `address` emitted from index `from` on. */
export function expectTerraform(model: DeclaredModel, from: number, address: string, type: string, b: Block): void {
  if (from === model.endpoints.length) return;
  const pick = pickerFor(type, b, b.mf.file, b.line);
  if (pick) expectSince(model, from, address, pick);
}
