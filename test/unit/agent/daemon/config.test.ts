import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAgentConfig, type ResolveInput } from '../../../../agent/daemon/config.js';
import { PortdriftError } from '../../../../shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-agentcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A CIDR check with the shape of shared/scope.ts's: enough to see that every entry is asked.
const checkCidr = (c: string) => (/^[\d.]+\/\d+$|^[\da-f:]+\/\d+$/i.test(c) ? null : `"${c}" is not a CIDR`);
const base = (over: Partial<ResolveInput> = {}): ResolveInput => ({
  file: {},
  flags: {},
  env: {},
  hostname: 'host-1.example',
  checkCidr,
  ...over,
});

function problems(input: ResolveInput): string[] {
  try {
    resolveAgentConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(PortdriftError);
    expect((err as PortdriftError).code).toBe('PD_CONFIG_INVALID');
    return (err as PortdriftError).details!.problems as string[];
  }
  throw new Error('expected PD_CONFIG_INVALID');
}

describe('agent config', () => {
  it('lays flags over the file, applies defaults, names the agent after the host', () => {
    const s = resolveAgentConfig(
      base({
        file: { collector: 'http://10.0.9.7:7600', scope: ['10.0.1.0/24'], interval: '30s', spoolMax: 10 },
        flags: { interval: '1s', listeners: true },
        env: { PORTDRIFT_TOKEN: 'env-token' },
      }),
    );
    expect(s).toMatchObject({
      collector: 'http://10.0.9.7:7600',
      scope: ['10.0.1.0/24'],
      interval: 1000,
      spoolMax: 10,
      listeners: true,
      token: 'env-token',
      name: 'host-1.example',
      stopGrace: 2000,
      flushTimeout: 5000,
      logLevel: 'info',
    });
    expect(Object.isFrozen(s)).toBe(true);
    expect('tokenFile' in s).toBe(false);
  });

  it('reads the token from a file (systemd credential, k8s secret), trimmed', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'file-token\n');
    expect(
      resolveAgentConfig(
        base({
          flags: { collector: 'https://c:7600', scope: '10.0.0.0/8', tokenFile: f },
          env: { PORTDRIFT_TOKEN: 'ignored' },
        }),
      ).token,
    ).toBe('file-token');
  });

  it('lists every problem at once: schema, scope, token', () => {
    expect(
      problems(
        base({
          file: {
            collector: 'ftp://x',
            interval: 'soon',
            scope: ['10.0.0.0/8', 'nonsense'],
            token: 'a',
            tokenFile: '/x',
            bogus: 1,
          },
        }),
      ),
    ).toEqual([
      'bogus: unknown key',
      'collector: must be an http:// or https:// URL, got "ftp://x"',
      'interval: must be a duration such as 500ms, 30s, 5m or 1h, got "soon"',
      'scope[1]: "nonsense" is not a CIDR',
      'token: give either token or tokenFile, not both',
    ]);
  });

  it('a token the schema refused is not also reported missing', () => {
    const flags = { collector: 'http://c:1', scope: ['10.0.0.0/8'], token: '' };
    expect(problems(base({ flags }))).toEqual(['token: must be a non-empty string']);
  });

  it('takes exclude, excludePorts, rate and fingerprint from the file; flags win', () => {
    const file = {
      collector: 'http://c:7600',
      scope: ['10.0.0.0/8'],
      exclude: ['10.0.0.5', 'db.internal'],
      excludePorts: '22,8000-8100',
      rate: 500,
      fingerprint: 'all',
    };
    const s = resolveAgentConfig(base({ file, env: { PORTDRIFT_TOKEN: 't' } }));
    expect(s).toMatchObject({
      exclude: ['10.0.0.5', 'db.internal'],
      excludePorts: '22,8000-8100',
      rate: 500,
      fingerprint: 'all',
    });
    const f = resolveAgentConfig(
      base({ file, flags: { rate: '20', fingerprint: 'off' }, env: { PORTDRIFT_TOKEN: 't' } }),
    );
    expect(f).toMatchObject({ rate: 20, fingerprint: 'off' });
    const d = resolveAgentConfig(
      base({ file: { collector: 'http://c:7600', scope: ['10.0.0.0/8'] }, env: { PORTDRIFT_TOKEN: 't' } }),
    );
    expect(d).toMatchObject({ exclude: [], fingerprint: 'expected' });
    expect(d.rate).toBeUndefined();
  });

  it('names every bad exclude, excludePorts, rate and fingerprint at once', () => {
    const file = {
      collector: 'http://c:7600',
      scope: ['10.0.0.0/8'],
      exclude: ['10.0.0.1/8', 'bad host!'],
      excludePorts: '70000',
      rate: 0,
      fingerprint: 'some',
    };
    const p = problems(base({ file, env: { PORTDRIFT_TOKEN: 't' } }));
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rate: /),
        expect.stringMatching(/^fingerprint: must be one of expected, all, off/),
        expect.stringMatching(/^exclude: .*10\.0\.0\.1\/8.*bad host!/),
        expect.stringMatching(/^excludePorts: .*70000/),
      ]),
    );
  });

  it('requires a scope and a token', () => {
    expect(problems(base({ flags: { collector: 'http://c:1' } }))).toEqual([
      'scope: at least one CIDR is required: the agent probes only inside its scope',
      'token: required (--token, --token-file or PORTDRIFT_TOKEN), or ' +
        'an enroll secret (--enroll-secret-file or PORTDRIFT_ENROLL_SECRET)',
    ]);
  });

  it(
    'enrolls with a secret from a file or PORTDRIFT_ENROLL_SECRET, ' + 'keeping the key in --state-dir or the spool',
    () => {
      const f = join(dir, 'enroll');
      writeFileSync(f, 'pdt_secret\n');
      const flags = { collector: 'http://c:1', scope: ['10.0.0.0/8'], spool: '/var/lib/pd' };
      expect(resolveAgentConfig(base({ flags: { ...flags, enrollSecretFile: f } }))).toMatchObject({
        token: null,
        enrollSecret: 'pdt_secret',
        stateDir: '/var/lib/pd',
      });
      const env = { PORTDRIFT_ENROLL_SECRET: 'pdt_env', POD_NAMESPACE: 'net', POD_NAME: 'agent-x7' };
      expect(resolveAgentConfig(base({ flags: { ...flags, stateDir: '/s' }, env }))).toMatchObject({
        enrollSecret: 'pdt_env',
        stateDir: '/s',
        name: 'net/agent-x7',
      });
      expect(
        problems(base({ flags: { collector: 'http://c:1', scope: ['10.0.0.0/8'], enrollSecretFile: f } })),
      ).toEqual(['stateDir: an enrolling agent needs --state-dir (or --spool) to keep its key between starts']);
      expect(problems(base({ flags: { ...flags, enrollSecretFile: f }, env: { PORTDRIFT_TOKEN: 't' } }))[0]).toMatch(
        /^token: give either a token .* or an enroll secret/,
      );
    },
  );

  it('reports an unreadable or empty token file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(
      problems(base({ flags: { collector: 'http://c:1', scope: ['10.0.0.0/8'], tokenFile: join(dir, 'missing') } })),
    ).toEqual([`tokenFile: cannot read ${join(dir, 'missing')}: ENOENT`]);
    expect(problems(base({ flags: { collector: 'http://c:1', scope: ['10.0.0.0/8'], tokenFile: empty } }))).toEqual([
      `tokenFile: ${empty} is empty`,
    ]);
  });

  it('makes a valid agent name of an odd host name', () => {
    expect(
      resolveAgentConfig(
        base({ flags: { collector: 'http://c:1', scope: ['10.0.0.0/8'], token: 't' }, hostname: '-weird host!' }),
      ).name,
    ).toBe('weird-host-');
  });
});
