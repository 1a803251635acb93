import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseState, readStateFile } from '../../../../../shared/iac/state.js';
import { hostsIn } from '../../../../../shared/iac/terraform/state-hosts.js';

const raw = (resources: unknown[]): string =>
  JSON.stringify({
    version: 4,
    terraform_version: '1.11.4',
    serial: 3,
    lineage: 'x',
    outputs: {},
    resources,
    check_results: null,
  });

describe('raw v4 state', () => {
  it('builds addresses exactly as Terraform prints them (module, data, count, for_each)', () => {
    const { hosts, problems } = parseState(
      raw([
        {
          mode: 'managed',
          type: 'aws_db_instance',
          name: 'main',
          instances: [
            {
              schema_version: 2,
              attributes: {
                address: 'main.abc.rds.amazonaws.com',
                endpoint: 'main.abc.rds.amazonaws.com:5432',
                password: 'hunter2',
              },
            },
          ],
        },
        {
          module: 'module.a["x"].module.b',
          mode: 'managed',
          type: 'aws_instance',
          name: 'web',
          instances: [
            { index_key: 0, attributes: { id: 'i-0a', private_ip: '10.0.1.5' } },
            { index_key: 1, attributes: { id: 'i-0b', private_ip: '10.0.1.6' } },
          ],
        },
        { mode: 'data', type: 'aws_instance', name: 'peer', instances: [{ attributes: { private_ip: '10.9.9.9' } }] },
        {
          mode: 'managed',
          type: 'aws_security_group',
          name: 'web',
          instances: [{ index_key: 'http"s', attributes: { id: 'sg-1' } }],
        },
      ]),
      'terraform.tfstate',
    );
    expect(problems).toEqual([]);
    expect(Object.fromEntries(hosts)).toEqual({
      'aws_db_instance.main': ['main.abc.rds.amazonaws.com'],
      'module.a["x"].module.b.aws_instance.web[0]': ['10.0.1.5'],
      'module.a["x"].module.b.aws_instance.web[1]': ['10.0.1.6'],
      'data.aws_instance.peer': ['10.9.9.9'],
    });
  });

  it("gives target groups their attachments' targets and listeners their load balancer", () => {
    const { hosts } = parseState(
      raw([
        {
          mode: 'managed',
          type: 'aws_instance',
          name: 'app',
          instances: [{ attributes: { id: 'i-0123abc', private_ip: '10.0.2.10' } }],
        },
        {
          mode: 'managed',
          type: 'aws_lb',
          name: 'int',
          instances: [{ attributes: { arn: 'arn:lb', dns_name: 'internal-int-1.eu-west-1.elb.amazonaws.com' } }],
        },
        {
          mode: 'managed',
          type: 'aws_lb_listener',
          name: 'http',
          instances: [{ attributes: { arn: 'arn:l', load_balancer_arn: 'arn:lb', port: 80 } }],
        },
        {
          mode: 'managed',
          type: 'aws_lb_target_group',
          name: 'app',
          instances: [{ attributes: { arn: 'arn:tg', port: 8080 } }],
        },
        {
          mode: 'managed',
          type: 'aws_lb_target_group_attachment',
          name: 'a',
          instances: [
            { index_key: 0, attributes: { target_group_arn: 'arn:tg', target_id: 'i-0123abc', port: 8080 } },
            { index_key: 1, attributes: { target_group_arn: 'arn:tg', target_id: '10.0.2.11' } },
            {
              index_key: 2,
              attributes: { target_group_arn: 'arn:tg', target_id: 'arn:aws:lambda:eu-west-1:1:function:f' },
            },
          ],
        },
      ]),
      's.tfstate',
    );
    expect(Object.fromEntries(hosts)).toEqual({
      'aws_instance.app': ['10.0.2.10'],
      'aws_lb.int': ['internal-int-1.eu-west-1.elb.amazonaws.com'],
      'aws_lb_listener.http': ['internal-int-1.eu-west-1.elb.amazonaws.com'],
      'aws_lb_target_group.app': ['10.0.2.10', '10.0.2.11'],
      'aws_lb_target_group_attachment.a[0]': ['10.0.2.10'],
      'aws_lb_target_group_attachment.a[1]': ['10.0.2.11'],
    });
  });

  it('skips deposed objects', () => {
    const { hosts } = parseState(
      raw([
        {
          mode: 'managed',
          type: 'aws_instance',
          name: 'w',
          instances: [
            { attributes: { private_ip: '10.0.0.1' } },
            { deposed: 'abcd', attributes: { private_ip: '10.0.0.2' } },
          ],
        },
      ]),
      's',
    );
    expect(hosts.get('aws_instance.w')).toEqual(['10.0.0.1']);
  });
});

describe('terraform show -json', () => {
  it('walks child modules and uses the printed addresses', () => {
    const doc = {
      format_version: '1.0',
      terraform_version: '1.11.4',
      values: {
        root_module: {
          resources: [
            {
              address: 'aws_elasticache_cluster.c',
              mode: 'managed',
              type: 'aws_elasticache_cluster',
              name: 'c',
              values: {
                cache_nodes: [
                  { address: 'c-0001.x.cache.amazonaws.com', port: 6379 },
                  { address: 'c-0002.x.cache.amazonaws.com', port: 6379 },
                ],
              },
            },
          ],
          child_modules: [
            {
              address: 'module.db[0]',
              resources: [
                {
                  address: 'module.db[0].aws_rds_cluster.main',
                  type: 'aws_rds_cluster',
                  name: 'main',
                  index: 0,
                  values: {
                    endpoint: 'w.cluster-x.rds.amazonaws.com',
                    reader_endpoint: 'r.cluster-ro-x.rds.amazonaws.com',
                  },
                },
              ],
            },
          ],
        },
      },
    };
    expect(Object.fromEntries(parseState(JSON.stringify(doc), 's.json').hosts)).toEqual({
      'aws_elasticache_cluster.c': ['c-0001.x.cache.amazonaws.com', 'c-0002.x.cache.amazonaws.com'],
      'module.db[0].aws_rds_cluster.main': ['w.cluster-x.rds.amazonaws.com', 'r.cluster-ro-x.rds.amazonaws.com'],
    });
  });

  it('accepts an empty state', () => {
    expect(parseState('{"format_version":"1.0","terraform_version":"1.11.4"}', 's')).toEqual({
      hosts: new Map(),
      problems: [],
    });
  });
});

describe('host parts', () => {
  it('strips ports, schemes, brackets and splits broker lists', () => {
    expect(hostsIn('db.internal:5432')).toEqual(['db.internal']);
    expect(hostsIn('ssl://b-1.mq.eu-west-1.amazonaws.com:61617')).toEqual(['b-1.mq.eu-west-1.amazonaws.com']);
    expect(hostsIn('b-1.k.kafka.amazonaws.com:9094,b-2.k.kafka.amazonaws.com:9094')).toEqual([
      'b-1.k.kafka.amazonaws.com',
      'b-2.k.kafka.amazonaws.com',
    ]);
    expect(hostsIn('[fd00::1]:443')).toEqual(['fd00::1']);
    expect(hostsIn('fd00::1')).toEqual(['fd00::1']);
    expect(hostsIn('not a host')).toEqual([]);
    expect(hostsIn(42)).toEqual([]);
  });
});

describe('bad state', () => {
  it('reports invalid JSON with its line and never quotes the content', () => {
    const r = parseState('{\n  "version": 4,\n  "secret": "s3cr3t" oops\n}', 'bad.tfstate');
    expect(r.problems).toEqual([
      { file: 'bad.tfstate', line: 3, code: 'PD_STATE_INVALID', message: 'Terraform state is not valid JSON' },
    ]);
  });
  it('names unsupported versions and foreign JSON', () => {
    expect(parseState('{"version":3,"modules":[]}', 's').problems[0]?.message).toMatch(/version 3 is not supported/);
    expect(parseState('{"hello":1}', 's').problems[0]?.message).toMatch(/not Terraform state/);
    expect(parseState('[1]', 's').problems[0]?.code).toBe('PD_STATE_INVALID');
  });
  it('reports an unreadable file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pd-state-'));
    const r = await readStateFile(join(dir, 'nope.tfstate'), 'nope.tfstate');
    expect(r.problems).toEqual([
      { file: 'nope.tfstate', code: 'PD_IAC_PATH', message: 'cannot read Terraform state: ENOENT' },
    ]);
    await writeFile(join(dir, 'ok.tfstate'), raw([]));
    expect(await readStateFile(join(dir, 'ok.tfstate'), 'ok.tfstate')).toEqual({ hosts: new Map(), problems: [] });
  });
});
