// Credentials for the live readers: the SDK's default chain (@aws-sdk/credential-providers
// fromNodeProviderChain), optionally for a named profile, optionally assuming a role on top.
// They are resolved once, before any read, so "no credentials" is one PD_AWS_AUTH error that says
// where the chain looked, instead of one failure per service and region.
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { PortdriftError } from '../../errors.js';

type Identity = Awaited<ReturnType<ReturnType<typeof fromNodeProviderChain>>>;
export type CredentialProvider = () => Promise<Identity>;

/**
 * One resolution shared by every client, renewed 5 minutes before it expires: the default chain
 * memoizes itself, an assumed role does not (each client would call AssumeRole again).
 */
function shared(provider: CredentialProvider): CredentialProvider {
  let current: Promise<Identity> | undefined;
  let renewAt = Infinity;
  return () => {
    if (!current || Date.now() >= renewAt) {
      const next = provider();
      current = next;
      next.then(
        (id) => (renewAt = id.expiration ? id.expiration.getTime() - 300_000 : Infinity),
        () => (current = undefined),
      );
    }
    return current;
  };
}

export interface CredentialOptions {
  profile?: string;
  roleArn?: string;
  /** Region for STS when a role is assumed. */
  region: string;
}

/** Where the default chain looks, in its order, for the PD_AWS_AUTH message. */
export function chainText(profile: string | undefined): string {
  const p = profile ?? 'AWS_PROFILE or default';
  return (
    'environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), ' +
    `shared files (~/.aws/credentials, ~/.aws/config, profile ${p}: keys, SSO, credential_process, assumed role), ` +
    'web identity (AWS_WEB_IDENTITY_TOKEN_FILE), container credentials (AWS_CONTAINER_CREDENTIALS_*), ' +
    'instance metadata (IMDS, unless AWS_EC2_METADATA_DISABLED=true)'
  );
}

export async function resolveCredentials(o: CredentialOptions): Promise<CredentialProvider> {
  const base = fromNodeProviderChain(o.profile !== undefined ? { profile: o.profile } : {});
  const provider: CredentialProvider = shared(
    o.roleArn
      ? fromTemporaryCredentials({
          masterCredentials: base,
          params: { RoleArn: o.roleArn, RoleSessionName: 'portdrift' },
          clientConfig: { region: o.region },
        })
      : base,
  );
  try {
    const creds = await provider();
    if (creds.expiration && creds.expiration.getTime() <= Date.now()) {
      const at = creds.expiration.toISOString();
      const message = `AWS credentials expired at ${at}: refresh them (aws sso login, new session keys)`;
      throw new PortdriftError('PD_AWS_AUTH', message);
    }
  } catch (err) {
    if (err instanceof PortdriftError) throw err;
    const why = (err as Error).message.split('\n')[0];
    const role = o.roleArn ? ` (then assume ${o.roleArn})` : '';
    const message = `no usable AWS credentials${role}: ${why}. Looked in: ${chainText(o.profile)}`;
    throw new PortdriftError('PD_AWS_AUTH', message, { cause: err });
  }
  return provider;
}
