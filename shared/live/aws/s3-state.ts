// Terraform state in S3 (`--state s3://bucket/key`, `backend "s3"`): GetObject and ListObjectsV2
// over S3's REST API, signed with the SDK's SigV4 signer and the same credential chain as
// `--live aws` (credentials.ts). No S3 client package: two GETs need no more than the signer.
//
// Addressing: virtual-hosted (`https://BUCKET.s3.REGION.amazonaws.com/KEY`) against AWS; path-style
// (`ENDPOINT/BUCKET/KEY`) when an endpoint override is given (AWS_ENDPOINT_URL_S3, then
// AWS_ENDPOINT_URL), as LocalStack, MinIO and moto expect. A bucket in another region than the one
// asked answers 301 with `x-amz-bucket-region`: the request is signed again for that region, once.
//
// Credentials never reach a message: errors name the bucket, key and S3 error code only.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
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

/** node:crypto as the signer's hash (SHA-256, HMAC when given a secret). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

class Sha256 {
  private hash;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret !== undefined ? bytes(secret) : undefined;
    this.hash = this.secret !== undefined ? createHmac('sha256', this.secret) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.secret !== undefined ? createHmac('sha256', this.secret) : createHash('sha256');
  }
}

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

export async function s3Session(o: S3Options): Promise<S3Session> {
  let region = o.region ?? o.env.AWS_REGION ?? (await sdkRegion(o.profile));
  const credentials: () => Promise<AwsCredentialIdentity> = await resolveCredentials({
    region,
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
  });
  const endpoint = o.env.AWS_ENDPOINT_URL_S3 ?? o.env.AWS_ENDPOINT_URL;
  const base = (bucket: string, r: string): URL =>
    endpoint
      ? new URL(`${endpoint.replace(/\/+$/, '')}/${bucket}/`)
      : bucket.includes('.')
        ? new URL(`https://s3.${r}.amazonaws.com/${bucket}/`)
        : new URL(`https://${bucket}.s3.${r}.amazonaws.com/`);

  const send = async (bucket: string, path: string, query: Record<string, string>): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      // Encoded as SigV4 canonicalises (RFC 3986), so the URL sent is the one signed.
      const url = new URL(base(bucket, region).href + path.split('/').map(rfc3986).join('/'));
      url.search = Object.entries(query).map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
      const signer = new SignatureV4({ service: 's3', region, credentials, sha256: Sha256, uriEscapePath: false });
      const signed = await signer.sign({
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      });
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
      const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
      const moved = res.headers.get('x-amz-bucket-region');
      if (attempt === 0 && (res.status === 301 || res.status === 400) && moved && moved !== region) {
        await res.body?.cancel();
        region = moved;
        continue;
      }
      return res;
    }
  };

  const failure = async (res: Response, what: string): Promise<string> => {
    const xml = await res.text().catch(() => '');
    const code = /<Code>([^<]{1,80})<\/Code>/.exec(xml)?.[1] ?? `HTTP ${res.status}`;
    return `${what}: S3 answered ${res.status} ${code}`;
  };

  return {
    async get(bucket, key) {
      const res = await send(bucket, key, {});
      if (res.ok) return { ok: true, text: await res.text() };
      const message = await failure(res, 'cannot read Terraform state');
      return { ok: false, missing: res.status === 404, message };
    },
    async list(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const query: Record<string, string> = { 'list-type': '2', prefix };
        if (token) query['continuation-token'] = token;
        const res = await send(bucket, '', query);
        if (!res.ok) {
          const message = await failure(res, `cannot list s3://${bucket}/${prefix}`);
          throw new PortdriftError(res.status === 404 ? 'PD_IAC_PATH' : 'PD_STATE_FETCH', `--state ${message}`);
        }
        const xml = await res.text();
        for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescapeXml(m[1]!));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? unescapeXml(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
          : undefined;
        if (!token) break;
      }
      return keys;
    },
  };
}

const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}
