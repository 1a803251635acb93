// Terraform state in S3 (`--state s3://bucket/key`, `backend "s3"`): GetObject and ListObjectsV2
// through the SDK's S3 client, with the same credential chain as `--live aws` (credentials.ts).
//
// Addressing: virtual-hosted against AWS; path-style (`ENDPOINT/BUCKET/KEY`) when an endpoint
// override is given (AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL), as LocalStack, MinIO and moto
// expect. A bucket in another region than the one asked answers 301 with `x-amz-bucket-region`:
// the client's region redirect asks again in that region.
//
// Credentials never reach a message: errors name the bucket, key and S3 error code only.
import { GetObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { PortdriftError } from '../../errors.js';
import { resolveCredentials } from './credentials.js';
import { ec2Client } from './ec2.js';

export interface S3Options {
  env: Readonly<Record<string, string | undefined>>;
  /** The bucket's region (a backend block names it); default: the SDK's region, then us-east-1. */
  region?: string;
  profile?: string;
}

/** What a GET of a state object gave: the text, or why not (`missing` is a 404: PD_IAC_PATH). */
export type S3Result = { ok: true; text: string } | { ok: false; missing: boolean; message: string };

/** The IAM actions of the state reader's S3 calls (ListObjectsV2 is authorized by s3:ListBucket). */
export const S3_STATE_ACTIONS = ['s3:GetObject', 's3:ListBucket'] as const;

async function sdkRegion(profile: string | undefined): Promise<string> {
  const probe = ec2Client(profile !== undefined ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    return 'us-east-1';
  } finally {
    probe.destroy();
  }
}

export interface S3Session {
  get(bucket: string, key: string): Promise<S3Result>;
  /** Every key under `prefix`, paginated (ListObjectsV2, 1000 a page, at most 100 pages). */
  list(bucket: string, prefix: string): Promise<string[]>;
}

/** An S3 error → `S3 answered 404 NoSuchKey`, its status, never anything of the request. */
function answered(err: unknown): { status: number | undefined; text: string } {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const code = e.Code ?? e.name ?? 'Error';
  return { status, text: status !== undefined ? `S3 answered ${status} ${code}` : `S3 request failed: ${code}` };
}

export async function s3Session(o: S3Options): Promise<S3Session> {
  const region = o.region ?? o.env.AWS_REGION ?? (await sdkRegion(o.profile));
  const profile = o.profile !== undefined ? { profile: o.profile } : {};
  const credentials = await resolveCredentials({ region, ...profile });
  const endpoint = o.env.AWS_ENDPOINT_URL_S3 ?? o.env.AWS_ENDPOINT_URL;
  const client = new S3Client({
    region,
    credentials,
    ...profile,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    followRegionRedirects: true,
    maxAttempts: 3,
    requestHandler: { requestTimeout: 30_000 },
  });
  return {
    async get(bucket, key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return { ok: true, text: (await out.Body?.transformToString('utf8')) ?? '' };
      } catch (err) {
        const { status, text } = answered(err);
        return { ok: false, missing: status === 404, message: `cannot read Terraform state: ${text}` };
      }
    },
    async list(bucket, prefix) {
      const keys: string[] = [];
      let pages = 0;
      try {
        const input = { Bucket: bucket, Prefix: prefix };
        for await (const page of paginateListObjectsV2({ client, pageSize: 1000 }, input)) {
          for (const c of page.Contents ?? []) if (c.Key !== undefined) keys.push(c.Key);
          if (++pages >= 100) break;
        }
      } catch (err) {
        const { status, text } = answered(err);
        const message = `--state cannot list s3://${bucket}/${prefix}: ${text}`;
        throw new PortdriftError(status === 404 ? 'PD_IAC_PATH' : 'PD_STATE_FETCH', message, { cause: err });
      }
      return keys;
    },
  };
}
