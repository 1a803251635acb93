// API tokens: 32 random bytes, shown once, stored only as their SHA-256. A token of that entropy
// needs no slow password hash (nothing to brute-force); the hash is what a stolen database holds.
// The prefix `pdt_` makes a leaked token easy to find with secret scanners.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PortdriftError } from '../../shared/errors.js';
import type { NewToken, TokenRecord } from './types.js';

export const TOKEN_PREFIX = 'pdt_';

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests (the lookup is by hash; this re-checks it). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/** A live token by id or name, or PD_TOKEN when none or several match. */
export function oneLiveToken(rows: TokenRecord[], idOrName: string): TokenRecord {
  const live = rows.filter((t) => t.revokedAt === null);
  if (live.length === 0) throw new PortdriftError('PD_TOKEN', `no live token with id or name "${idOrName}"`);
  if (live.length > 1)
    throw new PortdriftError(
      'PD_TOKEN',
      `${live.length} live tokens are named "${idOrName}"; revoke one by id (${live.map((r) => r.id).join(', ')})`,
    );
  return live[0]!;
}

/** A new token's secret and what its record says (the caller stores the hash). */
export function mintToken(input: NewToken): { token: string; record: TokenRecord } {
  const token = newToken();
  const scope = input.scope ? [...input.scope] : null;
  const { name, role, now } = input;
  const record = { id: newId('tok'), name, role, createdAt: now, revokedAt: null, lastUsedAt: null, scope };
  return {
    token,
    record:
      role === 'enroll'
        ? { ...record, expiresAt: input.expiresAt ?? null, maxUses: input.maxUses ?? null, uses: 0 }
        : record,
  };
}
