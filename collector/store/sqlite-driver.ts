// Which better-sqlite3 this Node runs (the one place the store loads it).
//
// better-sqlite3 12 wraps its objects in Node's own `node::ObjectWrap`. Built against Node 24's
// headers, that class's destructor asks for the current Environment, and a garbage collection that
// runs outside any context (a worker thread's teardown, V8's background memory reducer) has none:
// the whole process aborts with `RemoveEnvironmentCleanupHook … Assertion failed: (env) != nullptr`
// (our Node 24 CI leg lost a test process that way). better-sqlite3 13 is built on Node-API and has
// no such path, but it needs Node 22 or later (its prebuilt binary crashes Node 20 on load).
//
// So package.json carries both: 12 as `better-sqlite3` (Node 20 and up), 13 as the optional
// `better-sqlite3-napi` alias, which npm installs only where its `engines` (Node ≥ 22) allow.
// The API the store uses is the same in both; the types come from @types/better-sqlite3.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The better-sqlite3 major this Node should run, from its own major version. */
export function preferredDriver(nodeVersion = process.versions.node): 'better-sqlite3-napi' | 'better-sqlite3' {
  return Number(nodeVersion.split('.')[0]) >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
}

function load(): typeof BetterSqlite3 {
  if (preferredDriver() === 'better-sqlite3-napi') {
    try {
      return require('better-sqlite3-napi') as typeof BetterSqlite3;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      // Installed without optional dependencies: 12 still works until a collection aborts it.
      process.emitWarning(
        `better-sqlite3 13 (the optional dependency better-sqlite3-napi) is not installed; Node ` +
          `${process.versions.node} runs better-sqlite3 12, which can abort the process on Node 24 ` +
          '(reinstall without --omit=optional)',
        { code: 'PD_SQLITE_DRIVER' },
      );
    }
  }
  return require('better-sqlite3') as typeof BetterSqlite3;
}

/** better-sqlite3's Database class, from the major chosen above. */
export const Database = load();
/** An open better-sqlite3 database (the same interface in 12 and 13). */
export type Database = BetterSqlite3.Database;
