// The pipeline around the extractors: the root rule, the walk, defensive reading, the targets
// file, joining state hosts, and the one case that is an error (nothing read).
import { mkdtemp, mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortdriftError } from '../../../../shared/errors.js';
import { extract, joinHosts, stateHosts } from '../../../../shared/iac/extract.js';
import { emptyModel } from '../../../../shared/iac/model.js';
import { globMatcher, parseTargets } from '../../../../shared/iac/targets.js';
import { commonDir, walk } from '../../../../shared/iac/walk.js';
import { fixtures, optionsFor } from './cases.js';
import { rx } from '../../../rx.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portdrift-extract-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('root rule and walk', () => {
  it('the root is the deepest common directory; a file counts as its directory', async () => {
    expect(commonDir(['/a/b/c', '/a/b/d/e'])).toBe('/a/b');
    const w = await walk(['compose/docker-compose.yml', 'kubernetes'], fixtures);
    expect(w.root).toBe(fixtures);
    expect(w.entries.map((e) => e.file)).toEqual([
      'compose/docker-compose.yml',
      'kubernetes/jobs.yaml',
      'kubernetes/shop.yaml',
    ]);
    expect((await walk(['kubernetes/shop.yaml'], fixtures)).entries.map((e) => e.file)).toEqual(['shop.yaml']);
  });

  it('skips .git, node_modules and .terraform; a missing path is a problem, not a crash', async () => {
    const root = join(dir, 'walk');
    for (const d of ['.git', 'node_modules/x', '.terraform/modules', 'app'])
      await mkdir(join(root, d), { recursive: true });
    for (const f of ['.git/c.yaml', 'node_modules/x/c.yaml', '.terraform/modules/c.yaml', 'app/c.yaml'])
      await writeFile(join(root, f), 'services: {}\n');
    const w = await walk([root, join(root, 'missing.yaml')], '/');
    expect(w.entries.map((e) => e.file)).toEqual(['app/c.yaml']);
    expect(w.problems).toEqual([{ file: 'missing.yaml', code: 'PD_IAC_PATH', message: 'path cannot be read: ENOENT' }]);
  });
});

describe('bad input', () => {
  it('a 50 MB file is refused with a problem, and the good file next to it is still extracted', async () => {
    const root = join(dir, 'big');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'huge.yaml'), 'services:\n');
    await truncate(join(root, 'huge.yaml'), 50 * 1024 * 1024);
    await writeFile(join(root, 'compose.yaml'), 'services:\n  a:\n    expose: ["80"]\n');
    const m = await extract([root], optionsFor({ name: 'big', paths: [] }), { cwd: '/' });
    expect(m.problems).toEqual([
      {
        file: 'huge.yaml',
        code: 'PD_IAC_TOO_LARGE',
        message: 'file is 50.0 MiB, over the 8 MiB limit for IaC files; not extracted',
      },
    ]);
    expect(m.endpoints).toEqual([
      {
        resource: 'compose:a',
        host: 'a',
        port: 80,
        protocol: 'tcp',
        role: 'listen',
        source: { file: 'compose.yaml', line: 3 },
      },
    ]);
  });

  it('nothing readable is PD_IAC_NOTHING_READ, with the reasons', async () => {
    const err = await extract(
      ['broken/binary.yaml', 'broken/empty.yaml', 'nope'],
      optionsFor({ name: 'x', paths: [] }),
      { cwd: fixtures },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortdriftError);
    expect((err as PortdriftError).code).toBe('PD_IAC_NOTHING_READ');
    expect((err as PortdriftError).message).toContain('binary.yaml: file is binary');
    expect((err as PortdriftError).message).toContain('empty.yaml:1: file is empty');
    expect((err as PortdriftError).message).toContain('nope: path cannot be read: ENOENT');
  });

  it('a template whose only problem is an unknown tag in JSON-free YAML keeps its other resources', async () => {
    const m = await extract(['broken/unknown-tag.yaml'], optionsFor({ name: 'x', paths: [] }), { cwd: fixtures });
    expect(m.endpoints.map((e) => `${e.resource}:${e.port}`)).toEqual(['cfn:Cache:6379']);
    expect(m.unresolved).toEqual([
      {
        resource: 'cfn:Db',
        attribute: 'Port',
        expression: '!Custom 5432',
        source: { file: 'unknown-tag.yaml', line: 7 },
      },
    ]);
  });
});

describe('targets file', () => {
  it('globs match across dots and brackets; exact addresses match exactly', () => {
    expect(globMatcher('module.api.*')('module.api.aws_lb_target_group.web[0]')).toBe(true);
    expect(globMatcher('module.api.*')('module.apix.a.b')).toBe(false);
    expect(globMatcher('cfn:Db?')('cfn:Db1')).toBe(true);
    expect(globMatcher('aws_instance.web')('aws_instance.web[0]')).toBe(false);
  });

  it('every problem of an invalid file is reported at once', () => {
    let err: unknown;
    try {
      parseTargets(
        't.yaml',
        'targets:\n  - resource: a\n    hosts: []\n  - hosts: [h]\n  - resource: b\n    hosts: [ok]\n    extra: 1\n',
      );
    } catch (e) {
      err = e;
    }
    expect((err as PortdriftError).code).toBe('PD_TARGETS_INVALID');
    expect((err as PortdriftError).details?.problems).toEqual([
      't.yaml:2: targets[0]: `hosts` must be a non-empty list of IPs or DNS names',
      't.yaml:4: targets[1]: `resource` must be an address or a glob',
      't.yaml:5: targets[2]: unknown key `extra`',
    ]);
  });

  it('hosts are checked as hosts, and a bracketed IPv6 address is the same host as the bare one', () => {
    expect(parseTargets('t.yaml', "targets:\n  - resource: a\n    hosts: ['[fd00::1]', fd00::2]\n")[0]!.hosts).toEqual([
      'fd00::1',
      'fd00::2',
    ]);
    expect(() =>
      parseTargets('t.yaml', 'targets:\n  - resource: a\n    hosts: [127.0.0.1:30003, 999.1.1.1]\n'),
    ).toThrow(
      rx(
        /targets\[0\]\.hosts\[0\]: `127\.0\.0\.1:30003` has a port/,
        /[\s\S]*targets\[0\]\.hosts\[1\]: `999\.1\.1\.1` is not a valid IPv4 address/,
      ),
    );
  });
});

describe('joining hosts', () => {
  it('state: exact address, and an unindexed address takes its count / for_each instances', () => {
    const state = new Map([
      ['aws_instance.web[0]', ['10.0.0.1']],
      ['aws_instance.web["b"]', ['10.0.0.2']],
      ['aws_instance.web_old', ['10.0.0.9']],
      ['aws_db_instance.orders', ['orders.rds.internal']],
    ]);
    expect(stateHosts(state, 'aws_instance.web')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(stateHosts(state, 'aws_instance.web[0]')).toEqual(['10.0.0.1']);
    const model = emptyModel();
    model.resources.push({
      address: 'aws_db_instance.orders',
      type: 'aws_db_instance',
      source: { file: 'a.tf', line: 1 },
      hosts: ['z.derived'],
    });
    joinHosts(
      model,
      state,
      parseTargets('t.yaml', 'targets:\n  - resource: "aws_db_*"\n    hosts: [10.0.1.5, orders.rds.internal]\n'),
    );
    expect(model.resources[0]!.hosts).toEqual(['10.0.1.5', 'orders.rds.internal', 'z.derived']);
  });
});

describe('what a broken input must not turn into: a scan that checked nothing and passed', () => {
  const opts: { stateFiles: string[]; varFiles: string[]; clusterDomain: string } = {
    stateFiles: [],
    varFiles: [],
    clusterDomain: 'cluster.local',
  };
  /** A fresh project directory under the suite's temp dir with these files (name → text). */
  const project = async (name: string, files: Record<string, string>): Promise<string> => {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(join(d, file), text);
    return d;
  };
  const deployment = (name: string, port: number) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    metadata:\n      ` +
    `labels: {app: ${name}}\n    spec:\n      containers:\n        - name: c\n ` +
    `         image: x\n          ports:\n            - containerPort: ${port}\n`;

  it('a Kubernetes stream with one broken document: that document is a problem, the others are extracted', async () => {
    const d = await project('k8s-broken-doc', {
      'app.yaml':
        `${deployment('api', 8080)}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n ` +
        ` name: cfg\n  labels: {a: 1\n---\n${deployment('web', 9090)}`,
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.resources.map((r) => r.address)).toEqual(['k8s:Deployment/default/api', 'k8s:Deployment/default/web']);
    expect(m.endpoints.map((e) => [e.port, e.source.line])).toEqual([
      [8080, 14],
      [9090, 35],
    ]);
    expect(m.problems).toEqual([
      expect.objectContaining({
        file: 'app.yaml',
        line: 21,
        code: 'PD_IAC_PARSE',
        message: expect.stringMatching(/^YAML does not parse: Flow map/),
      }),
    ]);
  });

  it('a kind: List (kubectl get -o yaml) is read item by item', async () => {
    const d = join(dir, 'k8s-list');
    await mkdir(d);
    const item = (name: string, port: number) =>
      deployment(name, port)
        .split('\n')
        .filter(Boolean)
        .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
        .join('\n');
    await writeFile(
      join(d, 'list.yaml'),
      `apiVersion: v1\nkind: List\nitems:\n${item('api', 8080)}\n${item('web', 9090)}\n`,
    );
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.resources.map((r) => r.address)).toEqual(['k8s:Deployment/default/api', 'k8s:Deployment/default/web']);
    expect(m.endpoints.map((e) => e.port)).toEqual([8080, 9090]);
    expect(m.problems).toEqual([]);
  });

  it('files that were read but of which none parses: PD_IAC_NOTHING_READ (exit 1), every problem listed', async () => {
    const d = await project('none-parse', {
      'a.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [\n',
    });
    const err = await extract([d], opts, { cwd: '/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortdriftError);
    expect((err as PortdriftError).code).toBe('PD_IAC_NOTHING_READ');
    expect((err as PortdriftError).message).toMatch(
      /^no IaC could be extracted from .*none-parse:\n {2}a\.yaml:\d+: YAML does not parse/,
    );
  });

  it(
    'a Terraform resource declared twice is a problem naming ' + 'both places, not two resources with mixed-up ports',
    async () => {
      const d = join(dir, 'tf-duplicates');
      await mkdir(d);
      const db = (name: string, port: number) => `resource "aws_db_instance" "${name}" {\n  port = ${port}\n}\n`;
      await writeFile(join(d, 'a.tf'), db('orders', 1111) + db('twice', 3000) + db('twice', 3001));
      await writeFile(join(d, 'b.tf'), db('orders', 2222));
      const m = await extract([d], opts, { cwd: '/' });
      expect(m.endpoints.map((e) => [e.resource, e.port, `${e.source.file}:${e.source.line}`])).toEqual([
        ['aws_db_instance.orders', 1111, 'a.tf:2'],
      ]);
      expect(m.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
        'a.tf:4: resource aws_db_instance.twice is declared 2 ' +
          'times in this file, which Terraform refuses; not extracted',
        'b.tf:1: resource aws_db_instance.orders is declared again (first at ' +
          'a.tf:1), which Terraform refuses; only the first declaration is extracted',
      ]);
    },
  );

  it(
    'CloudFormation: a Ref to nothing, a FindInMap key the Mappings lack, ' +
      'a Select past the end are template errors, not "known after deployment"',
    async () => {
      const d = join(dir, 'cfn-errors');
      await mkdir(d);
      const db = (name: string, port: string) =>
        `  ${name}:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Port: ${port}\n`;
      await writeFile(
        join(d, 'stack.yaml'),
        `AWSTemplateFormatVersion: "2010-09-09"\nMappings:\n  Ports: {prod: {db: 5432}}\nResources:\n` +
          db('A', '!Ref Missing') +
          db('B', '!FindInMap [Ports, prod, cache]') +
          db('C', '!Select [5, [1, 2]]') +
          db('D', '!Ref A') +
          db('E', '!FindInMap [Ports, prod, db]'),
      );
      const m = await extract([d], opts, { cwd: '/' });
      expect(m.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
        '8: cfn:A Port: Ref to "Missing": the template has no parameter or resource of that name',
        '12: cfn:B Port: Fn::FindInMap: Mappings has no Ports.prod.cache',
        '16: cfn:C Port: Fn::Select index 5 is past the end of a 2-item list',
      ]);
      expect(m.unresolved.map((u) => [u.resource, u.expression])).toEqual([['cfn:D', '!Ref A']]);
      expect(m.endpoints.map((e) => [e.resource, e.port])).toEqual([['cfn:E', 5432]]);
      // With a Transform (SAM) the deployed template has resources this one does not spell out.
      await writeFile(
        join(d, 'stack.yaml'),
        `AWSTemplateFormatVersion: "2010-09-09"\nTransform: ` +
          `AWS::Serverless-2016-10-31\nResources:\n${db('A', '!Ref ServerlessRestApi')}`,
      );
      const sam = await extract([d], opts, { cwd: '/' }).catch((e: unknown) => e as PortdriftError);
      expect('problems' in sam ? sam.problems : sam).toEqual([]);
    },
  );

  it(
    'a .json file must be JSON: what YAML forgives (a ' + 'trailing comma) is a JSON parse problem with its line',
    async () => {
      const d = await project('json-strict', {
        'svc.json':
          '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": ' +
          '{"name": "api"},\n  "spec": {"ports": [{"port": 80}],}\n}\n',
        'ok.json':
          '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 8080}]}}\n',
      });
      const m = await extract([d], opts, { cwd: '/' });
      expect(m.resources.map((r) => r.address)).toEqual(['k8s:Service/default/web']);
      expect(m.problems).toEqual([
        {
          file: 'svc.json',
          line: 5,
          code: 'PD_IAC_PARSE',
          message: 'JSON does not parse: Expected double-quoted property name',
        },
      ]);

      // The message never quotes the file (it may hold a secret): V8 would show `"…hunter2…"`.
      await writeFile(
        join(d, 'secret.json'),
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"p": "hunter2", "x": nope}}',
      );
      const again = await extract([d], opts, { cwd: '/' });
      const secret = again.problems.find((p) => p.file === 'secret.json')!;
      expect(secret.message).toBe("JSON does not parse: Unexpected token 'o'");
      expect(JSON.stringify(again.problems)).not.toContain('hunter2');
    },
  );

  it(
    'links to files inside the tree are read once (a ConfigMap volume), ' +
      'links out of it are refused, the kubelet copies are skipped',
    async () => {
      const d = join(dir, 'linked');
      await mkdir(join(d, '..2026_12_03_x'), { recursive: true });
      await writeFile(join(d, '..2026_12_03_x', 'main.tf'), 'resource "aws_db_instance" "a" {\n  port = 5432\n}\n');
      await symlink('..2026_12_03_x', join(d, '..data'));
      await symlink(join('..data', 'main.tf'), join(d, 'main.tf'));
      // An item with a sub-path: a directory link through ..data.
      await mkdir(join(d, '..2026_12_03_x', 'k8s'));
      await writeFile(
        join(d, '..2026_12_03_x', 'k8s', 'svc.yaml'),
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n    - port: 8080\n',
      );
      await symlink(join('..data', 'k8s'), join(d, 'k8s'));
      await writeFile(join(dir, 'outside.tf'), 'resource "aws_db_instance" "b" {\n  port = 6432\n}\n');
      await symlink(join(dir, 'outside.tf'), join(d, 'escape.tf'));
      await symlink(join(d, 'nowhere.tf'), join(d, 'dangling.tf'));
      const m = await extract([d], opts, { cwd: '/' });
      expect(m.endpoints.map((e) => [e.resource, e.port, e.source.file])).toEqual([
        ['aws_db_instance.a', 5432, 'main.tf'],
        ['k8s:Service/default/api', 8080, 'k8s/svc.yaml'],
      ]);
      expect(m.problems).toEqual([
        { file: 'dangling.tf', code: 'PD_IAC_PATH', message: 'a link that leads nowhere; not read' },
        {
          file: 'escape.tf',
          code: 'PD_IAC_PATH',
          message: `a link to ${join(dir, 'outside.tf')}, outside the directory given; not read`,
        },
      ]);
    },
  );

  it('a Terraform override file is not a duplicate: it is named as not merged, the original is extracted', async () => {
    const d = await project('tf-override', {
      'main.tf': 'resource "aws_db_instance" "a" {\n  port = 5432\n}\n',
      'override.tf': 'resource "aws_db_instance" "a" {\n  port = 6432\n}\n',
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.endpoints.map((e) => [e.port, e.source.file])).toEqual([[5432, 'main.tf']]);
    expect(m.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'override.tf:1: resource aws_db_instance.a is overridden here; override files are not ' +
        'merged, so its ports are read from main.tf:1 and may differ from what Terraform deploys',
    ]);

    // Variables and module calls: an override's variable default wins (as in Terraform), a module
    // call in an override file is named as not merged, not expanded twice.
    const d2 = join(dir, 'tf-override-2');
    await mkdir(join(d2, 'db'), { recursive: true });
    await writeFile(
      join(d2, 'db', 'main.tf'),
      'variable "port" {}\nresource "aws_db_instance" "x" {\n  port = var.port\n}\n',
    );
    await writeFile(
      join(d2, 'main.tf'),
      'variable "p" {\n  default = 5432\n}\nmodule "db" {\n  source = "./db"\n  port   = var.p\n}\n',
    );
    await writeFile(
      join(d2, 'a_override.tf'),
      'variable "p" {\n  default = 6432\n}\nmodule "db" {\n  port = 7000\n}\n',
    );
    const m2 = await extract([d2], opts, { cwd: '/' });
    expect(m2.endpoints.map((e) => [e.resource, e.port])).toEqual([['module.db.aws_db_instance.x', 6432]]);
    expect(m2.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'a_override.tf:4: module.db is overridden here; override files are not merged, ' +
        'so its inputs are read from main.tf:4 and may differ from what Terraform deploys',
    ]);
  });

  it('terraform: port = null (or a variable that is null) is the engine default, as in Terraform', async () => {
    const d = await project('tf-null', {
      'main.tf':
        'variable "p" {\n  default = null\n}\nresource "aws_db_instance" "a" {\n  engine = "postgres"\n ' +
        ' port   = null\n}\nresource "aws_db_instance" "b" {\n  engine = "mysql"\n  port   = var.p\n}\n',
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.problems).toEqual([]);
    expect(m.endpoints.map((e) => [e.resource, e.port])).toEqual([
      ['aws_db_instance.a', 5432],
      ['aws_db_instance.b', 3306],
    ]);
  });

  it('a .tf.json that is not JSON: the problem never quotes the file', async () => {
    const d = await project('tfjson-secret', {
      'main.tf.json': '{"resource": {"aws_db_instance": {"a": {"password": "hunter2", "port": nope}}}}',
    });
    const err = (await extract([d], opts, { cwd: '/' }).catch((e: unknown) => e)) as PortdriftError;
    expect(err.message).toContain("main.tf.json:1: not valid JSON: Unexpected token 'o'");
    expect(err.message).not.toContain('hunter2');
  });

  it('a device named as IaC is refused, not read without end', async () => {
    const err = (await extract(['/dev/zero'], opts, { cwd: '/' }).catch((e: unknown) => e)) as PortdriftError;
    expect(err.code).toBe('PD_IAC_NOTHING_READ');
    expect(err.message).toContain('zero: not a regular file (a device); not read');
  });

  it(
    'a --state or --var-file that cannot be used is an ' + 'error naming the flag and the file, not a problem',
    async () => {
      const d = await project('tf-options', {
        'main.tf': 'variable "p" {\n  default = 5432\n}\nresource "aws_db_instance" "a" {\n  port = var.p\n}\n',
        'bad.tfstate': '{"version": 3',
        'bad.tfvars': 'p = \n',
      });
      const fail = (o: Partial<typeof opts>): Promise<PortdriftError> =>
        // Run from the project directory, as a user would: option files are named as typed.
        extract([d], { ...opts, ...o }, { cwd: d }).then(
          () => {
            throw new Error('extracted without an error');
          },
          (e: unknown) => e as PortdriftError,
        );
      const missing = await fail({ stateFiles: [join(d, 'nope.tfstate')] });
      expect([missing.code, missing.message]).toEqual([
        'PD_IAC_PATH',
        '--state: nope.tfstate: cannot read Terraform state: ENOENT',
      ]);
      // From elsewhere, the path as typed from there (not relative to the IaC root).
      const fromParent = await extract([d], { ...opts, stateFiles: [join(d, 'nope.tfstate')] }, { cwd: dir }).catch(
        (e: unknown) => e as PortdriftError,
      );
      expect((fromParent as PortdriftError).message).toBe(
        '--state: tf-options/nope.tfstate: cannot read Terraform state: ENOENT',
      );
      const invalid = await fail({ stateFiles: [join(d, 'bad.tfstate')] });
      expect(invalid.code).toBe('PD_STATE_INVALID');
      expect(invalid.message).toMatch(/^--state: bad\.tfstate:1: Terraform state is not valid JSON/);
      const noVars = await fail({ varFiles: [join(d, 'prod.tfvars')] });
      expect([noVars.code, noVars.message]).toEqual([
        'PD_IAC_PATH',
        expect.stringMatching(/^--var-file prod\.tfvars: .*ENOENT/),
      ]);
      const badVars = await fail({ varFiles: [join(d, 'bad.tfvars')] });
      expect(badVars.code).toBe('PD_IAC_PARSE');
      expect(badVars.message).toMatch(/^--var-file bad\.tfvars does not parse:\n {2}bad\.tfvars:1: /);
    },
  );
});
