// `--state-from-backend`: the state a Terraform root's `backend "s3"` block names, so a scan of a
// root reads the same state `terraform plan` would, with no --state. bucket, key and region must be
// literals (a backend block cannot use variables anyway); `-backend-config` values given to
// `terraform init` are not known here: pass --state s3://… then. The default workspace's key is
// `key`; with TF_WORKSPACE set to another workspace it is `workspace_key_prefix/NAME/key`
// (prefix `env:` by default), as the S3 backend stores it.
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { PortdriftError } from '../../errors.js';
import { type HclBody, parseHcl } from '../../iac/terraform/hcl/parse-file.js';
import type { Env } from './http.js';

export interface BackendState {
  /** `s3://bucket/key` */
  url: string;
  region?: string;
  /** The file of the block, relative to the working directory. */
  file: string;
}

const blocks = (v: unknown): HclBody[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []) as HclBody[];

/** The s3 backend blocks of the `.tf` files directly in each root (a directory, or a file's own). */
export async function backendStates(paths: readonly string[], cwd: string, env: Env): Promise<BackendState[]> {
  const roots = new Set<string>();
  for (const p of paths.length > 0 ? paths : ['.']) {
    const abs = resolve(cwd, p);
    const s = await stat(abs).catch(() => undefined);
    if (s) roots.add(s.isDirectory() ? abs : dirname(abs));
  }
  const out: BackendState[] = [];
  const problems: string[] = [];
  for (const root of [...roots].sort()) {
    const names = (await readdir(root).catch(() => [] as string[])).filter((n) => n.endsWith('.tf')).sort();
    for (const name of names) {
      const file = relative(cwd, join(root, name)) || name;
      const text = await readFile(join(root, name), 'utf8').catch(() => '');
      if (!/\bbackend\s+"s3"/.test(text)) continue;
      let body: HclBody;
      try {
        body = await parseHcl(file, text);
      } catch {
        continue; // the extraction reports the parse error with its line
      }
      for (const tf of blocks(body.terraform)) {
        for (const backend of blocks(tf.backend)) {
          for (const s3 of blocks((backend as Record<string, unknown>).s3)) {
            const r = fromBlock(s3, env);
            if (typeof r === 'string') problems.push(`${file}: backend "s3": ${r}`);
            else out.push({ ...r, file });
          }
        }
      }
    }
  }
  if (problems.length > 0) throw new PortdriftError('PD_STATE_INVALID', `--state-from-backend: ${problems.join('; ')}`);
  if (out.length === 0) {
    const where = paths.length > 0 ? paths.join(', ') : '.';
    throw new PortdriftError('PD_IAC_PATH', `--state-from-backend: no backend "s3" block in the .tf files of ${where}`);
  }
  return out;
}

function fromBlock(b: Record<string, unknown>, env: Env): Omit<BackendState, 'file'> | string {
  const literal = (k: string): string | undefined | null => {
    const v = b[k];
    if (v === undefined) return undefined;
    return typeof v === 'string' && v !== '' && !v.includes('${') ? v : null;
  };
  const bucket = literal('bucket');
  const key = literal('key');
  const region = literal('region');
  const prefix = literal('workspace_key_prefix');
  const missing = [bucket ? '' : 'bucket', key ? '' : 'key'].filter(Boolean);
  if (missing.length > 0) {
    return `${missing.join(' and ')} must be set as literal strings (else pass --state s3://BUCKET/KEY)`;
  }
  if (region === null || prefix === null) return 'region and workspace_key_prefix must be literal strings';
  const workspace = env.TF_WORKSPACE && env.TF_WORKSPACE !== 'default' ? env.TF_WORKSPACE : undefined;
  const path = workspace ? `${prefix ?? 'env:'}/${workspace}/${key!}` : key!;
  return { url: `s3://${bucket!}/${path}`, ...(region ? { region } : {}) };
}
