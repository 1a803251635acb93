// What real repositories hold besides clean IaC: repeated YAML keys, Helm charts, package
// manifests, CI workflows, tool configs, kustomizations, CloudFormation rules functions.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortdriftError } from '../../../../shared/errors.js';
import { extract } from '../../../../shared/iac/extract.js';
import { parseTargets } from '../../../../shared/iac/targets.js';
import { problemsSummary } from '../../../../shared/format/extraction.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portdrift-real-world-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
/** A fresh project directory with these files (relative name → text). */
const project = async (name: string, files: Record<string, string>): Promise<string> => {
  const d = join(dir, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(d, file)), { recursive: true });
    await writeFile(join(d, file), text);
  }
  return d;
};

describe('a repeated YAML key', () => {
  it('keeps the last value, as YAML tools do, with a warning naming both lines; the listeners survive', async () => {
    const d = await project('dup', {
      'svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  name: api2\nspec:\n  ports:\n    - port: 80\n      port: 8080\n',
      'stack.yaml': 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Port: 5432\n      Engine: postgres\n      Port: 6432\n',
      'compose.yaml': 'services:\n  web:\n    expose: ["80"]\n  web:\n    expose: ["81"]\n',
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(m.endpoints.map((e) => `${e.resource} ${e.port} ${e.source.file}:${e.source.line}`)).toEqual([
      'cfn:Db 6432 stack.yaml:8',
      'compose:web 81 compose.yaml:5',
      'k8s:Service/default/api2 8080 svc.yaml:9',
    ]);
    expect(m.problems).toEqual([
      { file: 'compose.yaml', line: 4, code: 'PD_IAC_DUPLICATE_KEY', severity: 'warning', message: 'key `web` is repeated in one map (lines 2 and 4); the last value (line 4) is used, as YAML tools do' },
      { file: 'stack.yaml', line: 8, code: 'PD_IAC_DUPLICATE_KEY', severity: 'warning', message: 'key `Port` is repeated in one map (lines 6 and 8); the last value (line 8) is used, as YAML tools do' },
      { file: 'svc.yaml', line: 5, code: 'PD_IAC_DUPLICATE_KEY', severity: 'warning', message: 'key `name` is repeated in one map (lines 4 and 5); the last value (line 5) is used, as YAML tools do' },
      { file: 'svc.yaml', line: 9, code: 'PD_IAC_DUPLICATE_KEY', severity: 'warning', message: 'key `port` is repeated in one map (lines 8 and 9); the last value (line 9) is used, as YAML tools do' },
    ]);
    expect(problemsSummary(m.problems)).toContain('  svc.yaml:5: warning: key `name` is repeated');
  });

  it('an option file stays strict: a targets file with a repeated key is refused', () => {
    expect(() => parseTargets('t.yaml', 'targets:\n  - resource: a\n    hosts: [h1]\n    hosts: [h2]\n')).toThrow(PortdriftError);
  });
});
