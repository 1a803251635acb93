// Schema 4 on SQLite (tokens of an older file kept) and the enrollment identity and scope checks.
// What the store does with enroll secrets, keys, revocation and rotation is in contract.ts.
import { Database } from '../../../../collector/store/sqlite-driver.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWithin, parseIdentity } from '../../../../collector/enroll/identity.js';
import { MIGRATIONS } from '../../../../collector/store/migrations.js';
import { SqliteStore } from '../../../../collector/store/sqlite.js';
import type { PortdriftError } from '../../../../shared/errors.js';

const T0 = '2026-12-01T10:00:00.000Z';

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
        {
          id: 'tok_1',
          name: 'a',
          role: 'agent',
          createdAt: T0,
          revokedAt: null,
          lastUsedAt: null,
          scope: ['10.0.0.0/8'],
        },
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
    const body = {
      name: 'shop/cart-1',
      host: 'cart-1',
      version: '0.1.0',
      scope: ['127.0.0.0/8'],
      pod: { namespace: 'shop', labels },
    };
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
