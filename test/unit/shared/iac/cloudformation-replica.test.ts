// A CloudFormation read replica names its source and no Engine: its port is the source's,
// which the template does not say. It is listed as unresolved, never left out in silence.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { extract } from '../../../../shared/iac/extract.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portdrift-cfn-replica-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('an RDS read replica without Engine is unresolved (port inherited); its source keeps its default port', async () => {
  await writeFile(
    join(dir, 'db.yaml'),
    [
      'AWSTemplateFormatVersion: "2010-09-09"',
      'Resources:',
      '  Primary:',
      '    Type: AWS::RDS::DBInstance',
      '    Properties:',
      '      Engine: postgres',
      '  Replica:',
      '    Type: AWS::RDS::DBInstance',
      '    Properties:',
      '      SourceDBInstanceIdentifier: !Ref Primary',
      '',
    ].join('\n'),
  );
  const m = await extract([dir], { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' }, { cwd: dir });
  expect(m.endpoints.map((e) => [e.resource, e.port, e.source.line])).toEqual([['cfn:Primary', 5432, 3]]);
  expect(m.unresolved).toEqual([
    {
      resource: 'cfn:Replica',
      attribute: 'Port (inherited through SourceDBInstanceIdentifier)',
      expression: '!Ref Primary',
      source: { file: 'db.yaml', line: 10 },
    },
  ]);
});
