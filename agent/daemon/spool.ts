// The spool: a bounded queue of observation batches that the collector has not acknowledged yet.
// Every batch goes through it (write-ahead): a batch is on disk before the first attempt to send
// it, and leaves only when the collector answered 200 (committed) or refused it for good. So a
// crash, a SIGTERM or a collector outage loses nothing; a batch that was committed but whose
// answer was lost is sent again under the same Idempotency-Key, which the collector accepts once.
//
// On disk: DIR/<seq>-<batchId>.ndjson, one file per batch, written atomically (atomic.ts); `seq`
// is zero-padded so name order is age order. DIR/state.json keeps the count of batches dropped
// because the spool was full and not yet reported to the collector (BatchHeader.spoolDropped).
// When full, the oldest batches are dropped: the newest observations are the ones that matter
// for drift, and the drop is counted, never silent.
//
// DIR must be private to the agent's user (private-dir.ts), and every file the agent writes
// there is sealed with its key (seal.ts). A batch file without a valid seal — planted by someone
// else, or spooled by an earlier portdrift that did not seal its files — is never sent, and left where it
// is (the agent deletes only files it wrote): it is listed at start for the operator to look at.
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PortdriftError } from '../../shared/errors.js';
import { isTempFile, readRegularFile, writeFileAtomic } from './atomic.js';
import { ensurePrivateDir } from './private-dir.js';
import { KEY_FILE, loadOrCreateKey, seal, unseal } from './seal.js';

export interface SpoolEntry {
  /** File name (or key): orders entries oldest first. */
  readonly key: string;
  readonly batchId: string;
  readonly bytes: number;
}

export interface SpoolLimits {
  /** Most batches kept; the oldest are dropped beyond it. */
  maxBatches: number;
  /** Most bytes kept (sum of batch sizes); the oldest are dropped beyond it. */
  maxBytes: number;
}

export interface Spool {
  /** Where the batches live, for logs: a directory, or `memory`. */
  readonly location: string;
  /** Add a batch (durably, for a directory spool); returns the batches dropped to make room. */
  put(batchId: string, body: string): number;
  /** Entries, oldest first. */
  entries(): SpoolEntry[];
  read(entry: SpoolEntry): string;
  remove(entry: SpoolEntry): void;
  /** Drop an entry that can never be delivered (counted like a drop for space). */
  discard(entry: SpoolEntry): void;
  /** Batches dropped and not yet reported to the collector. */
  dropped(): number;
  /** The collector acknowledged a batch whose header reported `n` drops. */
  reportedDrops(n: number): void;
}

const FILE_RE = /^(\d{16})-([A-Za-z0-9_-]{1,100})\.ndjson$/;
const STATE = 'state.json';
// Other files the agent keeps in the spool directory (plan-cache.ts).
const KNOWN = new Set([STATE, 'plan.json', KEY_FILE]);

export const DEFAULT_LIMITS: SpoolLimits = { maxBatches: 1000, maxBytes: 256 * 1024 * 1024 };

/** Entries and drop accounting shared by both spools; only storage differs. */
abstract class BoundedSpool implements Spool {
  abstract readonly location: string;
  protected list: SpoolEntry[] = [];
  protected total = 0;
  protected droppedCount = 0;
  private seq = 0;

  constructor(protected readonly limits: SpoolLimits) {}

  protected abstract store(key: string, body: string): void;
  protected abstract load(key: string): string;
  protected abstract delete(key: string): void;
  protected abstract saveDropped(): void;

  protected restore(entries: SpoolEntry[], dropped: number): void {
    this.list = entries.sort((a, b) => (a.key < b.key ? -1 : 1));
    this.total = entries.reduce((n, e) => n + e.bytes, 0);
    this.droppedCount = dropped;
    const last = this.list.at(-1);
    this.seq = last ? Number(last.key.slice(0, 16)) : 0;
  }

  put(batchId: string, body: string): number {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(batchId)) throw new Error(`spool: invalid batch id ${JSON.stringify(batchId)}`);
    const key = `${String(++this.seq).padStart(16, '0')}-${batchId}.ndjson`;
    const bytes = Buffer.byteLength(body, 'utf8');
    this.store(key, body);
    this.list.push({ key, batchId, bytes });
    this.total += bytes;
    // Drop the oldest until within bounds, always keeping the batch just written.
    let dropped = 0;
    while (this.list.length > 1 && (this.list.length > this.limits.maxBatches || this.total > this.limits.maxBytes)) {
      this.forget(this.list[0]!);
      dropped++;
    }
    if (dropped > 0) {
      this.droppedCount += dropped;
      this.saveDropped();
    }
    return dropped;
  }

  entries(): SpoolEntry[] {
    return [...this.list];
  }

  read(entry: SpoolEntry): string {
    return this.load(entry.key);
  }

  remove(entry: SpoolEntry): void {
    this.forget(entry);
  }

  discard(entry: SpoolEntry): void {
    this.forget(entry);
    this.droppedCount++;
    this.saveDropped();
  }

  dropped(): number {
    return this.droppedCount;
  }

  reportedDrops(n: number): void {
    if (n <= 0) return;
    // Drops may have grown since the header was written: subtract only what it reported.
    this.droppedCount = Math.max(0, this.droppedCount - n);
    this.saveDropped();
  }

  private forget(entry: SpoolEntry): void {
    const i = this.list.findIndex((e) => e.key === entry.key);
    if (i === -1) return;
    this.list.splice(i, 1);
    this.total -= entry.bytes;
    this.delete(entry.key);
  }
}

/** The on-disk spool (`--spool DIR`). */
export class DirectorySpool extends BoundedSpool {
  readonly location: string;
  /** The key that seals this spool's files (the plan cache uses it too). */
  readonly key: Buffer;
  /**
   * Files that were not batches of this agent, found at open: torn temporaries (removed),
   * foreign names (ignored), batch names without a valid seal or not regular files (ignored).
   */
  readonly recovered: { tempRemoved: number; ignored: string[]; unauthenticated: string[] };

  constructor(dir: string, limits: SpoolLimits = DEFAULT_LIMITS) {
    super(limits);
    this.location = dir;
    const entries: SpoolEntry[] = [];
    const ignored: string[] = [];
    const unauthenticated: string[] = [];
    let tempRemoved = 0;
    let names: string[];
    ensurePrivateDir(dir);
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw spoolError(dir, 'cannot use the spool directory', err);
    }
    this.key = loadOrCreateKey(dir);
    for (const name of names) {
      if (isTempFile(name)) {
        // A write that crashed before its rename: the batch was never acknowledged to anyone,
        // and its complete copy does not exist, so it is removed (the probe had not been
        // reported either; the next cycle observes again).
        unlinkSync(join(dir, name));
        tempRemoved++;
        continue;
      }
      const m = FILE_RE.exec(name);
      if (m) {
        const body = this.open(name);
        if (body === null) unauthenticated.push(name);
        else entries.push({ key: name, batchId: m[2]!, bytes: Buffer.byteLength(body, 'utf8') });
      } else if (!KNOWN.has(name)) ignored.push(name);
    }
    this.recovered = { tempRemoved, ignored, unauthenticated };
    this.restore(entries, readDropped(this.open(STATE)));
  }

  /** A sealed file's content; null when it is missing, not a regular file or not sealed by this key. */
  private open(name: string): string | null {
    try {
      return unseal(this.key, name, readRegularFile(join(this.location, name)));
    } catch {
      return null;
    }
  }

  protected store(key: string, body: string): void {
    try {
      writeFileAtomic(join(this.location, key), seal(this.key, key, body));
    } catch (err) {
      throw spoolError(this.location, 'cannot write a batch', err);
    }
  }

  protected load(key: string): string {
    const body = this.open(key);
    // Checked again at send time: only what this agent wrote leaves under its token.
    if (body === null) throw new Error(`spool: ${key} is missing or its seal does not verify`);
    return body;
  }

  protected delete(key: string): void {
    try {
      unlinkSync(join(this.location, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  protected saveDropped(): void {
    const text = `${JSON.stringify({ dropped: this.droppedCount })}\n`;
    writeFileAtomic(join(this.location, STATE), seal(this.key, STATE, text));
  }
}

function spoolError(dir: string, what: string, err: unknown): PortdriftError {
  const code = (err as NodeJS.ErrnoException).code;
  return new PortdriftError('PD_SPOOL', `spool ${dir}: ${what}: ${code ?? (err as Error).message}`, { cause: err });
}

function readDropped(text: string | null): number {
  if (text === null) return 0;
  try {
    const v = JSON.parse(text) as { dropped?: unknown };
    return typeof v.dropped === 'number' && Number.isInteger(v.dropped) && v.dropped >= 0 ? v.dropped : 0;
  } catch {
    return 0;
  }
}

/**
 * The spool without `--spool`: the same bounds and accounting, kept in memory. It survives a
 * collector outage but not a restart of the agent; the agent logs that at start.
 */
export class MemorySpool extends BoundedSpool {
  readonly location = 'memory';
  private readonly bodies = new Map<string, string>();

  constructor(limits: SpoolLimits = DEFAULT_LIMITS) {
    super(limits);
  }

  protected store(key: string, body: string): void {
    this.bodies.set(key, body);
  }

  protected load(key: string): string {
    const body = this.bodies.get(key);
    if (body === undefined) throw new Error(`spool: no batch ${key}`);
    return body;
  }

  protected delete(key: string): void {
    this.bodies.delete(key);
  }

  protected saveDropped(): void {
    /* in memory only */
  }
}
