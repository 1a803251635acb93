// The stable part of a finding id. Written out here instead of taken from node:crypto so the
// drift engine stays pure (it runs unchanged wherever shared/ runs) and so the id never changes
// with a runtime: ids are stored by the collector, used as SARIF fingerprints and in acks, so
// this function is frozen — changing it would reopen every finding everywhere.
//
// Two independent 32-bit FNV-1a variants over the UTF-16 code units give 64 bits: at a million
// findings the chance of any collision is about 3e-8.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
// A second lane with a different offset and a different final mix, so the halves are not
// correlated.
const LANE2_OFFSET = 0x050c5d1f;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 16 lowercase hex digits. */
export function stableHash(text: string): string {
  let a = FNV_OFFSET;
  let b = LANE2_OFFSET;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, FNV_PRIME) ^ (b >>> 15);
  }
  return (
    fmix(a).toString(16).padStart(8, '0') +
    fmix(b ^ text.length)
      .toString(16)
      .padStart(8, '0')
  );
}
