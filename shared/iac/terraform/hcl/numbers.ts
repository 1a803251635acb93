// A workaround for the cost of number literals in hcl2json. Measured on its WASM (Node 20, this
// 2-core machine, per item of a 200-item file): an attribute `a = 8080` costs 73 µs, `a = "tcp"`
// 22 µs, `a = var.x` 18 µs. Ports, counts and sizes are number literals, and in the 500-file
// benchmark (npm run bench) they were 40 % of all parse time. So before parsing, every attribute
// whose whole value is a plain integer literal is rewritten into a reference to a sentinel
// name (`port = 8080` → `port = __pd_n_8080`), which hcl2json passes through as the string
// `"${__pd_n_8080}"`, and afterwards exactly those strings become the numbers again. Nothing
// else changes: attributes inside expressions, tuples and objects keep their literals (there a
// reference would change hcl2json's output shape), a file that already mentions the sentinel
// is parsed as it is, and a file that fails to parse is parsed again unchanged, so diagnostics
// point at the user's own text. The result is the same JSON (test/unit/shared/iac/hcl-numbers.test.ts).
import type { HclBody, Hcl2Json } from './hcl2json.js';
import { locateHcl } from './locate.js';

const SENTINEL = '__pd_n_';
/** Up to 15 digits: exactly representable, so Number() gives what hcl2json's JSON gives. */
const INTEGER = /^(?:0|[1-9][0-9]{0,14})$/;
const HIDDEN = /^\$\{__pd_n_([0-9]{1,15})\}$/;

/** The text with integer-literal attribute values replaced by sentinels, or null if there are none. */
export function hideNumbers(text: string): string | null {
  if (text.includes(SENTINEL)) return null;
  const ranges: [number, number][] = [];
  for (const { start, end } of locateHcl(text).attrs.values()) {
    const value = text.slice(start, end).trim();
    if (INTEGER.test(value)) {
      const at = text.indexOf(value, start);
      ranges.push([at, at + value.length]);
    }
  }
  if (ranges.length === 0) return null;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let from = 0;
  for (const [s, e] of ranges) {
    out += text.slice(from, s) + SENTINEL + text.slice(s, e);
    from = e;
  }
  return out + text.slice(from);
}

/** Turns every sentinel string back into its number, in place. */
export function restoreNumbers<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreNumbers(value[i]);
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = restoreNumbers(o[k]);
  } else if (typeof value === 'string' && value.startsWith('${__pd_n_')) {
    const m = HIDDEN.exec(value);
    if (m) return Number(m[1]) as T;
  }
  return value;
}

/** hcl2json's parse of `text`, with number literals hidden from it where that is safe. */
export async function parseHidingNumbers(lib: Hcl2Json, file: string, text: string): Promise<HclBody> {
  const hidden = hideNumbers(text);
  if (hidden === null) return lib.parse(file, text);
  let body: HclBody;
  try {
    body = await lib.parse(file, hidden);
  } catch {
    return lib.parse(file, text);
  }
  return restoreNumbers(body);
}
