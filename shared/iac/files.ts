// Reading IaC files defensively: a binary file, a huge file or an unreadable one becomes a
// Problem naming the file, never a crash and never a silent skip.
import { readFile, stat } from 'node:fs/promises';
import type { Problem } from '../types.js';

/** Files over this size are refused: real IaC is far smaller (docs/design/iac-extraction.md#wasm-memory). */
export const MAX_IAC_FILE_BYTES = 8 * 1024 * 1024;

export type ReadResult = { ok: true; text: string } | { ok: false; problem: Problem };

export async function readIacFile(path: string, file: string): Promise<ReadResult> {
  try {
    const info = await stat(path);
    // A device (/dev/zero) would be read without end and a socket cannot be read at all. A pipe
    // is read: `extract <(terraform show -json …)` is process substitution, on purpose.
    if (!info.isFile() && !info.isFIFO())
      return {
        ok: false,
        problem: {
          file,
          code: 'PD_IAC_PATH',
          message:
            `not a regular file (` +
            `${info.isSocket() ? 'a socket' : info.isDirectory() ? 'a directory' : 'a device'}); not read`,
        },
      };
    if (info.size > MAX_IAC_FILE_BYTES) {
      return {
        ok: false,
        problem: {
          file,
          code: 'PD_IAC_TOO_LARGE',
          message:
            `file is ${(info.size / 1048576).toFixed(1)} MiB, over the ` +
            `${MAX_IAC_FILE_BYTES / 1048576} MiB limit for IaC files; not extracted`,
        },
      };
    }
    const buf = await readFile(path);
    // A NUL byte in the first 8 KiB is what git and grep call binary.
    if (buf.subarray(0, 8192).includes(0)) {
      return {
        ok: false,
        problem: {
          file,
          code: 'PD_IAC_BINARY',
          message: 'file is binary (it contains NUL bytes), not IaC text; not extracted',
        },
      };
    }
    let text = buf.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } catch (err) {
    return {
      ok: false,
      problem: { file, code: 'PD_IAC_PATH', message: `cannot read file: ${(err as Error).message}` },
    };
  }
}

/**
 * V8's JSON.parse message without what it quotes of the input (`Unexpected token 'x', "…secret…"
 * is not valid JSON`) or its position: problems go to CI logs and the collector's log, and the
 * position becomes a line of its own.
 */
export function jsonErrorClause(message: string): string {
  return message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, (?:\.\.\.)?".*$/s, '')
    .replace(/ is not valid JSON$/, '');
}

/**
 * The line (1-based) of the position a JSON.parse error `message` names in `text`; undefined when
 * it names none. The line, never the message's excerpt, is what a problem about a file may show.
 */
export function jsonErrorLine(message: string, text: string): number | undefined {
  const at = /position (\d+)/.exec(message);
  return at ? text.slice(0, Number(at[1])).split('\n').length : undefined;
}
