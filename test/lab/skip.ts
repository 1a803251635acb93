// How namespace tests decide to run: outside CI they skip with the lab's reason (no root, no
// iproute2, …); in CI (which runs as root and installs both) an unusable lab is a failure, so a
// broken CI machine cannot turn the namespace suites into silent skips.
import { labUnavailable } from './netns.mjs';

export function labSkipReason(): string | false {
  const reason = labUnavailable();
  if (reason && process.env.CI) throw new Error(`the network-namespace lab must run in CI, but: ${reason}`);
  return reason ?? false;
}
