// The agent's own directory (the spool, its plan cache, its MAC key) must be private to the
// agent's user: whoever else can write into it can plant a batch the agent would send under its
// token, or a symlink a write would follow (the agent often runs as root). So an existing
// directory is checked before use, never repaired behind the operator's back: it must be a
// directory owned by the agent's effective user, writable by no one else. A symlink to such a
// directory is accepted when the link itself belongs to that user or to root (a link planted by
// someone else is refused even when it points somewhere private). The parents are not checked:
// a directory of one's own under a parent others may write is the operator's choice (systemd's
// StateDirectory= and a Kubernetes volume both give a safe parent).
import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { PortdriftError } from '../../shared/errors.js';

/** The effective uid, or null where there is none (Windows): ownership is not checked there. */
function euid(): number | null {
  return typeof process.geteuid === 'function' ? process.geteuid() : null;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * Create `dir` (mode 0700) if it does not exist, else check that it is private to this user.
 * Throws PD_SPOOL naming the directory, what is wrong and how to fix it.
 */
export function ensurePrivateDir(dir: string, what = 'spool'): void {
  const fail = (why: string, fix: string, cause?: unknown) =>
    new PortdriftError('PD_SPOOL', `${what} ${dir}: ${why}; ${fix}`, {
      ...(cause ? { cause } : {}),
      details: { dir },
    });
  let link: Stats;
  try {
    link = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw fail(`cannot use the directory: ${errCode(err)}`, 'check the path', err);
    }
    try {
      // Parents too are created 0700: nobody else needs into a path made for the agent.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      link = lstatSync(dir);
    } catch (e) {
      throw fail(`cannot create the directory: ${errCode(e)}`, 'check the path and its parent', e);
    }
  }
  const uid = euid();
  let st = link;
  if (link.isSymbolicLink()) {
    if (uid !== null && link.uid !== uid && link.uid !== 0) {
      const why = `is a symbolic link owned by uid ${link.uid}, not by this agent's user (uid ${uid}) or root`;
      throw fail(why, 'point --spool at the real directory');
    }
    try {
      st = statSync(dir);
    } catch (err) {
      throw fail(`is a symbolic link to nothing usable: ${errCode(err)}`, 'point --spool at the real directory', err);
    }
  }
  if (!st.isDirectory()) throw fail('is not a directory', 'give a directory (it is created when missing)');
  if (uid !== null && st.uid !== uid) {
    const why = `is owned by uid ${st.uid}, not by this agent's user (uid ${uid})`;
    throw fail(why, `chown ${uid} ${dir} (or give a directory of the agent's own)`);
  }
  if ((st.mode & 0o022) !== 0) {
    const who = st.mode & 0o002 ? 'every user' : 'its group';
    const why = `is writable by ${who} (mode ${octal(st.mode)}): another user could plant batches or symlinks`;
    throw fail(why, `chmod 700 ${dir}`);
  }
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
