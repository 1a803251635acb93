// What an AWS SDK error means for a live read. Rejected credentials stop the whole read (every
// other call would fail the same way): PD_AWS_AUTH. A denied operation is a problem naming the
// IAM action, and the other operations are still read. Anything else that survives the SDK's
// retries (throttling is retried by the adaptive retry mode) is a problem too, never a crash.
import { PortdriftError } from '../../errors.js';
import type { LiveSummary } from '../../types.js';

const AUTH = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException', 'UnauthorizedAccess']);

export type LiveProblem = LiveSummary['problems'][number];

/**
 * Runs one paginated read; a denied or failed read becomes a problem and `[]`. `operation` may be
 * a function for a read of several calls (ECS): it names the call that was running when it failed.
 */
export async function guarded<T>(
  region: string,
  operation: string | (() => string),
  problems: LiveProblem[],
  read: () => Promise<T[]>,
): Promise<T[]> {
  try {
    return await read();
  } catch (err) {
    const action = typeof operation === 'string' ? operation : operation();
    const name = (err as Error).name;
    const text = ((err as Error).message || name).split('\n')[0]!;
    if (AUTH.has(name)) {
      const message = `AWS rejected the credentials (${name}) on ${action} in ${region}: ${text}`;
      throw new PortdriftError('PD_AWS_AUTH', message, { cause: err });
    }
    if (DENIED.has(name)) {
      const message =
        `${action} was denied (${name}): grant the IAM action ${action} ` +
        '(deploy/aws/portdrift-readonly.json); nothing of it was read';
      problems.push({ region, operation: action, code: 'PD_AWS_ACCESS_DENIED', message });
    } else {
      problems.push({ region, operation: action, code: 'PD_AWS_API', message: `${action} failed: ${name}: ${text}` });
    }
    return [];
  }
}

/** AWS tag lists → a plain object. */
type Tag = { Key?: string | undefined; Value?: string | undefined };

export function tagsOf(list: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
