// Every fixture case against its expected declared model, compared whole (origins included:
// they are what `portdrift fix` edits).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extract } from '../../../../shared/iac/extract.js';
import { cases, fixtures, optionsFor } from './cases.js';

describe('extraction fixtures', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.paths.join(' ')}`, async () => {
      const { root: _root, filesRead: _n, ...model } = await extract(c.paths, optionsFor(c), { cwd: fixtures });
      const file = join(fixtures, 'expected', `${c.name}.json`);
      // Only a developer regenerates, on purpose; CI never does.
      if (process.env.UPDATE_EXPECTED === '1' && !process.env.CI)
        writeFileSync(file, `${JSON.stringify(model, null, 2)}\n`);
      expect(JSON.parse(JSON.stringify(model))).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
