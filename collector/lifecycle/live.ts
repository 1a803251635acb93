// `live: aws` in the collector's config: the live inventory (live-inventory.ts: read at start and
// again once `liveRefresh` has passed; on PostgreSQL read by the leader and shared through the
// database) gives the IaC's resources hosts (shared/drift/live-hosts.ts) that join the model on
// every IaC reload, so the agents' plans hold them. A failed refresh keeps the last inventory in
// force (logged); a failed first read stops the start, as an unreadable IaC does.
import { withLiveHosts } from '../../shared/drift/live-hosts.js';
import type { Logger } from '../../shared/log.js';
import { type InventoryReader, LiveInventory, type LiveSource, type SharedInventory } from './live-inventory.js';
import { type IacSource, type LoadedModel, loadModel, modelDigest } from './model.js';

export type { InventoryShelf, LiveSource, SharedInventory } from './live-inventory.js';

export function liveLoader(
  live: LiveSource,
  log: Logger,
  now: () => number,
  shared?: SharedInventory,
  reader?: InventoryReader,
): (src: IacSource) => Promise<LoadedModel> {
  const inventory = new LiveInventory(live, log, now, shared, reader);
  return async (src) => {
    const loaded = await loadModel(src);
    const model = withLiveHosts(loaded.model, await inventory.current());
    const digest = modelDigest(model);
    const revision = loaded.commit ? `${loaded.commit.slice(0, 12)}+${digest}` : digest;
    return { ...loaded, model, digest, revision };
  };
}
