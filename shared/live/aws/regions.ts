// The AWS regions `--aws-region` accepts. A typo (`eu-west-7`) must be a usage error before any
// request, not a DNS failure per service after retries; the SDK itself accepts any string.
// Kept as a list because the SDK's partition data is not a public API of the client packages.
// Imports nothing of the SDK, so arguments are checked without loading it.
import { PortdriftError } from '../../errors.js';

export const AWS_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
]);

export function checkRegions(regions: readonly string[]): void {
  const bad = regions.filter((r) => !AWS_REGIONS.has(r));
  if (bad.length === 0) return;
  throw new PortdriftError('PD_USAGE', `--aws-region ${bad.join(', ')}: not an AWS region (e.g. us-east-1, eu-west-1)`);
}
