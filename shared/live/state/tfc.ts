// HCP Terraform / Terraform Enterprise (`--state tfc://ORG/WORKSPACE`, `tfc://HOST/ORG/WORKSPACE`):
// the workspace's current state version through the API, as `terraform state pull` reads it:
//   GET /api/v2/organizations/ORG/workspaces/WORKSPACE          → the workspace id
//   GET /api/v2/workspaces/WS_ID/current-state-version          → hosted-state-download-url
//   GET that URL                                                → the raw state
// The host is app.terraform.io unless the URL or TF_CLOUD_HOSTNAME names another. The token is
// read as Terraform reads it, from TF_TOKEN_<host> (dots as `_`, hyphens as `__`:
// TF_TOKEN_app_terraform_io), and is sent to the download URL only on the API's own origin.
import type { Fetched } from './fetched.js';
import { type Env, getText } from './http.js';
import { isLoopback, networkReason, usage } from './url.js';

export interface TfcWorkspace {
  host: string;
  org: string;
  workspace: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

export function parseTfcUrl(source: string, env: Env): TfcWorkspace {
  const parts = source
    .replace(/^tfc:\/\//i, '')
    .replace(/\/+$/, '')
    .split('/');
  const [host, org, workspace] =
    parts.length === 2 ? [env.TF_CLOUD_HOSTNAME || 'app.terraform.io', parts[0]!, parts[1]!] : parts;
  if (parts.length < 2 || parts.length > 3 || !host || !org || !workspace || !NAME.test(org) || !NAME.test(workspace)) {
    throw usage(`--state ${source}: expected tfc://ORG/WORKSPACE or tfc://HOST/ORG/WORKSPACE`);
  }
  return { host, org, workspace };
}

/** TF_TOKEN_<host> as Terraform names it (the port is not part of the name). */
export function tokenVariable(host: string): string {
  const name = host.replace(/:\d+$/, '').replace(/-/g, '__').replace(/\./g, '_');
  return `TF_TOKEN_${name}`;
}

const attr = (doc: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    doc,
  );

export async function readTfcState(source: string, env: Env): Promise<Fetched> {
  const ws = parseTfcUrl(source, env);
  const hostname = ws.host.replace(/:\d+$/, '');
  const api = new URL(`${isLoopback(hostname) ? 'http' : 'https'}://${ws.host}/`);
  const variable = tokenVariable(ws.host);
  const token = env[variable];
  if (!token) {
    return { ok: false, code: 'PD_STATE_FETCH', message: `no API token: set ${variable} (as for terraform login)` };
  }
  const headers = { authorization: `Bearer ${token}`, accept: 'application/vnd.api+json' };
  const json = async (path: string, what: string): Promise<{ doc: unknown } | Fetched> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, api), { headers, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      return { ok: false, code: 'PD_STATE_FETCH', message: `cannot reach ${api.host}: ${networkReason(err)}` };
    }
    if (!res.ok) {
      await res.body?.cancel();
      // The API answers 404 both for a missing workspace and for a token that may not see it.
      const hint = res.status === 404 ? ` (missing, or ${variable} may not read it)` : '';
      const code = res.status === 404 ? 'PD_IAC_PATH' : 'PD_STATE_FETCH';
      return { ok: false, code, message: `${what}: HTTP ${res.status}${hint}` };
    }
    try {
      return { doc: await res.json() };
    } catch {
      return { ok: false, code: 'PD_STATE_FETCH', message: `${what}: the answer is not JSON` };
    }
  };
  const org = encodeURIComponent(ws.org);
  const name = encodeURIComponent(ws.workspace);
  const workspace = await json(`/api/v2/organizations/${org}/workspaces/${name}`, 'workspace');
  if ('ok' in workspace) return workspace;
  const id = attr(workspace.doc, 'data', 'id');
  if (typeof id !== 'string') return { ok: false, code: 'PD_STATE_FETCH', message: `workspace: no data.id` };
  const current = `/api/v2/workspaces/${encodeURIComponent(id)}/current-state-version`;
  const version = await json(current, 'current state version');
  if ('ok' in version) return version;
  const download = attr(version.doc, 'data', 'attributes', 'hosted-state-download-url');
  if (typeof download !== 'string' || download === '') {
    return { ok: false, code: 'PD_IAC_PATH', message: `the current state version has no hosted-state-download-url` };
  }
  let url: URL;
  try {
    url = new URL(download, api);
  } catch {
    return { ok: false, code: 'PD_STATE_FETCH', message: `hosted-state-download-url is not a URL` };
  }
  const own: Record<string, string> = url.origin === api.origin ? { authorization: headers.authorization } : {};
  return getText(url, own, ' (state download)');
}
