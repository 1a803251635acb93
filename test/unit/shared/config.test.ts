import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, loadConfigFile } from '../../../shared/config.js';
import { PortdriftError } from '../../../shared/errors.js';

const schema = {
  listen: { type: 'string', default: '127.0.0.1:7600', pattern: /^.+:\d+$/, patternHint: 'HOST:PORT' },
  interval: { type: 'duration', default: '5m' },
  concurrency: { type: 'int', min: 1, max: 100000, default: 2000 },
  scope: { type: 'strings' },
  mode: { type: 'enum', values: ['a', 'b'] as const, default: 'a' },
  smtp: { type: 'object', fields: { url: { type: 'string' } } },
} as const;

describe('config', () => {
  it('applies defaults, lets flags win and freezes the result', () => {
    const c = buildConfig(
      schema,
      { concurrency: 10, scope: ['10.0.0.0/8'] },
      { concurrency: '20', interval: undefined },
    );
    expect(c).toEqual({
      listen: '127.0.0.1:7600',
      interval: 300_000,
      concurrency: 20,
      scope: ['10.0.0.0/8'],
      mode: 'a',
      smtp: {},
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.scope)).toBe(true);
  });

  it('reports every problem at once as path: message', () => {
    try {
      buildConfig(schema, { listen: 'nope', interval: '30', concurrency: 0, mode: 'c', extra: 1, smtp: { url: 5 } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PortdriftError);
      const e = err as PortdriftError;
      expect(e.code).toBe('PD_CONFIG_INVALID');
      expect(e.details?.problems).toEqual([
        'extra: unknown key',
        'listen: must be HOST:PORT, got "nope"',
        'interval: must be a duration such as 500ms, 30s, 5m or 1h, got "30"',
        'concurrency: must be at least 1, got 0',
        'mode: must be one of a, b, got "c"',
        'smtp.url: must be a non-empty string',
      ]);
      // The refused keys as a field of the error, for checks across keys (no parsing of the text).
      expect(e.details?.keys).toEqual(['extra', 'listen', 'interval', 'concurrency', 'mode', 'smtp']);
    }
  });

  it('names the file and line of a YAML syntax error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'listen: 127.0.0.1:1\nscope: [a, b\n');
    expect(() => loadConfigFile(file)).toThrow(new RegExp(`${file}:\\d+:`));
    writeFileSync(file, '- 1\n');
    expect(() => loadConfigFile(file)).toThrow(/must be a mapping/);
  });

  it('names the list item and the nested key of a problem (validated with zod)', () => {
    const hook = { url: { type: 'string', required: true }, on: { type: 'bool' } } as const;
    const nested = { ...schema, hooks: { type: 'list', of: hook } } as const;
    try {
      buildConfig(nested, { scope: ['10.0.0.0/8', ''], hooks: [{ url: 'http://a', on: 'yes' }, { extra: 1 }, 7] });
      expect.unreachable();
    } catch (err) {
      expect((err as PortdriftError).details?.problems).toEqual([
        'scope[1]: must be a non-empty string',
        'hooks[1].extra: unknown key',
        'hooks[0].on: must be true or false, got "yes"',
        'hooks[1].url: is required',
        'hooks[2]: must be a mapping',
      ]);
    }
    const ok = buildConfig(nested, { hooks: [{ url: 'http://a' }] });
    expect(ok.hooks).toEqual([{ url: 'http://a', on: false }]);
  });
});
