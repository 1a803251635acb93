// The list of extractors, one per IaC format. The walk (shared/iac/walk.ts) offers every file to
// them in this order and the first one whose `claims(path, head)` says yes gets it, so a format
// that can be recognised by content alone must come before one that is a fallback.
// To add a format: one import line and one entry below.
import { cloudformationExtractor } from './cloudformation/index.js';
import { composeExtractor } from './compose.js';
import { kubernetesExtractor } from './kubernetes.js';
import type { Extractor } from './model.js';
import { terraformExtractor } from './terraform/index.js';

// CloudFormation and Kubernetes are recognised by content (AWSTemplateFormatVersion / AWS::
// types; apiVersion + kind); Compose last among the YAML formats, since `services:` alone is
// the weakest signal.
export const extractors: Extractor[] = [
  terraformExtractor,
  cloudformationExtractor,
  kubernetesExtractor,
  composeExtractor,
];

/** The first extractor that claims a file, or undefined when none does. */
export function pickExtractor(
  path: string,
  head: string,
  list: readonly Extractor[] = extractors,
): Extractor | undefined {
  return list.find((x) => x.claims(path, head));
}
