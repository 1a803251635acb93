// Runs the address jobs of a probe run. Small runs stay in this thread; large ones are split
// over worker threads so both cores make connects (added with worker.ts).
import { rawConnectorFactory } from './raw-connector.js';
import { netConnectorFactory } from './net-connector.js';
import { runShard, type ShardHooks, type ShardHostResult, type ShardSettings } from './engine.js';
import type { AddressJob } from './order.js';
import type { ConnectorFactory } from './connector.js';

export interface RunHooks extends ShardHooks {
  threads?: number;
}

export function connectorFactory(): ConnectorFactory {
  return rawConnectorFactory() ?? netConnectorFactory;
}

export async function runJobs(jobs: readonly AddressJob[], settings: ShardSettings, hooks: RunHooks): Promise<ShardHostResult[]> {
  const { results } = await runShard(jobs, settings, connectorFactory(), hooks);
  return results;
}
