// Terraform's HTTP backend (`--state https://…`): the state is the body of a GET of its address,
// as `terraform state pull` gets it. Credentials come from the environment, never from argv:
// TF_HTTP_USERNAME / TF_HTTP_PASSWORD (HTTP basic authentication, the names Terraform's http
// backend reads), or PORTDRIFT_STATE_HTTP_AUTH, a whole Authorization header value
// ("Bearer …", for servers that want a token). User info in the URL is refused for that reason.
import type { Fetched } from './fetched.js';
import { isLoopback, networkReason, shownUrl, usage } from './url.js';

export type Env = Readonly<Record<string, string | undefined>>;

export function httpAuth(env: Env): string | undefined {
  if (env.PORTDRIFT_STATE_HTTP_AUTH) return env.PORTDRIFT_STATE_HTTP_AUTH;
  if (env.TF_HTTP_USERNAME !== undefined || env.TF_HTTP_PASSWORD !== undefined) {
    const pair = `${env.TF_HTTP_USERNAME ?? ''}:${env.TF_HTTP_PASSWORD ?? ''}`;
    return `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  return undefined;
}

export function checkHttpUrl(source: string): URL {
  let u: URL;
  try {
    u = new URL(source);
  } catch {
    throw usage(`--state ${shownUrl(source)}: not a valid URL`);
  }
  if (u.username || u.password) {
    const message =
      `--state ${shownUrl(source)}: credentials in the URL would show in process lists and shell history; ` +
      'set TF_HTTP_USERNAME / TF_HTTP_PASSWORD or PORTDRIFT_STATE_HTTP_AUTH instead';
    throw usage(message);
  }
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
    throw usage(`--state ${shownUrl(source)}: plain http sends the state and credentials in clear text; use https`);
  }
  return u;
}

/**
 * GET with a header set; a status or network failure is a message with no part of the request
 * (the problem's `file` names the source; `what` says which step, e.g. ` (state download)`).
 */
export async function getText(url: URL, headers: Record<string, string>, what = ''): Promise<Fetched> {
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    return { ok: false, code: 'PD_STATE_FETCH', message: `cannot fetch Terraform state${what}: ${networkReason(err)}` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    const code = res.status === 404 || res.status === 410 ? 'PD_IAC_PATH' : 'PD_STATE_FETCH';
    const hint = res.status === 401 || res.status === 403 ? ' (check the credentials in the environment)' : '';
    return { ok: false, code, message: `cannot fetch Terraform state${what}: HTTP ${res.status}${hint}` };
  }
  // Terraform's HTTP backend answers 204 No Content for a state that was never written.
  if (res.status === 204) {
    return { ok: false, code: 'PD_IAC_PATH', message: `no Terraform state there${what} (HTTP 204)` };
  }
  return { ok: true, text: await res.text() };
}

export async function readHttpState(source: string, env: Env): Promise<Fetched> {
  const url = checkHttpUrl(source);
  const auth = httpAuth(env);
  return getText(url, { accept: 'application/json', ...(auth ? { authorization: auth } : {}) });
}
