// Enroll secrets, enrolled keys, revocation and rotation on a real SQLite file.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWithin, parseIdentity } from '../../../../collector/enroll/identity.js';
import { MIGRATIONS } from '../../../../collector/store/migrations.js';
import { SqliteStore } from '../../../../collector/store/sqlite.js';
import { PortdriftError } from '../../../../shared/errors.js';

const T0 = '2026-12-01T10:00:00.000Z';
const T1 = '2026-12-01T10:05:00.000Z';
const T2 = '2026-12-01T11:00:00.000Z';
const LATER = '2026-12-02T10:00:00.000Z';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PortdriftError);
    return (err as PortdriftError).code;
  }
  return 'resolved';
}

describe('enrollment in the store', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pd-enroll-store-'));
    store = new SqliteStore(join(dir, 'pd.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const secret = async (over: { expiresAt?: string; maxUses?: number } = {}) =>
    (await store.createToken({ name: 'fleet', role: 'enroll', now: T0, scope: ['10.0.0.0/8'], ...over })).token;
  const enroll = (s: string, name: string, now = T0) =>
    store.enroll({ secret: s, name, scope: ['10.1.0.0/16'], identity: { host: 'h' }, now });

  it('counts uses, refuses past --max-uses and --expires, and a taken name, storing nothing', async () => {
    const s = await secret({ maxUses: 2, expiresAt: T2 });
    const a = await enroll(s, 'a');
    expect(a.record).toMatchObject({ name: 'a', role: 'agent', scope: ['10.1.0.0/16'] });
    expect((await store.authenticate(a.key, T0))?.name).toBe('a');
    expect(await code(enroll(s, 'a'))).toBe('PD_AGENT_NAME_TAKEN');
    await enroll(s, 'b');
    expect(await code(enroll(s, 'c'))).toBe('PD_ENROLL_SECRET_EXHAUSTED');
    const s2 = await secret({ expiresAt: T2 });
    expect(await code(enroll(s2, 'c', T2))).toBe('PD_ENROLL_SECRET_EXPIRED');
    const tokens = await store.listTokens();
    expect(tokens.filter((t) => t.role === 'agent').map((t) => t.name).sort()).toEqual(['a', 'b']);
    expect(tokens.find((t) => t.role === 'enroll' && t.maxUses === 2)?.uses).toBe(2);
  });

  it('rotation: the old key gets a new one each time until the new one is used, then dies', async () => {
    const { key: old } = await enroll(await secret(), 'a');
    await store.rotateAgent('a', T0, T2);
    const first = (await store.authenticate(old, T0))!.newKey!;
    // The answer carrying `first` was lost: the old key asks again and gets another key.
    const second = (await store.authenticate(old, T0))!.newKey!;
    expect(second).toMatch(/^pdt_/);
    expect(second).not.toBe(first);
    expect(await store.authenticate(first, T0)).toBeNull();
    const used = await store.authenticate(second, T1);
    expect(used).toMatchObject({ name: 'a', role: 'agent', scope: ['10.1.0.0/16'] });
    expect(used!.newKey).toBeUndefined();
    expect(await store.authenticate(old, T1)).toBeNull();
    expect(await store.authenticate(second, T2)).not.toBeNull();
  });

  it('rotation: an old key not used before the grace ends is dead; the name is free again', async () => {
    const s = await secret();
    const { key } = await enroll(s, 'a');
    await store.rotateAgent('a', T0, T1);
    expect(await store.authenticate(key, T2)).toBeNull();
    expect((await enroll(s, 'a', LATER)).record.name).toBe('a');
  });

  it('revokeAgent revokes every live key of the name; rotate refuses a token made with token create', async () => {
    const { key } = await enroll(await secret(), 'a');
    expect((await store.revokeAgent('a', T1)).map((t) => t.revokedAt)).toEqual([T1]);
    expect(await store.authenticate(key, T1)).toBeNull();
    expect(await code(store.revokeAgent('a', T1))).toBe('PD_TOKEN');
    await store.createToken({ name: 'static', role: 'agent', now: T0, scope: ['10.0.0.0/8'] });
    expect(await code(store.rotateAgent('static', T0, T2))).toBe('PD_TOKEN');
  });

  it('an enroll secret authenticates as role enroll (routes refuse it); an agent key enrolls nothing', async () => {
    const s = await secret();
    expect((await store.authenticate(s, T0))?.role).toBe('enroll');
    const { key } = await enroll(s, 'a');
    expect(await code(store.enrollSecret(key, T0))).toBe('PD_ENROLL_SECRET_INVALID');
  });
});

describe('schema 4', () => {
  it('keeps the tokens of a version-3 store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-migrate4-'));
    const file = join(dir, 'pd.db');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const m of MIGRATIONS.slice(0, 3)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    }
    db.close();
    const old = new SqliteStore(file);
    await old.close();
    // Rewind: a v3 store with a token in it, as an older portdrift left it.
    const raw = new Database(file);
    // (and without what later versions added: version 5's agent columns)
    raw.exec('DELETE FROM schema_version WHERE version >= 4; DROP TABLE tokens;');
    raw.exec('ALTER TABLE agents DROP COLUMN pod; ALTER TABLE agents DROP COLUMN listeners_at;');
    raw.exec(`CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('agent', 'reader', 'admin')), hash TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT, scope TEXT)`);
    raw.prepare("INSERT INTO tokens VALUES ('tok_1', 'a', 'agent', 'ab', ?, NULL, NULL, '[\"10.0.0.0/8\"]')").run(T0);
    raw.close();
    const store = new SqliteStore(file);
    try {
      expect(await store.listTokens()).toEqual([
        { id: 'tok_1', name: 'a', role: 'agent', createdAt: T0, revokedAt: null, lastUsedAt: null,
          scope: ['10.0.0.0/8'] },
      ]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('enrollment identity and scope', () => {
  it('accepts a scope inside the secret scope (IPv4 and IPv6) and names every CIDR outside', () => {
    const asked = ['10.1.2.0/24', '10.0.0.0/8', 'fd00:1::/64'];
    expect(() => checkWithin(asked, ['10.0.0.0/8', 'fd00::/8'], 's')).not.toThrow();
    expect(() => checkWithin(['10.1.2.3'], ['10.1.2.0/24'], 's')).not.toThrow();
    try {
      checkWithin(['0.0.0.0/0', '10.1.0.0/16', '::/0', '11.0.0.0/8'], ['10.0.0.0/8'], 's');
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as PortdriftError).code).toBe('PD_ENROLL_OUT_OF_SCOPE');
      expect((err as PortdriftError).details).toEqual({ outside: ['0.0.0.0/0', '::/0', '11.0.0.0/8'] });
    }
  });

  it('takes a well-formed identity with pod fields', () => {
    const pod = { ip: 'fd00::1', node: 'n1' };
    const body = { name: 'ops/agent-x', host: 'node-1', version: '0.1.0', scope: ['10.0.0.0/8'], pod };
    expect(parseIdentity(body)).toEqual(body);
  });

  it('takes pod labels as Kubernetes allows them, and names every bad label', () => {
    const labels = { 'app.kubernetes.io/name': 'cart', 'pod-template-hash': '7d9f5c', empty: '' };
    const body = { name: 'shop/cart-1', host: 'cart-1', version: '0.1.0', scope: ['127.0.0.0/8'], pod: { namespace: 'shop', labels } };
    expect(parseIdentity(body)).toEqual(body);
    const bad = { ...body, pod: { labels: { 'Bad Key': 'x', app: 'has space', n: 7, ok: 'yes' } } };
    try {
      parseIdentity(bad);
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as PortdriftError).code).toBe('PD_HTTP_BAD_REQUEST');
      expect((err as PortdriftError).details?.problems).toEqual([
        'pod.labels."Bad Key": not a Kubernetes label key',
        'pod.labels."app": not a Kubernetes label value',
        'pod.labels."n": not a Kubernetes label value',
      ]);
    }
  });
});
