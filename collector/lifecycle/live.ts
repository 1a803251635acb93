// `live: aws` in the collector's config: the live inventory is read at start and again on every
// IaC reload once `liveRefresh` (default: the interval) has passed, and the hosts it gives the
// IaC's resources join the model (shared/drift/live-hosts.ts), so the agents' plans hold them.
// A failed refresh keeps the last inventory in force (logged); a failed first read stops the
// start, as an unreadable IaC does.
import { withLiveHosts } from '../../shared/drift/live-hosts.js';
import type { Logger } from '../../shared/log.js';
import type { ConfiguredModel } from '../../shared/types.js';
import { type IacSource, type LoadedModel, loadModel, modelDigest } from './model.js';

export interface LiveSource {
  regions: readonly string[];
  profile?: string;
  roleArn?: string;
  refreshMs: number;
}

export function liveLoader(live: LiveSource, log: Logger, now: () => number): (src: IacSource) => Promise<LoadedModel> {
  let inventory: ConfiguredModel | null = null;
  let readAt = -Infinity;
  const refresh = async (): Promise<ConfiguredModel> => {
    if (inventory && now() - readAt < live.refreshMs) return inventory;
    const { readAws } = await import('../../shared/live/aws/index.js');
    try {
      inventory = await readAws({
        regions: [...live.regions],
        ...(live.profile !== undefined ? { profile: live.profile } : {}),
        ...(live.roleArn !== undefined ? { roleArn: live.roleArn } : {}),
      });
      readAt = now();
      for (const p of inventory.problems) {
        log.warn({ region: p.region, operation: p.operation, code: p.code }, p.message);
      }
      log.info({ regions: inventory.regions, objects: inventory.objects.length }, 'live inventory read');
    } catch (err) {
      if (!inventory) throw err;
      log.error({ err: (err as Error).message }, 'live inventory refresh failed; the last one stays in force');
    }
    return inventory;
  };
  return async (src) => {
    const loaded = await loadModel(src);
    const model = withLiveHosts(loaded.model, await refresh());
    const digest = modelDigest(model);
    const revision = loaded.commit ? `${loaded.commit.slice(0, 12)}+${digest}` : digest;
    return { ...loaded, model, digest, revision };
  };
}
