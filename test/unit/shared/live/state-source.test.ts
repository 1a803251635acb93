// The pure parts of the remote state sources: how URLs are named in messages (never a secret),
// how tfc:// and the TF_TOKEN_<host> variable are read, and what a glob matches.
import { describe, expect, it } from 'vitest';
import { literalPrefix, pathGlob } from '../../../../shared/live/state/glob.js';
import { httpAuth } from '../../../../shared/live/state/http.js';
import { parseTfcUrl, tokenVariable } from '../../../../shared/live/state/tfc.js';
import { isStateUrl, shownUrl } from '../../../../shared/live/state/url.js';

describe('state source URLs', () => {
  it('are named without user info or query', () => {
    expect(shownUrl('https://u:p@state.example.com/s/shop?token=abc')).toBe('https://state.example.com/s/shop?…');
    expect(shownUrl('s3://b/k')).toBe('s3://b/k');
    expect(isStateUrl('s3://b/k')).toBe(true);
    expect(isStateUrl('envs/prod/terraform.tfstate')).toBe(false);
    expect(isStateUrl('C:\\state.tfstate')).toBe(false);
  });

  it('tfc:// names ORG/WORKSPACE on app.terraform.io, TF_CLOUD_HOSTNAME, or HOST/ORG/WORKSPACE', () => {
    expect(parseTfcUrl('tfc://acme/shop', {})).toEqual({ host: 'app.terraform.io', org: 'acme', workspace: 'shop' });
    expect(parseTfcUrl('tfc://acme/shop', { TF_CLOUD_HOSTNAME: 'tfe.corp' }).host).toBe('tfe.corp');
    expect(parseTfcUrl('tfc://tfe.corp/acme/shop', {}).host).toBe('tfe.corp');
    expect(() => parseTfcUrl('tfc://acme', {})).toThrow(/tfc:\/\/ORG\/WORKSPACE/);
  });

  it('the token variable is named as Terraform names it', () => {
    expect(tokenVariable('app.terraform.io')).toBe('TF_TOKEN_app_terraform_io');
    expect(tokenVariable('tfe-1.corp.example:8443')).toBe('TF_TOKEN_tfe__1_corp_example');
  });

  it('HTTP auth: PORTDRIFT_STATE_HTTP_AUTH wins, else basic from TF_HTTP_USERNAME / TF_HTTP_PASSWORD', () => {
    expect(httpAuth({ PORTDRIFT_STATE_HTTP_AUTH: 'Bearer x', TF_HTTP_USERNAME: 'u' })).toBe('Bearer x');
    expect(httpAuth({ TF_HTTP_USERNAME: 'u', TF_HTTP_PASSWORD: 'p' })).toBe(`Basic ${btoa('u:p')}`);
    expect(httpAuth({})).toBeUndefined();
  });

  it('a glob star stays within one segment; the S3 prefix is what comes before the first wildcard', () => {
    const matches = pathGlob('envs/*/terraform.tfstate');
    expect(matches('envs/prod/terraform.tfstate')).toBe(true);
    expect(matches('envs/prod/old/terraform.tfstate')).toBe(false);
    expect(matches('envs/prod/terraform.tfstate.backup')).toBe(false);
    expect(literalPrefix('envs/*/terraform.tfstate')).toBe('envs/');
  });
});
