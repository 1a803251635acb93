// Connecting to PostgreSQL as libpq users expect (pg's home, with the rest of this folder).
// - The URL: postgres:// or postgresql://, user, host, port, database and libpq's query
//   parameters (sslmode, sslrootcert, sslcert, sslkey, application_name).
// - The password: from the URL, else PGPASSWORD, else the password file (~/.pgpass or
//   PGPASSFILE, which pg reads as libpq does). It never appears in a message or a log line:
//   every message names the URL with the password replaced (redactUrl).
// - sslmode with libpq's meaning: disable; allow and prefer (the default) try TLS and fall back
//   to plain only when the server has no TLS; require encrypts without checking the certificate
//   (unless sslrootcert is given: then as verify-ca); verify-ca checks the chain; verify-full
//   also the host name. PGSSLMODE and PGSSLROOTCERT apply when the URL says nothing.
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { PortdriftError } from '../../../shared/errors.js';

export interface PgTargetOptions {
  /** The environment the libpq variables come from (the entrypoint passes it). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Connections per collector process. */
  poolSize?: number;
  applicationName?: string;
}

/** Whether `--data` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(data: string): boolean {
  return /^postgres(ql)?:\/\//i.test(data);
}

/** The URL as it may be shown: any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (k.toLowerCase() === 'password') u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

const SSLMODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

/** pg's pool configuration for this URL, and whether TLS may fall back to plain (prefer). */
export function poolConfig(url: string, o: PgTargetOptions = {}): { config: pg.PoolConfig; fallback: boolean } {
  const shown = redactUrl(url);
  const env = o.env ?? {};
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PortdriftError('PD_CONFIG_INVALID', `data: ${shown} is not a URL (postgres://user@host:port/database)`);
  }
  if (!u.searchParams.has('sslmode') && env.PGSSLMODE) u.searchParams.set('sslmode', env.PGSSLMODE);
  if (!u.searchParams.has('sslrootcert') && env.PGSSLROOTCERT) u.searchParams.set('sslrootcert', env.PGSSLROOTCERT);
  const mode = u.searchParams.get('sslmode') ?? 'prefer';
  if (!SSLMODES.has(mode)) {
    throw new PortdriftError(
      'PD_CONFIG_INVALID',
      `data: sslmode=${mode} in ${shown} is not one of ${[...SSLMODES].join(', ')}`,
    );
  }
  // pg-connection-string knows libpq's require/verify-ca/verify-full; prefer and allow are
  // tried as require here, with the fallback done at open (openPool).
  const fallback = mode === 'prefer' || mode === 'allow';
  u.searchParams.set('sslmode', fallback ? 'require' : mode);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(u.toString(), { useLibpqCompat: true });
  } catch (err) {
    // Reading sslrootcert/sslcert/sslkey, or verify-ca without a CA.
    throw new PortdriftError('PD_CONFIG_INVALID', `data: ${shown}: ${(err as Error).message}`, { cause: err });
  }
  const config: pg.PoolConfig = {
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    database: parsed.database ?? undefined,
    user: parsed.user ?? env.PGUSER,
    ssl: parsed.ssl as pg.PoolConfig['ssl'],
    max: o.poolSize ?? 10,
    application_name: parsed.application_name ?? o.applicationName ?? 'portdrift',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  };
  const password = parsed.password ? parsed.password : env.PGPASSWORD;
  // Absent: pg reads the password file itself when the server asks for one.
  if (password) config.password = password;
  return { config, fallback };
}

/** A pool that has connected once (so a wrong URL fails at start-up, not at the first batch). */
export async function openPool(url: string, o: PgTargetOptions = {}): Promise<pg.Pool> {
  const { config, fallback } = poolConfig(url, o);
  const tryOpen = async (c: pg.PoolConfig): Promise<pg.Pool> => {
    const pool = new pg.Pool(c);
    // An idle connection the server ended (restart) is dropped, not thrown at the process.
    pool.on('error', () => {});
    // A connection checked out of the pool has no error listener of pg-pool's: the server ending
    // it then (a restart, `pg_ctl stop -m fast`: 57P01) was an uncaught 'error' that killed the
    // collector. The query in flight still fails with that error, and the client is discarded
    // when released, so the next request opens a new connection once the server is back.
    pool.on('connect', (client) => client.on('error', () => {}));
    try {
      (await pool.connect()).release();
      return pool;
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  };
  try {
    return await tryOpen(config);
  } catch (err) {
    if (fallback && /does not support SSL/i.test((err as Error).message)) {
      try {
        return await tryOpen({ ...config, ssl: false });
      } catch (plain) {
        throw connectError(url, plain);
      }
    }
    throw connectError(url, err);
  }
}

function connectError(url: string, err: unknown): PortdriftError {
  return new PortdriftError('PD_STORE', `${redactUrl(url)}: cannot connect: ${(err as Error).message}`, { cause: err });
}

/** Socket errors of a server that is down, restarting or out of reach. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether `err` says the database cannot be reached now (down, restarting, too many
 * connections) rather than that a statement failed: SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (shut down, crashed, starting up), 53300 (too many connections), a socket error,
 * or pg's own words for a connection that ended or never came.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300' || NETWORK_CODES.has(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|not queryable|connection error/i.test(message);
}
