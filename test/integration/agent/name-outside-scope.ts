// The scene that agent/scope.test.ts and agent/collector-limits.test.ts both play: the IaC names
// one host by an address of the lab (a database on 10.231.0.1:5432) and one by DNS name
// (`localhost`, a target group on 8080), which resolves to loopback in the agent's namespace,
// where listeners wait. SYN counters on each listener tell whether the agent probed it.
import { existsSync } from 'node:fs';
import type { Lab } from '../../lab/netns.mjs';
import { synCounter, writeFixture } from './harness.js';

/** The agent's log message for a target it refuses to probe. */
export const SKIPPED = 'target outside scope: skipped, never probed';
/** Whether this kernel has IPv6 (then `localhost` may also resolve to ::1, which is watched too). */
export const IPV6 = existsSync('/proc/sys/net/ipv6');

export interface NameOutsideScope {
  /** The collector's --iac / --targets flags. */
  iac: string[];
  /** The loopback listeners `localhost` resolves to. */
  loops: string[];
  /** SYNs to 127.0.0.1:8080 and [::1]:8080 (always 0 without IPv6), and to 10.231.0.1:5432. */
  loop4: () => number;
  loop6: () => number;
  inScope: () => number;
}

export async function nameOutsideScope(lab: Lab, dir: string): Promise<NameOutsideScope> {
  const iac = writeFixture(dir, [
    { type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] },
    { type: 'aws_lb_target_group', name: 'web', port: 8080, hosts: ['localhost'] },
  ]);
  const loops = IPV6 ? ['127.0.0.1:8080', '[::1]:8080'] : ['127.0.0.1:8080'];
  await lab.client.listen(loops);
  await lab.listen(['10.231.0.1:5432']);
  return {
    iac,
    loops,
    loop4: synCounter(lab.client, { dst: '127.0.0.1', dport: 8080 }),
    loop6: IPV6 ? synCounter(lab.client, { dst: '::1', dport: 8080 }) : () => 0,
    inScope: synCounter(lab.server, { dst: '10.231.0.1', dport: 5432 }),
  };
}
