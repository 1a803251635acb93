// The live inventory shared by the replicas (`live: aws` on PostgreSQL): one row per set of AWS
// settings (regions, profile, role: the key), holding the newest inventory read, when (the
// database's clock, so the replicas' clocks need not agree) and by which replica. The payload is
// the inventory's JSON as text (several MB for thousands of objects; PostgreSQL compresses it
// out of line), fetched only by a replica that does not hold that read yet.
import type pg from 'pg';
import type { ConfiguredModel } from '../../../shared/types.js';
import { num } from '../rows.js';

/** Rows of other settings not written for this long are removed when an inventory is stored. */
const STALE_KEYS = '7 days';

const STAMP = '(extract(epoch FROM read_at) * 1000000)::bigint::text';

const READ = `SELECT ${STAMP} AS stamp, extract(epoch FROM now() - read_at) * 1000 AS age_ms,
    CASE WHEN ${STAMP} = $2::text THEN NULL ELSE payload END AS payload
  FROM live_inventory WHERE name = $1`;

const WRITE = `INSERT INTO live_inventory (name, read_at, read_by, objects, payload)
  VALUES ($1, now(), $2, $3, $4)
  ON CONFLICT (name) DO UPDATE SET read_at = excluded.read_at, read_by = excluded.read_by,
    objects = excluded.objects, payload = excluded.payload
  RETURNING ${STAMP} AS stamp`;

export interface PgStoredInventory {
  stamp: string;
  ageMs: number;
  inventory?: ConfiguredModel;
}

function parse(payload: string): ConfiguredModel | null {
  try {
    const v = JSON.parse(payload) as ConfiguredModel;
    return v && v.provider === 'aws' && Array.isArray(v.objects) && Array.isArray(v.regions) ? v : null;
  } catch {
    return null;
  }
}

export class PgInventory {
  constructor(
    private readonly pool: pg.Pool,
    /** The replica that stores (its lease holder id), recorded with each read. */
    private readonly holder: string,
  ) {}

  /** null when none is stored for `key` (or what is stored does not parse: read again). */
  async read(key: string, known?: string): Promise<PgStoredInventory | null> {
    const { rows } = await this.pool.query<{ stamp: string; age_ms: unknown; payload: string | null }>(READ, [
      key,
      known ?? null,
    ]);
    const r = rows[0];
    if (!r) return null;
    const out = { stamp: r.stamp, ageMs: Math.max(0, num(r.age_ms)) };
    if (r.payload === null) return out;
    const inventory = parse(r.payload);
    return inventory ? { ...out, inventory } : null;
  }

  async write(key: string, inventory: ConfiguredModel): Promise<string> {
    const { rows } = await this.pool.query<{ stamp: string }>(WRITE, [
      key,
      this.holder,
      inventory.objects.length,
      JSON.stringify(inventory),
    ]);
    await this.pool.query(
      `DELETE FROM live_inventory WHERE name <> $1 AND read_at < now() - interval '${STALE_KEYS}'`,
      [key],
    );
    return rows[0]!.stamp;
  }
}
