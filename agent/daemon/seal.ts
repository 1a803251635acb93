// Spool files the agent wrote, told apart from files it did not: each carries an HMAC-SHA256 of
// its name and content under a key the agent generates on its first start and keeps beside them
// (DIR/spool.key, mode 0600, 32 random bytes). A file someone else planted — a batch to be sent
// under the agent's token, a plan to be probed — has no valid MAC and is never used. The MAC
// binds the file name too, so a batch cannot be renamed into another place in the queue.
//
// On disk a sealed file is one line `pd-mac1 <hex>` followed by the content, byte for byte.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { PortdriftError } from '../../shared/errors.js';
import { createExclusive, readRegularFile } from './atomic.js';

export const KEY_FILE = 'spool.key';
const PREFIX = 'pd-mac1 ';
const KEY_BYTES = 32;
const LINE_BYTES = PREFIX.length + 64 + 1;

/** The spool's MAC key: read from DIR/spool.key, created there on first use. */
export function loadOrCreateKey(dir: string): Buffer {
  const file = join(dir, KEY_FILE);
  const fail = (why: string, fix: string, cause?: unknown) =>
    new PortdriftError('PD_SPOOL', `spool key ${file}: ${why}; ${fix}`, cause ? { cause } : {});
  const renew = 'remove it (a new key is made; batches sealed with the old one are then ignored)';
  for (let attempt = 0; attempt < 2; attempt++) {
    let text: string;
    try {
      text = readRegularFile(file, 1024, (st) => {
        const uid = typeof process.geteuid === 'function' ? process.geteuid() : null;
        if (uid !== null && st.uid !== uid) {
          throw fail(`is owned by uid ${st.uid}, not by this agent's user (uid ${uid})`, renew);
        }
        const mode = (st.mode & 0o777).toString(8);
        if ((st.mode & 0o077) !== 0) {
          throw fail(`is readable or writable by others (mode ${mode})`, `chmod 600 ${file}`);
        }
      }).toString('utf8');
    } catch (err) {
      if (err instanceof PortdriftError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(`cannot read it: ${errCode(err)}`, renew, err);
      try {
        createExclusive(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`);
      } catch (e) {
        // Another start made it meanwhile: read that one.
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw fail(`cannot create it: ${errCode(e)}`, 'check the spool directory', e);
      }
      continue;
    }
    const hex = text.trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw fail('is not a key written by portdrift', renew);
    return Buffer.from(hex, 'hex');
  }
  throw fail('appears and disappears', 'make sure one agent only uses this spool');
}

function mac(key: Buffer, name: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`portdrift-spool\0${name}\0`).update(body).digest();
}

/** The file content for `body` stored under `name`. */
export function seal(key: Buffer, name: string, body: string): Buffer {
  const b = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`${PREFIX}${mac(key, name, b).toString('hex')}\n`), b]);
}

/** The body of a sealed file, or null when it has no MAC or a wrong one. */
export function unseal(key: Buffer, name: string, content: Buffer): string | null {
  if (content.length < LINE_BYTES || content[LINE_BYTES - 1] !== 0x0a) return null;
  if (content.subarray(0, PREFIX.length).toString('latin1') !== PREFIX) return null;
  const hex = content.subarray(PREFIX.length, LINE_BYTES - 1).toString('latin1');
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  const body = content.subarray(LINE_BYTES);
  return timingSafeEqual(Buffer.from(hex, 'hex'), mac(key, name, body)) ? body.toString('utf8') : null;
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
