// Several Terraform roots given at once (envs/prod, envs/staging calling one shared module):
// every address is prefixed by its root, so nobody has to guess which root declared which port.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempProjects } from '../projects.js';
import { computeDrift } from '../../../../../shared/drift/index.js';
import { extract } from '../../../../../shared/iac/extract.js';

const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
const project = tempProjects('tf-roots');

const env = (port: number): string => `module "db" {\n  source = "../../modules/db"\n  port   = ${port}\n}\n`;
const files = {
  'envs/prod/main.tf': env(5432),
  'envs/staging/main.tf': env(6432),
  'modules/db/main.tf': 'variable "port" {}\nmodule "db_instance" {\n  source = "./instance"\n  port   = var.port\n}\n',
  'modules/db/instance/main.tf':
    'variable "port" {}\nresource "aws_db_instance" "this" {\n  engine = "postgres"\n  port   = var.port\n}\n',
};

/** The raw-state entry of the shared module's database, without its instances. */
const DB_STATE = { module: 'module.db.module.db_instance', mode: 'managed', type: 'aws_db_instance', name: 'this' };

describe('several terraform roots', () => {
  it('each address is prefixed by its root directory; the port says which root set it', async () => {
    const d = await project('two', files);
    const m = await extract([join(d, 'envs'), join(d, 'modules')], opts, { cwd: '/' });
    expect(m.resources.map((r) => r.address)).toEqual([
      'envs/prod:module.db.module.db_instance.aws_db_instance.this',
      'envs/staging:module.db.module.db_instance.aws_db_instance.this',
    ]);
    expect(m.endpoints.map((e) => `${e.resource} ${e.port} ${e.source.file}:${e.source.line}`)).toEqual([
      'envs/prod:module.db.module.db_instance.aws_db_instance.this 5432 modules/db/instance/main.tf:4',
      'envs/staging:module.db.module.db_instance.aws_db_instance.this 6432 modules/db/instance/main.tf:4',
    ]);
    // What `portdrift fix` would edit is in the root that declared the port.
    const origins = m.endpoints.map((e) => `${e.origin?.file}:${e.origin?.line}`);
    expect(origins).toEqual(['envs/prod/main.tf:3', 'envs/staging/main.tf:3']);
  });

  it('state (addresses without a root) and targets (either form) give hosts; findings name the prefix', async () => {
    const d = await project('two-hosts', {
      ...files,
      'prod.tfstate': JSON.stringify({
        version: 4,
        resources: [{ ...DB_STATE, instances: [{ attributes: { address: 'db.internal' } }] }],
      }),
      'targets.yaml': 'targets:\n  - resource: "envs/staging:*"\n    hosts: [10.0.0.7]\n',
    });
    const withHosts = { ...opts, stateFiles: [join(d, 'prod.tfstate')], targetsFile: join(d, 'targets.yaml') };
    const m = await extract([join(d, 'envs'), join(d, 'modules')], withHosts, { cwd: '/' });
    expect(m.resources.map((r) => `${r.address} ${r.hosts.join(',')}`)).toEqual([
      'envs/prod:module.db.module.db_instance.aws_db_instance.this db.internal',
      'envs/staging:module.db.module.db_instance.aws_db_instance.this 10.0.0.7,db.internal',
    ]);
    const report = computeDrift(m, [], { now: '2026-12-06T00:00:00.000Z' });
    expect(report.findings.map((f) => `${f.kind} ${f.resource} ${f.host}:${f.port}`).sort()).toEqual([
      'unobserved envs/prod:module.db.module.db_instance.aws_db_instance.this db.internal:5432',
      'unobserved envs/staging:module.db.module.db_instance.aws_db_instance.this 10.0.0.7:6432',
      'unobserved envs/staging:module.db.module.db_instance.aws_db_instance.this db.internal:6432',
    ]);
  });

  it("a state file inside a root directory is that root's state", async () => {
    const state = (host: string): string =>
      JSON.stringify({
        version: 4,
        resources: [{ ...DB_STATE, instances: [{ attributes: { address: host } }] }],
      });
    const d = await project('own-states', {
      ...files,
      'envs/prod/terraform.tfstate': state('prod.db'),
      'envs/staging/terraform.tfstate': state('staging.db'),
    });
    const stateFiles = ['prod', 'staging'].map((e) => join(d, 'envs', e, 'terraform.tfstate'));
    const m = await extract([join(d, 'envs'), join(d, 'modules')], { ...opts, stateFiles }, { cwd: '/' });
    const hosts = m.resources.map((r) => `${r.address.split(':')[0]} ${r.hosts.join(',')}`);
    expect(hosts).toEqual(['envs/prod prod.db', 'envs/staging staging.db']);
  });

  it("one root keeps Terraform's own addresses", async () => {
    const d = await project('one', files);
    const m = await extract([join(d, 'envs', 'prod'), join(d, 'modules')], opts, { cwd: '/' });
    expect(m.resources.map((r) => r.address)).toEqual(['module.db.module.db_instance.aws_db_instance.this']);
  });
});
