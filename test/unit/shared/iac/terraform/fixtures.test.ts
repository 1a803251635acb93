// The Terraform fixture project (test/fixtures/terraform) against its expected outputs, compared
// WHOLE: the extractor on its own (origins included: they are what `portdrift fix` edits), and
// the full pipeline with each state variant, whose expected file equals what
// `portdrift extract shop --state … --format json` prints. Regenerate with UPDATE_EXPECTED=1,
// then review the diff.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extract } from '../../../../../shared/iac/extract.js';
import type { SourceFile } from '../../../../../shared/iac/model.js';
import { readStateFile } from '../../../../../shared/iac/state.js';
import { terraformExtractor } from '../../../../../shared/iac/terraform/index.js';
import { formatExtractionJson } from '../../../../../shared/format/extraction.js';

const base = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'terraform');
const options = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };

async function filesUnder(root: string, dir = root): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const d of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await filesUnder(root, path)));
    else if (terraformExtractor.claims(path, ''))
      out.push({ path, file: relative(root, path), text: await readFile(path, 'utf8') });
  }
  return out;
}

async function compare(name: string, actual: unknown): Promise<void> {
  const file = join(base, 'expected', `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_EXPECTED === '1' && !process.env.CI) await writeFile(file, text);
  expect(JSON.parse(text)).toEqual(JSON.parse(await readFile(file, 'utf8')));
}

describe('terraform extractor on the fixture project', () => {
  it(
    'shop: variables, tfvars, locals, nested modules, ' + 'count, for_each, jsonencode, heredoc, dynamic, rules',
    async () => {
      const root = join(base, 'shop');
      await compare('shop.extractor', await terraformExtractor.extract(await filesUnder(root), { root, options }));
    },
  );

  it('shop with --var-file: applied after terraform.tfvars and *.auto.tfvars', async () => {
    const root = join(base, 'shop');
    const m = await terraformExtractor.extract(await filesUnder(root), {
      root,
      options: { ...options, varFiles: [join(base, 'vars', 'override.tfvars')] },
    });
    const db = m.endpoints.filter((e) => e.resource.endsWith('aws_db_instance.main'));
    expect(db.map((e) => [e.port, e.origin?.file, e.origin?.line, e.origin?.kind])).toEqual([
      [6543, '../vars/override.tfvars', 2, 'tfvars'],
      [6543, '../vars/override.tfvars', 2, 'tfvars'],
    ]);
  });

  it('broken: the file that does not parse is a problem with its line, the other file is extracted', async () => {
    const root = join(base, 'broken');
    await compare('broken.extractor', await terraformExtractor.extract(await filesUnder(root), { root, options }));
  });
});

describe('terraform through the pipeline, with state', () => {
  for (const [name, state] of [
    ['shop.v4', 'state/terraform.tfstate'],
    ['shop.show-json', 'state/show.json'],
  ] as const) {
    it(`${name}: hosts joined from ${state}`, async () => {
      const model = await extract(
        ['shop'],
        { ...options, stateFiles: [state] },
        { cwd: base, readState: readStateFile },
      );
      const printed = formatExtractionJson(model);
      await compare(name, JSON.parse(printed));
      expect(printed).not.toContain('do-not-print-me');
    });
  }
});
