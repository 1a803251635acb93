// The enrolled agent's key file: kept private, never read through a link or from a file others
// can read or write; a missing file means "not enrolled yet".
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY_FILE, enrollWithRetry, podIdentity, readKey, writeKey } from '../../../../agent/daemon/enroll.js';
import { PortdriftError } from '../../../../shared/errors.js';
import { silentLogger } from '../../../../shared/log.js';

const KEY = `pdt_${'a'.repeat(43)}`;

describe('agent key file', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pd-key-'));
    dir = join(root, 'state');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is absent before enrollment, then written 0600 and read back', () => {
    expect(readKey(dir)).toBeNull();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    writeKey(dir, KEY);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readKey(dir)).toBe(KEY);
    const next = `pdt_${'b'.repeat(43)}`;
    writeKey(dir, next);
    expect(readKey(dir)).toBe(next);
  });

  it('refuses a key file others may read, a symbolic link, a directory others may write, and garbage', () => {
    writeKey(dir, KEY);
    chmodSync(join(dir, KEY_FILE), 0o644);
    expect(() => readKey(dir)).toThrow(/agent key .* mode 644: it must be the agent user's alone/);
    rmSync(join(dir, KEY_FILE));
    writeFileSync(join(root, 'elsewhere'), KEY, { mode: 0o600 });
    symlinkSync(join(root, 'elsewhere'), join(dir, KEY_FILE));
    expect(() => readKey(dir)).toThrow(/cannot read it/);
    rmSync(join(dir, KEY_FILE));
    writeFileSync(join(dir, KEY_FILE), 'not a key\n', { mode: 0o600 });
    expect(() => readKey(dir)).toThrow(/holds no agent key; delete it to enroll again/);
    const open = join(root, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    expect(() => readKey(open)).toThrow(/state directory .* is writable by every user/);
  });

  it('sends only the pod fields the downward API set', () => {
    expect(podIdentity({})).toBeUndefined();
    expect(podIdentity({ POD_NAME: 'a-1', POD_NAMESPACE: 'ops', POD_IP: '', NODE_NAME: 'n1' })).toEqual({
      name: 'a-1',
      namespace: 'ops',
      node: 'n1',
    });
  });
});

describe('enrollWithRetry', () => {
  it('retries while the collector is unreachable, waiting through the injected sleep', async () => {
    const waits: number[] = [];
    const wait = async (ms: number) => (waits.push(ms), true);
    const down = () => new PortdriftError('PD_COLLECTOR_UNREACHABLE', 'down');
    let n = 0;
    const key = await enrollWithRetry(
      async () => {
        if (++n < 4) throw down();
        return KEY;
      },
      silentLogger(),
      new AbortController().signal,
      () => 1,
      wait,
    );
    expect(key).toBe(KEY);
    expect(waits).toEqual([1000, 2000, 4000]);
    const refused = new PortdriftError('PD_COLLECTOR_RESPONSE', 'bad secret', { details: { status: 401 } });
    const stop = new AbortController().signal;
    const refusing = enrollWithRetry(
      async () => Promise.reject(refused),
      silentLogger(),
      stop,
      () => 1,
      wait,
    );
    await expect(refusing).rejects.toBe(refused);
    expect(waits).toHaveLength(3);
  });
});
