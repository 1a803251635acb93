// `fix --environment --apply`: the only AWS calls portdrift makes that change anything. Each is
// one call of the write policy (deploy/aws/portdrift-write.json), with the same credential chain,
// endpoint overrides and adaptive retry as the reads. A failed call is reported, never retried by
// hand: the caller records it and goes on with the next one.
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import type { AwsCall } from '../../../fix/environment.js';
import { type CredentialProvider, resolveCredentials } from '../credentials.js';
import { ec2Client } from '../ec2.js';
import { rdsClient } from '../rds.js';

/** Every write operation, as IAM actions (deploy/aws/portdrift-write.json grants exactly these). */
export const AWS_WRITE_ACTIONS = [
  'ec2:RevokeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupIngress',
  'rds:ModifyDBInstance',
] as const;

export interface WriteOptions {
  profile?: string;
  roleArn?: string;
}

export interface CallOutcome {
  ok: boolean;
  /** The API's answer in one line: the request id, or the error name and message. */
  detail: string;
  /** PD_AWS_ACCESS_DENIED / PD_AWS_API when `ok` is false. */
  code?: string;
}

const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

/** A caller for the calls of several regions, with one credential resolution (PD_AWS_AUTH when none). */
export async function awsWriter(
  o: WriteOptions,
  firstRegion: string,
): Promise<{ call(c: AwsCall): Promise<CallOutcome>; close(): void }> {
  const profile = o.profile !== undefined ? { profile: o.profile } : {};
  const role = o.roleArn ? { roleArn: o.roleArn } : {};
  const credentials: CredentialProvider = await resolveCredentials({ region: firstRegion, ...profile, ...role });
  const clients: { destroy(): void }[] = [];
  const config = (region: string) => ({ region, credentials, retryMode: 'adaptive', maxAttempts: 5, ...profile });
  const ec2 = new Map<string, ReturnType<typeof ec2Client>>();
  const rds = new Map<string, ReturnType<typeof rdsClient>>();
  const once = <T extends { destroy(): void }>(m: Map<string, T>, region: string, make: () => T): T => {
    let c = m.get(region);
    if (!c) {
      c = make();
      m.set(region, c);
      clients.push(c);
    }
    return c;
  };
  return {
    async call(c: AwsCall): Promise<CallOutcome> {
      try {
        let id: string | undefined;
        if (c.operation === 'ModifyDBInstance') {
          const client = once(rds, c.region, () => rdsClient(config(c.region)));
          id = (await client.send(new ModifyDBInstanceCommand(c.input))).$metadata.requestId;
        } else {
          const client = once(ec2, c.region, () => ec2Client(config(c.region)));
          const out =
            c.operation === 'RevokeSecurityGroupIngress'
              ? await client.send(new RevokeSecurityGroupIngressCommand(c.input))
              : await client.send(new AuthorizeSecurityGroupIngressCommand(c.input));
          id = out.$metadata.requestId;
        }
        return { ok: true, detail: `request ${id ?? '(no id)'}` };
      } catch (err) {
        const name = (err as Error).name;
        const text = ((err as Error).message || name).split('\n')[0]!;
        const code = DENIED.has(name) ? 'PD_AWS_ACCESS_DENIED' : 'PD_AWS_API';
        return { ok: false, detail: `${name}: ${text}`, code };
      }
    },
    close(): void {
      for (const c of clients) c.destroy();
    },
  };
}
