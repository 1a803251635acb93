// Small byte helpers the protocol modules share: lines of a text banner and printable excerpts.

/** The first line of a text answer (without CR LF), or null while no line end has arrived. */
export function firstLine(data: Buffer, max = 512): string | null {
  const end = data.indexOf(0x0a);
  if (end === -1) return null;
  return data.subarray(0, Math.min(end, max)).toString('latin1').replace(/\r$/, '');
}

/** Whether every byte is printable ASCII, tab, CR or LF: a text banner rather than binary. */
export function isText(data: Buffer): boolean {
  for (const b of data) if (!(b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f))) return false;
  return true;
}

/** At most `max` characters of the bytes for a human, non-printable ones as \xNN. */
export function excerpt(data: Buffer, max = 64): string {
  let out = '';
  for (const b of data.subarray(0, max)) {
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) out += String.fromCharCode(b);
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return data.length > max ? `${out}…` : out;
}

/** Whether `data` so far agrees with the start of `prefix` (a short answer still arriving). */
export function startsLike(data: Buffer, prefix: string): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).toString('latin1') === prefix.slice(0, n);
}

/** `nginx/1.22.1 (Debian)` → product nginx, version 1.22.1. */
export function productVersion(text: string): { product?: string; version?: string } {
  const m = /^([A-Za-z][\w.+-]*?)(?:[/ _-]v?(\d+(?:\.\w+)+|\d+))?(?:[\s(]|$)/.exec(text.trim());
  if (!m) return {};
  return { product: m[1]!, ...(m[2] ? { version: m[2] } : {}) };
}
