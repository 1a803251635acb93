// Crash-safe file replacement: write a temporary file in the same directory, fsync it, rename it
// over the target, fsync the directory. A crash at any point leaves either the old file or the
// new one, never a torn one; a leftover temporary file is recognisable by its name and removed by
// the next start (see spool.ts).
//
// The agent may run as root, so nothing here follows a symbolic link or reuses a file someone
// else put in place: a temporary file has a random name and is created exclusively (O_EXCL,
// O_NOFOLLOW), and files are read through O_NOFOLLOW and must be regular files (a planted FIFO
// would block the agent, a planted link would make it read another file).
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** Temporary files start with a dot and end in `.tmp`: never mistaken for finished ones. */
export const TEMP_SUFFIX = '.tmp';

export function isTempFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

// O_NOFOLLOW does not exist on Windows (0 there: no symlink protection, and none needed).
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Create `file` with `data`, mode 0600, failing (EEXIST, ELOOP) if anything is at that name, a
 * symbolic link included. Not atomic: for files whose absence a reader handles (the key).
 */
export function createExclusive(file: string, data: string | Uint8Array): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(file);
    throw err;
  }
  closeSync(fd);
  fsyncDir(dirname(file));
}

/**
 * Atomically replace `file` with `data` (mode 0600: spooled batches and cached plans name the
 * hosts of a private network). Synchronous on purpose: the agent writes a handful of files per
 * cycle, and a sync write cannot interleave with another write to the same spool.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${randomBytes(12).toString('hex')}${TEMP_SUFFIX}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  // rename() replaces the name itself: a symlink at `file` is replaced, never followed.
  renameSync(tmp, file);
  fsyncDir(dir);
}

/**
 * Read a regular file without following a symbolic link at its name (ELOOP) and without
 * blocking on a FIFO or device (refused: not a regular file). `maxBytes` bounds what is read;
 * `check` may refuse the file by its status (owner, mode) before anything is read.
 */
export function readRegularFile(file: string, maxBytes = Number.MAX_SAFE_INTEGER, check?: (st: Stats) => void): Buffer {
  const fd = openSync(file, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' });
    check?.(st);
    if (st.size > maxBytes) {
      throw Object.assign(new Error(`${file} is larger than ${maxBytes} bytes`), { code: 'EFBIG' });
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}
