// Work claimed in a shared outbox (a report, a webhook alert) is this process's only while its
// claim holds, and a claim lapses unless renewed: a send that outlasts it could be made twice.
// So while the send lasts the claim is renewed on a timer. A failed renewal is left to the next
// one (a claim outlives two late renewals: collector/store/postgres/lease.ts leaseTimings).

/** How often a claim is renewed when nothing says otherwise (a 15 s claim: the default lease's). */
export const DEFAULT_CLAIM_RENEW_MS = 5000;

/** `work`, with `renew` called every `everyMs` until it settles; just `work` when there is no claim to keep. */
export async function whileRenewing<T>(
  renew: (() => Promise<void>) | undefined,
  everyMs: number,
  work: () => Promise<T>,
): Promise<T> {
  if (!renew) return work();
  const timer = setInterval(() => void renew().catch(() => undefined), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
