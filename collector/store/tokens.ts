// API tokens: 32 random bytes, shown once, stored only as their SHA-256. A token of that entropy
// needs no slow password hash (nothing to brute-force); the hash is what a stolen database holds.
// The prefix `pdt_` makes a leaked token easy to find with secret scanners.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PortdriftError } from '../../shared/errors.js';
import { tokenRow, type Row } from './rows.js';
import type { EnrollInput, NewToken, TokenRecord } from './types.js';

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

/** Whether the row a lookup by `hash` found is that token's (re-checked in constant time) and not revoked. */
export function isLiveTokenRow(row: Row | undefined, hash: string): row is Row {
  return !!row && sameHash(row.hash as string, hash) && !row.revoked_at;
}

/** The enroll secret's record from the row a lookup by its `hash` found; PD_ENROLL_SECRET_INVALID when it is none. */
export function enrollSecretRecord(row: Row | undefined, hash: string): TokenRecord {
  if (!row || !sameHash(row.hash as string, hash) || row.role !== 'enroll') throw unknownEnrollSecret();
  const t = tokenRow(row);
  t.uses = Number(row.uses ?? 0);
  return t;
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

/**
 * The values of a `token create` row, in the order both stores insert them: id, name, role,
 * hash, created_at, scope (JSON), expires_at, max_uses.
 */
export function createdTokenValues(made: { token: string; record: TokenRecord }, input: NewToken): unknown[] {
  const { id, name, role, createdAt, scope } = made.record;
  const scopeJson = scope ? JSON.stringify(scope) : null;
  return [id, name, role, hashToken(made.token), createdAt, scopeJson, input.expiresAt ?? null, input.maxUses ?? null];
}

/**
 * A new agent key and the values of its row, in the order both stores insert them: id, name,
 * hash, created_at, scope (JSON), enrolled_by, identity (JSON), predecessor (role is `agent`).
 */
export interface NewAgentKey {
  key: string;
  id: string;
  values: unknown[];
}

function agentKey(name: unknown, now: string, rest: [unknown, unknown, unknown, unknown]): NewAgentKey {
  const key = newToken();
  const id = newId('tok');
  return { key, id, values: [id, name, hashToken(key), now, ...rest] };
}

/** The first key of an agent that enrolls with the enroll secret `secretId`. */
export function enrolledKey(input: EnrollInput, secretId: string): NewAgentKey {
  const scope = JSON.stringify([...input.scope]);
  return agentKey(input.name, input.now, [scope, secretId, JSON.stringify(input.identity), null]);
}

/**
 * The successor of the key `row` (as stored) under rotation: the same agent name, scope, enroll
 * secret and identity, with `row` as its predecessor until it is first used.
 */
export function successorKey(row: Row, now: string): NewAgentKey {
  return agentKey(row.name, now, [row.scope ?? null, row.enrolled_by ?? null, row.identity ?? null, row.id]);
}

/** last_used_at is kept at minute granularity: a request writes it only in a new minute. */
export function usedInNewMinute(lastUsedAt: string | null, now: string): boolean {
  return !lastUsedAt || lastUsedAt.slice(0, 16) !== now.slice(0, 16);
}

/**
 * One write of authenticating a key, which the store runs as its own statement (`now` as the
 * time): revoke a key, note its use, clear a key's predecessor, revoke the successors of a key
 * that were never used, insert a new agent key.
 */
export type KeyWrite =
  | { kind: 'revoke'; id: string }
  | { kind: 'used'; id: string }
  | { kind: 'clearPredecessor'; id: string }
  | { kind: 'revokeUnusedSuccessors'; predecessor: string }
  | { kind: 'insertKey'; values: unknown[] };

/**
 * Whether authenticating the key `row` is part of a rotation (it has a deadline, or a
 * predecessor): then the store re-reads and locks the row in a transaction, and runs
 * authentication() on that. Most requests are not: no transaction, one write a minute at most.
 */
export function inRotation(row: Row): boolean {
  return !!(row.rotate_by || row.predecessor);
}

/**
 * Authenticating the live key `row` at `now`: its record (null: the key is dead) and the writes
 * the store runs, in this order.
 *
 * Rotation without a gap and without two keys living on: `agents rotate NAME` marks the agent's
 * key with a deadline. The next request authenticated with it gets a new key (its successor,
 * stored as its hash, sent once in a response header). The old key keeps working only until the
 * new key is first used (then the old one is revoked) and never past the deadline. A new key
 * the agent did not receive (a lost answer) is replaced by the next one the old key gets.
 */
export function authentication(row: Row, now: string): { record: TokenRecord | null; writes: KeyWrite[] } {
  const id = row.id as string;
  // A key past its rotation deadline is dead: its agent missed the whole grace period.
  if (row.rotate_by && (row.rotate_by as string) <= now) return { record: null, writes: [{ kind: 'revoke', id }] };
  const writes: KeyWrite[] = [];
  // last_used_at at minute granularity: not one write per request.
  if (usedInNewMinute(row.last_used_at as string | null, now)) writes.push({ kind: 'used', id });
  // The first use of a rotated key ends its predecessor.
  if (row.predecessor) writes.push({ kind: 'revoke', id: row.predecessor as string }, { kind: 'clearPredecessor', id });
  const record = tokenRow({ ...row, last_used_at: now });
  if (row.rotate_by) {
    const { key, values } = successorKey(row, now);
    writes.push({ kind: 'revokeUnusedSuccessors', predecessor: id }, { kind: 'insertKey', values });
    record.newKey = key;
  }
  return { record, writes };
}

/** The live keys of an agent, or PD_TOKEN naming the agent when it has none. */
export function someLiveKeys(rows: TokenRecord[], name: string): TokenRecord[] {
  if (rows.length === 0) throw new PortdriftError('PD_TOKEN', `no live agent key for agent ${JSON.stringify(name)}`);
  return rows;
}

/**
 * Only an enrolled key can be rotated: an agent given a token made with `token create` reads it
 * from a file it does not write, so it could not keep a new key. PD_TOKEN names such tokens.
 */
export function checkRotatable(rows: TokenRecord[], name: string): void {
  const made = rows.filter((t) => t.enrolledBy === undefined);
  if (made.length === 0) return;
  const ids = made.map((t) => t.id).join(', ');
  const message =
    `agent ${JSON.stringify(name)} uses a token made with \`token create\` (${ids}), ` +
    'not an enrolled key: create a new token, give it to the agent, then `token revoke` the old one';
  throw new PortdriftError('PD_TOKEN', message);
}

/** PD_ENROLL_SECRET_INVALID: the secret is unknown, or not an enroll secret. */
export function unknownEnrollSecret(): PortdriftError {
  return new PortdriftError('PD_ENROLL_SECRET_INVALID', 'the enroll secret is unknown (or is not an enroll secret)');
}

/** Why an enroll secret may not enroll at `now` (revoked, expired, used up), or null when it may. */
export function enrollError(t: TokenRecord, now: string): PortdriftError | null {
  const which = `the enroll secret ${t.name} (${t.id})`;
  if (t.revokedAt !== null)
    return new PortdriftError('PD_ENROLL_SECRET_REVOKED', `${which} was revoked at ${t.revokedAt}`);
  if (t.expiresAt && t.expiresAt <= now) {
    return new PortdriftError('PD_ENROLL_SECRET_EXPIRED', `${which} expired at ${t.expiresAt}`);
  }
  if (t.maxUses != null && (t.uses ?? 0) >= t.maxUses) {
    const message = `${which} has enrolled its ${t.maxUses} agent(s) (--max-uses)`;
    return new PortdriftError('PD_ENROLL_SECRET_EXHAUSTED', message);
  }
  return null;
}

/** PD_AGENT_NAME_TAKEN when live agent keys (`heldBy`, their ids) hold the name an agent enrolls under. */
export function checkNameFree(name: string, heldBy: string[]): void {
  if (heldBy.length === 0) return;
  const message =
    `agent name ${JSON.stringify(name)} is held by a live agent key (${heldBy.join(', ')}); ` +
    `run \`portdrift agents revoke ${name}\` first to re-enroll it under that name, or use another --name`;
  throw new PortdriftError('PD_AGENT_NAME_TAKEN', message, { details: { name } });
}
