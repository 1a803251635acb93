// HCL parsing for Terraform: hcl2json's JSON shape (docs/design/iac-extraction.md#hcl-json-shape), its diagnostics
// as lines, and where the parsing runs.
//
// hcl2json is Go compiled to WASM and single-threaded: a 5 KB file costs it 7–10 ms, so the
// 500-file extraction bar (3 s) is mostly parse time (4.0 s on one thread here). Requests therefore
// go to a small pool of worker threads, one WASM instance each, fed from one queue so a slow
// thread never holds a share of the files back (measured: 2 threads parse the 500 files in
// 2.7 s where one takes 4.1 s). The evaluating thread meanwhile locates lines and evaluates.
// A second thread starts only when requests queue up, so a handful of files pays one WASM
// start (~100 ms, ~50 MB), not two. Idle threads end after a while and a thread that parsed a
// very large file is replaced, because WASM linear memory never shrinks (docs/design/iac-extraction.md#wasm-memory); a
// long-running collector does not keep a grown heap. The workers run from the compiled
// output; from TypeScript sources (tests) the parse runs on this thread.
//
// Memory: a thread with its WASM costs ~60-80 MB of RSS (its compiled code, the Go heap, the
// thread's own V8 heap and allocator arena), so an extraction holds 120-160 MB in its two threads.
// The caller says when memory matters more than the last second (`scan --live` loads the AWS SDK,
// ~60-90 MB, after the extraction): `warmHclParser(files, 1)` keeps to one thread, and
// `releaseHclParser()` ends the threads as soon as an extraction is done instead of IDLE_MS later.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseHidingNumbers } from './numbers.js';
import { loadHcl2Json, type HclBody } from './hcl2json.js';
import type { HclReply, HclRequest } from './parse-worker.js';

export type { HclBody };

/** One diagnostic of a failed parse; lines and columns 1-based. */
export interface HclDiagnostic {
  line: number;
  column: number;
  message: string;
}

/** A file that does not parse, with every diagnostic hcl2json gave. */
export class HclParseError extends Error {
  readonly diagnostics: HclDiagnostic[];
  constructor(message: string, diagnostics: HclDiagnostic[]) {
    super(message);
    this.name = 'HclParseError';
    this.diagnostics = diagnostics;
  }
}

/** Parse one `.tf` / `.tfvars` file into hcl2json's JSON shape (docs/design/iac-extraction.md#hcl-json-shape). */
export async function parseHcl(file: string, text: string): Promise<HclBody> {
  if (!workerAvailable()) {
    const lib = await loadHcl2Json();
    try {
      return await parseHidingNumbers(lib, file, text);
    } catch (err) {
      throw parseError(err instanceof Error ? err.message : String(err));
    }
  }
  return pool.parse(file, text);
}

/**
 * Starts parser threads ahead of the first parse of `files` files (they load their WASM meanwhile).
 * `threads` caps the threads until the next warm-up (default: two where two cores exist).
 */
export function warmHclParser(files: number, threads?: number): void {
  if (workerAvailable()) pool.warm(files, threads);
}

/** Ends the idle parser threads now (a busy one ends when its last file is answered). */
export function releaseHclParser(): void {
  if (workerAvailable()) pool.release();
}

/** Parser threads running now (tests). */
export function hclParserThreads(): number {
  return pool.size;
}

function parseError(message: string): HclParseError {
  return new HclParseError(message, parseDiagnostics(message));
}

// `parse config: [f.tf:2,10-3,1: Summary; Detail …]` (docs/design/iac-extraction.md#hcl-diagnostics); the end position
// may omit its line. The detail runs until the next diagnostic or the closing bracket.
const DIAGNOSTIC = /([^\s[]+):(\d+),(\d+)-(?:\d+,)?\d+: ([^;]+); /g;

export function parseDiagnostics(message: string): HclDiagnostic[] {
  const body = message.replace(/^parse config: \[/, '').replace(/\]\s*$/, '');
  const found = [...body.matchAll(DIAGNOSTIC)];
  return found.map((m, i) => {
    const detailStart = m.index + m[0].length;
    const detailEnd = i + 1 < found.length ? found[i + 1]!.index : body.length;
    const detail = body.slice(detailStart, detailEnd).trim();
    return { line: Number(m[2]), column: Number(m[3]), message: detail ? `${m[4]!.trim()}: ${detail}` : m[4]!.trim() };
  });
}

const workerUrl = new URL('./parse-worker.js', import.meta.url);
let available: boolean | undefined;
const workerAvailable = () => (available ??= workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl)));

/** Requests a thread holds at once: one being parsed and the next already in its port. */
const PER_THREAD = 4;
/** Queued requests beyond which a further thread pays for its start. */
const SPAWN_BACKLOG = 4;
/** An idle thread ends after this long (unref'd: it never keeps a process alive). */
const IDLE_MS = 10_000;
/** A thread that parsed a file this large is replaced once it is idle (its heap stays grown). */
const RETIRE_BYTES = 1 << 20;

interface Job {
  req: HclRequest;
  resolve: (body: HclBody) => void;
  reject: (err: Error) => void;
  /** Threads that died holding this job. */
  crashes: number;
}

interface Thread {
  worker: Worker;
  held: Map<number, Job>;
  retiring: boolean;
  idle?: NodeJS.Timeout;
}

/** Exported for tests, which give it a thread script that dies on purpose (hcl2json cannot be made to). */
export class ParserPool {
  private readonly most = Math.max(1, Math.min(2, availableParallelism()));
  private max = this.most;
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private everAnswered = false;
  /** Set by release(): threads end when the queue is empty, until the next parse asks for more. */
  private draining = false;

  constructor(private readonly script: URL = workerUrl) {}

  parse(file: string, text: string): Promise<HclBody> {
    this.draining = false;
    return new Promise<HclBody>((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, file, text }, resolve, reject, crashes: 0 });
      this.pump();
    });
  }

  warm(files: number, threads?: number): void {
    this.max = threads === undefined ? this.most : Math.max(1, Math.min(this.most, Math.floor(threads)));
    // A warm-up after release() is a new extraction: its threads must stay (a draining pool would
    // end each one as it is spawned, and this loop would never reach `want`).
    this.draining = false;
    const want = files > SPAWN_BACKLOG ? this.max : 1;
    while (this.threads.length < want) this.rest(this.spawn());
  }

  /** Threads running now (tests). */
  get size(): number {
    return this.threads.length;
  }

  /** Idle threads end now; busy ones end once they have answered what they hold and what is queued. */
  release(): void {
    this.draining = true;
    for (const t of [...this.threads]) {
      t.retiring = true;
      if (t.held.size === 0) this.rest(t);
    }
  }

  private pump(): void {
    const live = () => this.threads.filter((t) => !t.retiring);
    if (
      this.queue.length > 0 &&
      (live().length === 0 || (this.queue.length > SPAWN_BACKLOG && live().length < this.max))
    )
      this.spawn();
    for (const t of live().sort((a, b) => a.held.size - b.held.size)) {
      while (t.held.size < PER_THREAD && this.queue.length > 0) this.send(t, this.queue.shift()!);
    }
  }

  private send(t: Thread, job: Job): void {
    if (t.idle) clearTimeout(t.idle);
    t.idle = undefined;
    if (t.held.size === 0) t.worker.ref();
    t.held.set(job.req.id, job);
    if (job.req.text.length > RETIRE_BYTES) t.retiring = true;
    t.worker.postMessage(job.req);
  }

  private spawn(): Thread {
    const t: Thread = { worker: new Worker(this.script), held: new Map(), retiring: false };
    t.worker.on('message', (m: HclReply) => this.answer(t, m));
    t.worker.on('error', (err) => this.fail(t, err));
    t.worker.on('exit', (code) => this.fail(t, new Error(`exited with code ${code}`)));
    this.threads.push(t);
    return t;
  }

  private answer(t: Thread, m: HclReply): void {
    const job = t.held.get(m.id);
    if (!job) return;
    t.held.delete(m.id);
    this.everAnswered = true;
    if ('error' in m) job.reject(parseError(m.error));
    else job.resolve(m.body);
    if (t.held.size === 0) this.rest(t);
    this.pump();
  }

  /** A thread with nothing to do: retired at once, or left to end after IDLE_MS. */
  private rest(t: Thread): void {
    if (t.retiring || (this.draining && this.queue.length === 0)) {
      this.drop(t);
      void t.worker.terminate();
      return;
    }
    t.worker.unref();
    t.idle = setTimeout(() => {
      this.drop(t);
      void t.worker.terminate();
    }, IDLE_MS);
    t.idle.unref();
  }

  private drop(t: Thread): void {
    const i = this.threads.indexOf(t);
    if (i >= 0) this.threads.splice(i, 1);
    if (t.idle) clearTimeout(t.idle);
  }

  /**
   * A thread that died. If no thread ever answered, hcl2json cannot start here: everything
   * fails rather than spawning thread after thread. Otherwise one of the files it held broke
   * the parser: they go back to the queue, and a file that a second thread dies on is given up
   * as a parse problem of that file (the other files are still extracted).
   */
  private fail(t: Thread, err: Error): void {
    if (!this.threads.includes(t)) return;
    this.drop(t);
    const held = [...t.held.values()];
    t.held.clear();
    if (!this.everAnswered) {
      const cause = new Error(`the HCL parser cannot start: ${err.message}`);
      for (const job of [...held, ...this.queue.splice(0)]) job.reject(cause);
      return;
    }
    for (const job of held.reverse()) {
      if (++job.crashes >= 2)
        job.reject(new HclParseError(`the HCL parser failed on this file (${err.message}); not extracted`, []));
      else this.queue.unshift(job);
    }
    this.pump();
  }
}

const pool = new ParserPool();
