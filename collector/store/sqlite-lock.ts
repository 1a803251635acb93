// One collector per store. Two collectors on one SQLite file would both evaluate, overwrite each
// other's finding lifecycle and both send every report and webhook; SQLite's own locking only
// serialises their writes. So a collector holds an exclusive SQLite transaction on a small
// sidecar file (`<data>.lock`, never written) for as long as it runs. The lock is the operating
// system's (fcntl), so it ends with the process, also on SIGKILL: there is no stale lock to
// clean up. `portdrift token create` opens the store itself, not the sidecar, and still works
// while the collector runs.
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Database } from './sqlite-driver.js';
import { PortdriftError } from '../../shared/errors.js';

export interface StoreLock {
  readonly path: string;
  release(): void;
}

export function lockStore(dataFile: string): StoreLock {
  // The lock names the file itself, not the path to it: two collectors reaching one database
  // through a symlink must find the same lock.
  let real = dataFile;
  try {
    real = realpathSync(dataFile);
  } catch {
    try {
      real = join(realpathSync(dirname(dataFile)), basename(dataFile));
    } catch {
      // a directory that does not exist: opening the store reports it
    }
  }
  const path = `${real}.lock`;
  let db: Database;
  try {
    // timeout 0: a held lock is an answer, not something to wait for.
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw new PortdriftError('PD_STORE', `cannot open the store's lock file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new PortdriftError(
        'PD_STORE',
        `another collector is running on ${dataFile} (it holds ${path}); a store has one collector`,
      );
    throw new PortdriftError('PD_STORE', `cannot lock ${path}: ${(err as Error).message}`, { cause: err });
  }
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
