// What real repositories hold besides clean IaC: repeated YAML keys, Helm charts, package
// manifests, CI workflows, tool configs, kustomizations, CloudFormation rules functions.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempProjects } from './projects.js';
import { PortdriftError } from '../../../../shared/errors.js';
import { extract } from '../../../../shared/iac/extract.js';
import { parseTargets } from '../../../../shared/iac/targets.js';
import { problemsSummary } from '../../../../shared/format/extraction.js';

const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
/** The warning of a key repeated at lines `first` and `last`. */
const repeated = (file: string, key: string, first: number, last: number) => ({
  file,
  line: last,
  code: 'PD_IAC_DUPLICATE_KEY',
  severity: 'warning',
  message:
    `key \`${key}\` is repeated in one map (lines ${first} and ${last}); ` +
    `the last value (line ${last}) is used, as YAML tools do`,
});
/** Lines of a file, each ended by a newline. */
const text = (...lines: string[]): string => `${lines.join('\n')}\n`;
const project = tempProjects('real-world');

describe('a repeated YAML key', () => {
  it('keeps the last value, as YAML tools do, with a warning naming both lines; the listeners survive', async () => {
    const d = await project('dup', {
      'svc.yaml': text(
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: api',
        '  name: api2',
        'spec:',
        '  ports:',
        '    - port: 80',
        '      port: 8080',
      ),
      'stack.yaml': text(
        'AWSTemplateFormatVersion: "2010-09-09"',
        'Resources:',
        '  Db:',
        '    Type: AWS::RDS::DBInstance',
        '    Properties:',
        '      Port: 5432',
        '      Engine: postgres',
        '      Port: 6432',
      ),
      'compose.yaml': 'services:\n  web:\n    expose: ["80"]\n  web:\n    expose: ["81"]\n',
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.endpoints.map((e) => `${e.resource} ${e.port} ${e.source.file}:${e.source.line}`)).toEqual([
      'cfn:Db 6432 stack.yaml:8',
      'compose:web 81 compose.yaml:5',
      'k8s:Service/default/api2 8080 svc.yaml:9',
    ]);
    expect(m.problems).toEqual([
      repeated('compose.yaml', 'web', 2, 4),
      repeated('stack.yaml', 'Port', 6, 8),
      repeated('svc.yaml', 'name', 4, 5),
      repeated('svc.yaml', 'port', 8, 9),
    ]);
    expect(problemsSummary(m.problems)).toContain('  svc.yaml:5: warning: key `name` is repeated');
  });

  it('an option file stays strict: a targets file with a repeated key is refused', () => {
    expect(() =>
      parseTargets('t.yaml', text('targets:', '  - resource: a', '    hosts: [h1]', '    hosts: [h2]')),
    ).toThrow(PortdriftError);
  });
});

describe('a real repository around the IaC', () => {
  const helmDeployment = text(
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ include "api.fullname" . }}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - ports:',
    '            - containerPort: {{ .Values.port }}',
    '{{- if .Values.extra }}',
    '{{ toYaml .Values.extra | indent 8 }}',
    '{{- end }}',
  );
  const files: Record<string, string> = {
    'package.json': '{"name": "shop", "scripts": {"build": "tsc"}}\n',
    'package-lock.json': '{"lockfileVersion": 3}\n',
    'tsconfig.json': '{"compilerOptions": {"strict": true}}\n',
    'tsconfig.build.json': '{"extends": "./tsconfig.json"}\n',
    '.github/workflows/ci.yml': text(
      'on: push',
      'jobs:',
      '  test:',
      '    services:',
      '      db:',
      '        image: postgres',
      '        ports: ["5432:5432"]',
    ),
    '.gitlab-ci.yml': 'services:\n  - postgres:16\ntest:\n  script: npm test\n',
    '.gitlab/ci/templates.yml': 'services:\n  - redis\n',
    'deploy/values-prod.yaml': 'replicaCount: 2\nservice:\n  port: 8080\n',
    'api/openapi.yaml': 'openapi: 3.0.0\ninfo:\n  title: shop\npaths: {}\n',
    'monitoring/prometheus.yml': text(
      'global:',
      '  scrape_interval: 15s',
      'scrape_configs:',
      '  - job_name: api',
      '    static_configs:',
      '      - targets: ["api:9090"]',
    ),
    'k8s/base/kustomization.yaml': text(
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      '  - app.yaml',
    ),
    // A kustomization under another name is still no manifest with a name to complain about.
    'k8s/overlays/prod/overlay.yaml': text(
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      '  - ../../base',
    ),
    'k8s/base/app.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n    - port: 8080\n',
    'charts/api/Chart.yaml': 'apiVersion: v2\nname: api\nversion: 0.1.0\n',
    'charts/api/values.yaml': 'port: 8080\n',
    'charts/api/templates/deployment.yaml': helmDeployment,
    'charts/api/templates/service.yaml': helmDeployment.replace('Deployment', 'Service'),
    'charts/api/charts/db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 0.1.0\n',
    'charts/api/charts/db/templates/sts.yaml': helmDeployment,
    'cfn/stack.yaml': [
      'AWSTemplateFormatVersion: "2010-09-09"',
      'Rules:',
      '  SubnetsInVpc:',
      '    Assertions:',
      '      - Assert: !EachMemberEquals [!ValueOfAll ["AWS::EC2::Subnet::Id", VpcId], !Ref VpcId]',
      '      - Assert: !Contains [[a, b], !ValueOf [Env, Tag]]',
      'Resources:',
      '  Db:',
      '    Type: AWS::RDS::DBInstance',
      '    Properties:',
      '      Engine: postgres',
      '      Port: !ValueOf [DbPort, Port]',
      '  Cache:',
      '    Type: AWS::ElastiCache::CacheCluster',
      '    Properties:',
      '      Port: {"Fn::ValueOf": [CachePort, Port]}',
      '',
    ].join('\n'),
  };

  it('skips manifests, CI workflows, tool configs, kustomizations silently; names a Helm chart once', async () => {
    const d = await project('repo', files);
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.problems).toEqual([
      {
        file: 'charts/api',
        code: 'PD_IAC_NOT_RENDERED',
        message:
          'a Helm chart (Chart.yaml): its templates are not rendered, so not extracted; ' +
          'render it with `helm template` and extract the output',
      },
    ]);
    expect(m.endpoints.map((e) => `${e.resource} ${e.port}`)).toEqual(['k8s:Service/default/api 8080']);
    // Fn::ValueOf (a rules function) is a real function whose value is not known statically.
    const cfn = m.unresolved.filter((u) => u.resource.startsWith('cfn:'));
    expect(cfn.map((u) => `${u.resource} ${u.attribute} ${u.expression}`)).toEqual([
      'cfn:Cache Port {"Fn::ValueOf": [CachePort, Port]}',
      'cfn:Db Port !ValueOf [DbPort, Port]',
    ]);
  });

  it('named by a shell glob, the non-IaC files are still skipped without a problem', async () => {
    const d = await project('repo-glob', files);
    const globbed = ['package.json', 'tsconfig.json', '.gitlab-ci.yml', 'k8s/base/kustomization.yaml'];
    globbed.push('k8s/base/app.yaml');
    const named = globbed.map((f) => join(d, f));
    const m = await extract(named, opts, { cwd: '/' });
    expect(m.problems).toEqual([]);
    expect(m.endpoints.map((e) => `${e.resource} ${e.port}`)).toEqual(['k8s:Service/default/api 8080']);
  });

  it('a chart given as the path is an error that says to render it', async () => {
    const d = await project('chart-only', {
      'Chart.yaml': text('apiVersion: v2', 'name: x', 'version: 1.0.0'),
      'templates/d.yaml': '{{ .Values.x }}\n',
    });
    const err = (await extract([d], opts, { cwd: '/' }).catch((e: unknown) => e)) as PortdriftError;
    expect(err.code).toBe('PD_IAC_NOTHING_READ');
    expect(err.message).toContain('render it with `helm template` and extract the output');
  });
});

describe('a template that is not YAML until rendered', () => {
  const template = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ include "api.fullname" . }}',
    '  labels:',
    '    {{- include "api.labels" . | nindent 4 }}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - ports:',
    '            - containerPort: {{ .Values.port }}',
    '{{- if .Values.extra }}',
    '{{ toYaml .Values.extra | indent 8 }}',
    '{{- end }}',
    '',
  ].join('\n');

  it('named outside a chart, it is one problem that says to render it, not one per broken line', async () => {
    const d = await project('template', {
      'deploy.yaml': template,
      'svc.yaml': text(
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: api',
        'spec:',
        '  ports:',
        '    - port: 80',
      ),
    });
    const m = await extract([join(d, 'deploy.yaml'), join(d, 'svc.yaml')], opts, { cwd: '/' });
    expect(m.problems).toEqual([
      {
        file: 'deploy.yaml',
        line: 4,
        code: 'PD_IAC_NOT_RENDERED',
        message:
          'a Go template (Helm or similar), not YAML until rendered; not extracted: ' +
          'render it (`helm template`) and extract the output',
      },
    ]);
    expect(m.endpoints.map((e) => e.resource)).toEqual(['k8s:Service/default/api']);
    // Alone, nothing could be extracted: an error (exit 1), as for a file that does not parse.
    const alone = extract([join(d, 'deploy.yaml')], opts, { cwd: '/' });
    const err = (await alone.catch((e: unknown) => e)) as PortdriftError;
    expect(err.code).toBe('PD_IAC_NOTHING_READ');
  });

  it('a CloudFormation dynamic reference is not a template: a real syntax error stays a parse problem', async () => {
    const d = await project('cfn-dynamic', {
      'stack.yaml': text(
        'AWSTemplateFormatVersion: "2010-09-09"',
        'Resources:',
        '  Db:',
        '    Type: AWS::RDS::DBInstance',
        '    Properties:',
        '      MasterUserPassword: "{{resolve:ssm:/db/pw}}"',
        '      Port: [5432',
      ),
    });
    const err = (await extract([d], opts, { cwd: '/' }).catch((e: unknown) => e)) as PortdriftError;
    expect(err.message).toMatch(/stack\.yaml:\d+: YAML does not parse/);
  });
});
