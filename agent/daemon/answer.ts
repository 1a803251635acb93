// The collector's answers as the agent's client reads them: the error an answer carries (its code
// and message, and a plain hint for a refused key), a Retry-After, and what a failed connect says.
import { PortdriftError } from '../../shared/errors.js';

export interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const inner = (err as { cause?: unknown }).cause;
    const innerCode = inner instanceof Error ? (inner as NodeJS.ErrnoException).code : undefined;
    return [code ?? innerCode, err.message].filter(Boolean).join(' ');
  }
  return String(err ?? 'aborted');
}

export function retryAfterMs(value: string | string[] | undefined): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export function errorBody(res: Raw): { code: string; message: string } {
  try {
    const b = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
    return {
      code: String(b.error?.code ?? `HTTP_${res.status}`),
      message: String(b.error?.message ?? res.text.slice(0, 200)),
    };
  } catch {
    return { code: `HTTP_${res.status}`, message: res.text.slice(0, 200) };
  }
}

export function responseError(what: string, res: Raw): PortdriftError {
  const { code, message } = errorBody(res);
  // A refused key is an operator's matter (revoked, or rotated past its grace): say so plainly.
  const hint =
    res.status === 401 && code === 'PD_HTTP_UNAUTHORIZED'
      ? " — this agent's token or key is refused (revoked?); an operator must give it a new one (a new token, " +
        'or `portdrift agents revoke NAME` and a fresh enrollment after deleting the agent-key file in its ' +
        'state directory)'
      : '';
  const text = `${what}: the collector answered ${res.status} ${code}: ${message}${hint}`;
  return new PortdriftError('PD_COLLECTOR_RESPONSE', text, { details: { status: res.status, code } });
}
