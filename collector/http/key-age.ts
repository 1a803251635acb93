// Agent keys rotated by age (config `agentKeyMaxAge`): an enrolled key older than the limit is
// put under rotation on the request that finds it old, exactly as `portdrift agents rotate` does,
// so the agent's next request receives its new key and the old one ends at its first use — no
// gap, and no operator in the loop. Keys made with `token create` are left alone: their agent
// reads its token from a file it does not write and could not keep a new one.
import type { Store, TokenRecord } from '../store/types.js';

/** How long the old key lives when the agent never comes back for its new one (as `agents rotate`). */
export const ROTATION_GRACE_MS = 24 * 3_600_000;

export function keyTooOld(token: TokenRecord, maxAgeMs: number | undefined, now: string): boolean {
  if (maxAgeMs === undefined || token.role !== 'agent' || token.enrolledBy === undefined) return false;
  if (token.rotateBy !== undefined || token.newKey !== undefined) return false; // already under way
  return Date.parse(now) - Date.parse(token.createdAt) > maxAgeMs;
}

/** Start the rotation of `token` when it is older than `maxAgeMs`; its next request gets the new key. */
export async function rotateIfOld(store: Store, token: TokenRecord, maxAgeMs: number | undefined, now: string) {
  if (!keyTooOld(token, maxAgeMs, now)) return;
  const by = new Date(Date.parse(now) + ROTATION_GRACE_MS).toISOString();
  await store.rotateAgent(token.name, now, by);
}
