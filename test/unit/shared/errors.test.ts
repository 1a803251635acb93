import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, PortdriftError } from '../../../shared/errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(PD_[A-Z0-9_]+)` \| (\d{3}) \|/gm)].map(
    (m) => [m[1], Number(m[2])] as const,
  );

  it('docs/errors.md lists every code with its HTTP status, and nothing else', () => {
    const fromCode = Object.entries(catalogue)
      .map(([code, e]) => [code, e.http] as const)
      .sort();
    expect([...documented].sort()).toEqual(fromCode);
  });

  it('errors carry their code and serialise to the API shape', () => {
    const e = new PortdriftError('PD_PORT_SPEC', 'bad', { details: { spec: 'x' } });
    expect(e.httpStatus).toBe(400);
    expect(e.toJSON()).toEqual({ error: { code: 'PD_PORT_SPEC', message: 'bad', details: { spec: 'x' } } });
  });
});
