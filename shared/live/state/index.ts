// Where `--state` comes from: local files (and globs over them), `s3://bucket/key` (and globs over
// an S3 prefix), Terraform's HTTP backend (`https://…`), HCP Terraform / TFE (`tfc://…`), or, with
// `--state-from-backend`, the `backend "s3"` block of the IaC root. Each source's text goes through
// the same parser as a state file (shared/iac/state.ts), so a URL that holds no Terraform state
// is PD_STATE_INVALID naming the URL, and a missing one PD_IAC_PATH, as for files.
//
// The AWS SDK is loaded only for an `s3://` source. Secrets (tokens, passwords, keys) come from the
// environment and never appear in a message: sources are named by shownUrl().
import { PortdriftError } from '../../errors.js';
import type { S3Session } from '../aws/s3-state.js';
import { parseState, readStateFile, type StateHosts } from '../../iac/state.js';
import type { Fetched } from './fetched.js';
import { MAX_MATCHES, globFiles, hasGlob, literalPrefix, pathGlob } from './glob.js';
import { type Env, readHttpState } from './http.js';
import { readTfcState } from './tfc.js';
import { isStateUrl, schemeOf, shownUrl, usage } from './url.js';

export { isStateUrl };
export { backendStates } from './backend.js';

export interface StateSourceOptions {
  cwd: string;
  env: Env;
  /** The region of a bucket, when known (a backend block names it). */
  bucketRegions?: ReadonlyMap<string, string>;
  /** The AWS profile for `s3://` (default: AWS_PROFILE, then `default`, as the SDK reads them). */
  awsProfile?: string;
}

const SUPPORTED = 'a file, a glob, s3://BUCKET/KEY, https://… (Terraform HTTP backend) or tfc://[HOST/]ORG/WORKSPACE';

export function parseS3Url(source: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/i.exec(source);
  if (!m) throw usage(`--state ${source}: expected s3://BUCKET/KEY`);
  return { bucket: m[1]!, key: m[2]! };
}

/** One S3 session per bucket region, made on first use (credentials are resolved once each). */
function s3Sessions(o: StateSourceOptions): (bucket: string) => Promise<S3Session> {
  const sessions = new Map<string, Promise<S3Session>>();
  return (bucket) => {
    const region = o.bucketRegions?.get(bucket);
    const k = region ?? '';
    let s = sessions.get(k);
    if (!s) {
      const profile = o.awsProfile !== undefined ? { profile: o.awsProfile } : {};
      const options = { env: o.env, ...(region ? { region } : {}), ...profile };
      s = import('../aws/s3-state.js').then(({ s3Session }) => s3Session(options));
      sessions.set(k, s);
    }
    return s;
  };
}

export interface StateSources {
  /** `--state` arguments with every glob replaced by what it matches (sorted), URLs kept as given. */
  expand(args: readonly string[]): Promise<string[]>;
  /** Reads one source (a path or a URL) into hosts and ids, as readStateFile does for a file. */
  read(source: string, shown: string): Promise<StateHosts>;
}

export function stateSources(o: StateSourceOptions): StateSources {
  const s3 = s3Sessions(o);
  const fetchText = async (source: string): Promise<Fetched> => {
    switch (schemeOf(source)) {
      case 's3': {
        const { bucket, key } = parseS3Url(source);
        const r = await (await s3(bucket)).get(bucket, key);
        return r.ok ? r : { ok: false, code: r.missing ? 'PD_IAC_PATH' : 'PD_STATE_FETCH', message: r.message };
      }
      case 'https':
      case 'http':
        return readHttpState(source, o.env);
      case 'tfc':
        return readTfcState(source, o.env);
      default:
        throw usage(`--state ${shownUrl(source)}: unsupported scheme; expected ${SUPPORTED}`);
    }
  };
  return {
    async expand(args) {
      const out: string[] = [];
      for (const a of args) {
        if (!hasGlob(a) || /^(https?|tfc):/i.test(a)) {
          out.push(a);
          continue;
        }
        const matches = schemeOf(a) === 's3' ? await s3Glob(a, s3) : await globFiles(a, o.cwd);
        if (matches.length === 0) throw new PortdriftError('PD_IAC_PATH', `--state ${a}: nothing matches`);
        if (matches.length > MAX_MATCHES) {
          throw new PortdriftError('PD_USAGE', `--state ${a}: more than ${MAX_MATCHES} matches; narrow the glob`);
        }
        out.push(...matches);
      }
      return out;
    },
    async read(source, shown) {
      if (!isStateUrl(source)) return readStateFile(source, shown);
      const name = shownUrl(source);
      const r = await fetchText(source);
      if (!r.ok) return { hosts: new Map(), problems: [{ file: name, code: r.code, message: r.message }] };
      return parseState(r.text, name);
    },
  };
}

async function s3Glob(pattern: string, s3: (bucket: string) => Promise<S3Session>): Promise<string[]> {
  const { bucket, key } = parseS3Url(pattern);
  const matches = pathGlob(key);
  const keys = await (await s3(bucket)).list(bucket, literalPrefix(key));
  return keys.filter(matches).map((k) => `s3://${bucket}/${k}`);
}
