// The schema library's home: problems as `path: message`, unknown keys each named, a prefix for
// a key validated alone or a line of a batch.
import { describe, expect, it } from 'vitest';
import { check, formatPath, z } from '../../../shared/validate/index.js';

describe('shared/validate', () => {
  it('writes paths as people write them', () => {
    expect(formatPath(['webhooks', 0, 'url'])).toBe('webhooks[0].url');
    expect(formatPath([2, 'a'])).toBe('[2].a');
    expect(formatPath([])).toBe('');
  });

  it("reports every problem at once, unknown keys first, with the schema's own messages", () => {
    const schema = z.strictObject({
      reason: z.string({ error: 'is required: say why' }),
      port: z.int({ error: 'must be a port 1-65535' }).optional(),
    });
    const r = check(schema, { port: 'x', colour: 'red' }, { unknown: 'unknown field' });
    const all = ['colour: unknown field', 'reason: is required: say why', 'port: must be a port 1-65535'];
    expect(r.ok || r.problems).toEqual(all);
    expect(r.ok || r.issues[0]).toEqual({ path: 'colour', message: 'unknown field' });
    const list = check(z.array(z.string({ error: 'must be text' })), ['a', 1], { prefix: 'line 3' });
    expect(list.ok || list.problems).toEqual(['line 3[1]: must be text']);
    expect(check(schema, { reason: 'r' })).toEqual({ ok: true, value: { reason: 'r' } });
  });
});
