import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Database, preferredDriver } from '../../../../collector/store/sqlite-driver.js';

describe('the SQLite driver', () => {
  it('is better-sqlite3 13 (Node-API) on Node 22 and later, 12 on Node 20', () => {
    expect(preferredDriver('20.20.2')).toBe('better-sqlite3');
    expect(preferredDriver('22.0.0')).toBe('better-sqlite3-napi');
    expect(preferredDriver('24.21.0')).toBe('better-sqlite3-napi');
  });

  it('loads the preferred one on this Node (npm installed the optional alias where it applies)', () => {
    const require = createRequire(import.meta.url);
    expect(Database).toBe(require(preferredDriver()));
    const version = require(`${preferredDriver()}/package.json`).version as string;
    expect(version.split('.')[0]).toBe(preferredDriver() === 'better-sqlite3' ? '12' : '13');
    const db = new Database(':memory:');
    expect(db.prepare('select 1 as one').get()).toEqual({ one: 1 });
    db.close();
  });
});
