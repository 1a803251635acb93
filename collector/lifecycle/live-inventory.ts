// Which live inventory the model is built with, and when AWS is read again. A single collector
// reads the account at start and once `refreshMs` has passed. Replicas on one database share it
// (`shared`): the leader reads the account once the stored inventory is older than `refreshMs` and
// stores it; every replica builds its model from the newest stored one, so all of them serve
// plans from the same inventory and the account is read once per refresh, not once per replica.
// A replica that finds nothing stored for its settings (a cold start, or other regions, profile
// or role) reads once itself and stores it, so a failed first read still stops the start.
import type { Logger } from '../../shared/log.js';
import type { ConfiguredModel } from '../../shared/types.js';

export interface LiveSource {
  regions: readonly string[];
  profile?: string;
  roleArn?: string;
  refreshMs: number;
}

/** An inventory as the database holds it: `stamp` names the read, `ageMs` is its age in the database's clock. */
export interface StoredInventory {
  stamp: string;
  ageMs: number;
  /** Absent when the caller already holds this stamp (the payload, several MB, is not fetched again). */
  inventory?: ConfiguredModel;
}

/** Where replicas share the inventory (collector/store/postgres/inventory.ts). */
export interface InventoryShelf {
  /** The stored inventory of `key`, null if none; without its payload when its stamp is `known`. */
  read(key: string, known?: string): Promise<StoredInventory | null>;
  /** Store `inventory` as read now for `key`; its stamp. */
  write(key: string, inventory: ConfiguredModel): Promise<string>;
}

export interface SharedInventory {
  shelf: InventoryShelf;
  /** Whether this replica leads now: only the leader refreshes a stored inventory. */
  isLeader: () => boolean;
}

export type InventoryReader = (o: {
  regions: string[];
  profile?: string;
  roleArn?: string;
}) => Promise<ConfiguredModel>;

/** The shelf key of these settings: a replica configured otherwise never takes this inventory. */
export function inventoryKey(live: LiveSource): string {
  return JSON.stringify({ regions: live.regions, profile: live.profile ?? null, roleArn: live.roleArn ?? null });
}

const readFromAws: InventoryReader = async (o) => (await import('../../shared/live/aws/index.js')).readAws(o);

export class LiveInventory {
  private inventory: ConfiguredModel | null = null;
  /** When this process last read AWS itself (its own clock; the single collector's refresh). */
  private readAt = -Infinity;
  /** The stamp of the stored inventory held (shared). */
  private stamp: string | undefined;
  private readonly key: string;

  constructor(
    private readonly live: LiveSource,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly shared?: SharedInventory,
    private readonly reader: InventoryReader = readFromAws,
  ) {
    this.key = inventoryKey(live);
  }

  /** The inventory for the model now: refreshed first when due. Throws only when none is held. */
  async current(): Promise<ConfiguredModel> {
    return this.shared ? this.fromShelf(this.shared) : this.fromOwnRead();
  }

  private async fromOwnRead(): Promise<ConfiguredModel> {
    if (this.inventory && this.now() - this.readAt < this.live.refreshMs) return this.inventory;
    const read = await this.readAccount();
    if (read) {
      this.inventory = read;
      this.readAt = this.now();
    }
    return this.inventory!;
  }

  private async fromShelf({ shelf, isLeader }: SharedInventory): Promise<ConfiguredModel> {
    let stored: StoredInventory | null;
    try {
      stored = await shelf.read(this.key, this.stamp);
    } catch (err) {
      // The database unreachable: the inventory held stays (every other read of the replica fails too).
      if (!this.inventory) throw err;
      this.log.error({ err: (err as Error).message }, 'cannot read the stored live inventory; the one held stays');
      return this.inventory;
    }
    if (stored?.inventory) {
      this.inventory = stored.inventory;
      this.stamp = stored.stamp;
      this.log.info(
        { objects: stored.inventory.objects.length, ageMs: Math.round(stored.ageMs) },
        'live inventory taken from the database',
      );
    }
    // Read AWS: with nothing held (a cold start: any replica), or as the leader once the stored
    // one is due (or gone). A follower holding one never calls AWS.
    const due = !stored || stored.ageMs >= this.live.refreshMs;
    if (this.inventory && !(due && isLeader())) return this.inventory;
    const read = await this.readAccount();
    if (!read) return this.inventory!;
    this.inventory = read;
    try {
      this.stamp = await shelf.write(this.key, read);
    } catch (err) {
      // Kept in force here; the next reload (or the next leader) stores one.
      this.stamp = undefined;
      this.log.error(
        { err: (err as Error).message },
        'cannot store the live inventory; this replica uses it meanwhile',
      );
    }
    return read;
  }

  /** One read of the account; null when it failed and an inventory is held (logged), thrown when none is. */
  private async readAccount(): Promise<ConfiguredModel | null> {
    try {
      const read = await this.reader({
        regions: [...this.live.regions],
        ...(this.live.profile !== undefined ? { profile: this.live.profile } : {}),
        ...(this.live.roleArn !== undefined ? { roleArn: this.live.roleArn } : {}),
      });
      for (const p of read.problems) {
        this.log.warn({ region: p.region, operation: p.operation, code: p.code }, p.message);
      }
      this.log.info({ regions: read.regions, objects: read.objects.length }, 'live inventory read');
      return read;
    } catch (err) {
      if (!this.inventory) throw err;
      this.log.error({ err: (err as Error).message }, 'live inventory refresh failed; the last one stays in force');
      return null;
    }
  }
}
