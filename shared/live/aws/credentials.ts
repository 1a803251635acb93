// Credentials for the live readers: the SDK's default chain (@aws-sdk/credential-providers
// fromNodeProviderChain), optionally for a named profile, optionally assuming a role on top.
// They are resolved once, before any read, so "no credentials" is one PD_AWS_AUTH error that says
// where the chain looked, instead of one failure per service and region.
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { PortdriftError } from '../../errors.js';

export type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;

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
  const provider: CredentialProvider = o.roleArn
    ? fromTemporaryCredentials({
        masterCredentials: base,
        params: { RoleArn: o.roleArn, RoleSessionName: 'portdrift' },
        clientConfig: { region: o.region },
      })
    : base;
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
