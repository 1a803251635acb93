// The service a declared port should speak, derived from the IaC with the line that says it:
// Terraform engines and protocols, CloudFormation properties, Kubernetes appProtocol / port
// names, Compose images. No expectation where the IaC names no protocol.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toExtractionOutput } from '../../../../shared/format/extraction.js';
import { extractTemplate } from '../../../../shared/iac/cloudformation/index.js';
import { extractCompose } from '../../../../shared/iac/compose.js';
import {
  appProtocolService,
  engineService,
  imageService,
  lbProtocolService,
  portNameService,
} from '../../../../shared/iac/expect.js';
import { extract } from '../../../../shared/iac/extract.js';
import { extractManifests } from '../../../../shared/iac/kubernetes.js';
import type { DeclaredModel } from '../../../../shared/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portdrift-expect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `resource port service by file:line`, or `resource port -` without an expectation. */
const rows = (m: DeclaredModel): string[] =>
  m.endpoints
    .filter((e) => e.role === 'listen')
    .map((e) => {
      const x = e.expect;
      return `${e.resource} ${e.port} ${x ? `${x.service} (${x.by}) ${x.source.file}:${x.source.line}` : '-'}`;
    });

describe('service expectations: the vocabulary', () => {
  it('engines, load-balancer protocols, appProtocol, port names and images map onto fingerprint names', () => {
    const engines = ['postgres', 'aurora-postgresql', 'mysql', 'mariadb', 'aurora', 'aurora-mysql', 'redis', 'valkey'];
    expect([...engines, 'memcached', 'oracle-ee'].map(engineService)).toEqual([
      'postgres',
      'postgres',
      'mysql',
      'mysql',
      'mysql',
      'mysql',
      'redis',
      'redis',
      'memcached',
      null,
    ]);
    expect(['HTTP', 'https', 'TLS', 'TCP', 'UDP'].map(lbProtocolService)).toEqual(['http', 'tls', 'tls', null, null]);
    const appProtocols = ['http', 'https', 'grpc', 'kubernetes.io/h2c', 'kubernetes.io/wss', 'example.com/custom'];
    expect([...appProtocols, 'postgresql'].map(appProtocolService)).toEqual([
      'http',
      'tls',
      'http2',
      'http2',
      'tls',
      null,
      'postgres',
    ]);
    const names = ['http', 'https', 'grpc', 'postgres', 'redis', 'metrics', 'http-api', 'grpc-web', 'tcp', 'web'];
    expect([...names, 'api'].map(portNameService)).toEqual([
      'http',
      'tls',
      'http2',
      'postgres',
      'redis',
      'http',
      'http',
      'http2',
      null,
      null,
      null,
    ]);
    const images: Array<[string, number]> = [
      ['postgres:16', 5432],
      ['docker.io/library/redis:7-alpine', 6379],
      ['nginx', 80],
      ['nginx:1.27', 443],
      ['mysql:8', 3306],
      ['mongo@sha256:abc', 27017],
      ['rabbitmq:3-management', 5672],
      ['rabbitmq:3-management', 15672],
      ['elasticsearch:8.15.0', 9200],
      ['bitnami/kafka:3.7', 9092],
      ['postgres:16', 8080],
      ['ghcr.io/acme/orders:1.2', 8080],
    ];
    expect(images.map(([i, p]) => imageService(i, p))).toEqual([
      'postgres',
      'redis',
      'http',
      'tls',
      'mysql',
      'mongodb',
      'amqp',
      'http',
      'http',
      'kafka',
      null,
      null,
    ]);
  });
});

describe('service expectations: per IaC', () => {
  const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };

  it('terraform: engine, protocol, app_protocol, port name lines; TCP and unknown engines expect nothing', async () => {
    const d = join(dir, 'tf');
    await mkdir(d, { recursive: true });
    await writeFile(
      join(d, 'main.tf'),
      [
        'resource "aws_db_instance" "orders" {', //  1
        '  engine = "postgres"', //                   2
        '  port   = 5432', //                         3
        '}',
        'resource "aws_rds_cluster" "reports" {', //  5
        '}',
        'resource "aws_elasticache_cluster" "sessions" {', // 7
        '  engine = "valkey"', //                     8
        '}',
        'resource "aws_lb_target_group" "web" {', // 10
        '  port     = 8080', //                      11
        '  protocol = "HTTP"', //                    12
        '}',
        'resource "aws_lb_target_group" "raw" {', // 14
        '  port     = 9000',
        '  protocol = "TCP"',
        '}',
        'resource "aws_db_instance" "legacy" {', //  18
        '  engine = "oracle-ee"',
        '}',
        'variable "engine" {}',
        'resource "aws_db_instance" "unknown" {', // 22
        '  engine = var.engine',
        '  port   = 5000',
        '}',
        'resource "kubernetes_service_v1" "api" {', // 26
        '  metadata {',
        '    name = "api"',
        '  }',
        '  spec {',
        '    port {',
        '      name         = "web"',
        '      port         = 443',
        '      app_protocol = "https"', //          34
        '    }',
        '    port {',
        '      name = "grpc-api"', //               37
        '      port = 9090',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const m = await extract([d], opts, { cwd: '/' });
    expect(rows(m).sort()).toEqual(
      [
        'aws_db_instance.orders 5432 postgres (engine "postgres") main.tf:2',
        'aws_rds_cluster.reports 3306 mysql (engine "aurora") main.tf:5',
        'aws_elasticache_cluster.sessions 6379 redis (engine "valkey") main.tf:8',
        'aws_lb_target_group.web 8080 http (protocol "HTTP") main.tf:12',
        'aws_lb_target_group.raw 9000 -',
        'aws_db_instance.legacy 1521 -',
        'aws_db_instance.unknown 5000 -',
        'kubernetes_service_v1.api 443 tls (app_protocol https) main.tf:34',
        'kubernetes_service_v1.api 9090 http2 (name grpc-api) main.tf:37',
      ].sort(),
    );
    // The extraction JSON shows it too: `portdrift extract` says which service each port should speak.
    expect(toExtractionOutput(m).endpoints.some((e) => 'expect' in e)).toBe(true);
  });

  it('cloudformation: Engine and Protocol with their lines; a target group health-check port expects nothing', () => {
    const text = [
      'Resources:',
      '  OrdersDb:',
      '    Type: AWS::RDS::DBInstance',
      '    Properties:',
      '      Engine: postgres', //              5
      '  Cache:', //                       6: no Engine, the default's source is the logical id
      '    Type: AWS::ElastiCache::ReplicationGroup',
      '    Properties:',
      '      Description: x',
      '  Targets:',
      '    Type: AWS::ElasticLoadBalancingV2::TargetGroup',
      '    Properties:',
      '      Port: 8443',
      '      Protocol: HTTPS', //               14
      '      HealthCheckPort: 9000',
      '',
    ].join('\n');
    const m = extractTemplate({ path: '/x/t.yaml', file: 't.yaml', text }, new Map());
    expect(rows(m)).toEqual([
      'cfn:OrdersDb 5432 postgres (Engine "postgres") t.yaml:5',
      'cfn:Cache 6379 redis (Engine "redis") t.yaml:6',
      'cfn:Targets 8443 tls (Protocol "HTTPS") t.yaml:14',
      'cfn:Targets 9000 -',
    ]);
  });

  it('kubernetes: appProtocol wins over the port name; a named targetPort counts; "web" says nothing', () => {
    const text = [
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: api, namespace: shop}',
      'spec:',
      '  selector: {app: api}',
      '  ports:',
      '    - name: web', //                    7
      '      port: 443',
      '      appProtocol: https', //            9
      '    - name: metrics', //                 10
      '      port: 9102',
      '    - name: web', //                     12
      '      port: 8080',
      '    - port: 5432', //                    14
      '      targetPort: postgres', //          15
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: api, namespace: shop}',
      'spec:',
      '  template:',
      '    metadata: {labels: {app: api}}',
      '    spec:',
      '      containers:',
      '        - name: api',
      '          image: x',
      '          ports:',
      '            - {name: postgres, containerPort: 5433}',
      '',
    ].join('\n');
    const m = extractManifests([{ path: '/x/k.yaml', file: 'k.yaml', text }], 'cluster.local');
    const svc = 'k8s:Service/shop/api';
    const dep = 'k8s:Deployment/shop/api';
    expect(rows(m).sort()).toEqual(
      [
        `${svc} 443 tls (appProtocol https) k.yaml:9`,
        `${dep} 443 tls (appProtocol https) k.yaml:9`,
        `${svc} 9102 http (name metrics) k.yaml:10`,
        `${dep} 9102 http (name metrics) k.yaml:10`,
        `${svc} 8080 -`,
        `${dep} 8080 -`,
        `${svc} 5432 postgres (targetPort postgres) k.yaml:15`,
        `${dep} 5433 postgres (targetPort postgres) k.yaml:15`,
      ].sort(),
    );
  });

  it('compose: a well-known image names the service of its own port only', () => {
    const text = [
      'services:',
      '  db:',
      '    image: postgres:16', //  3
      '    ports: ["15432:5432"]',
      '  cache:',
      '    image: redis', //        6
      '    expose: ["6379", "9121"]',
      '  web:',
      '    image: nginx:1.27', //   9
      '    ports: ["8080:80", "8443:443"]',
      '  app:',
      '    image: ghcr.io/acme/app:1',
      '    ports: ["3000:3000"]',
      '',
    ].join('\n');
    const m = extractCompose({ path: '/x/compose.yaml', file: 'compose.yaml', text });
    expect(rows(m)).toEqual([
      'compose:db 5432 postgres (image postgres:16) compose.yaml:3',
      'compose:cache 6379 redis (image redis) compose.yaml:6',
      'compose:cache 9121 -',
      'compose:web 80 http (image nginx:1.27) compose.yaml:9',
      'compose:web 443 tls (image nginx:1.27) compose.yaml:9',
      'compose:app 3000 -',
    ]);
  });
});
