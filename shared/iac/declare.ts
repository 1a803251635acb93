// Small helpers every YAML-based extractor uses to turn written values into ports.
import { MAX_PORT, MIN_PORT } from '../ports.js';

/** An integer 1–65535, as a number or a string of digits (CFN `DBInstance.Port` is a String); else undefined. */
export function toPort(value: unknown): number | undefined {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= MIN_PORT && n <= MAX_PORT ? n : undefined;
}

/** `8000-8100` (or a single port) → { port, toPort? }; undefined when either end is not a port or the range runs
 * backwards. */
export function toPortRange(value: unknown): { port: number; toPort?: number } | undefined {
  const text = String(value).trim();
  const m = /^(\d+)\s*-\s*(\d+)$/.exec(text);
  if (!m) {
    const p = toPort(value);
    return p === undefined ? undefined : { port: p };
  }
  const from = toPort(m[1]);
  const to = toPort(m[2]);
  if (from === undefined || to === undefined || to < from) return undefined;
  return to === from ? { port: from } : { port: from, toPort: to };
}
