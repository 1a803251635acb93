// The contract between the extractors (one per format) and the extraction pipeline
// (shared/iac/extract.ts). Each extractor turns files into a DeclaredModel fragment whose
// endpoints usually have `host: null`; the pipeline then joins hosts from Terraform state, the
// targets file and derived names, and expands one endpoint per host.
import type { DeclaredModel, Problem } from '../types.js';

export interface ExtractOptions {
  /** Terraform state files (raw v4, or `terraform show -json` output). */
  stateFiles: string[];
  /** A targets file mapping resource addresses (or globs) to hosts. */
  targetsFile?: string;
  /** Extra Terraform variable files (`--var-file`), applied after terraform.tfvars and *.auto.tfvars. */
  varFiles: string[];
  /** A CloudFormation parameters file (`--parameters`): `[{ParameterKey, ParameterValue}]` or `{Key: Value}`. */
  parametersFile?: string;
  /** Kubernetes cluster domain for derived Service names. */
  clusterDomain: string;
  /**
   * A Terraform plan in JSON (`--plan`, `terraform show -json PLANFILE`): the Terraform source
   * instead of the HCL, which then only gives the lines.
   */
  planFile?: string;
  /**
   * HCL parser threads at most (default two where two cores exist). One when the process must keep
   * memory for something larger after the extraction (`scan --live` then loads the AWS SDK).
   */
  parserThreads?: number;
}

/** A text file read for extraction, with its name relative to the IaC root. */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** Relative to the IaC root given on the command line (what `source.file` shows). */
  file: string;
  text: string;
}

export function emptyModel(): DeclaredModel {
  return { resources: [], endpoints: [], unresolved: [], problems: [] };
}

export function mergeInto(target: DeclaredModel, part: DeclaredModel): DeclaredModel {
  target.resources.push(...part.resources);
  target.endpoints.push(...part.endpoints);
  target.unresolved.push(...part.unresolved);
  target.problems.push(...part.problems);
  return target;
}

export type { Problem };

/** Shared state of one extraction run. */
export interface ExtractContext {
  /** Absolute IaC root: `source.file` values are relative to it. */
  root: string;
  options: ExtractOptions;
}

/**
 * One extractor per format, listed in shared/iac/registry.ts. `claims` decides by the file name
 * and, for YAML/JSON, by the first bytes of the text (a CloudFormation template, a Kubernetes
 * manifest and a Compose file are all `.yaml`). Terraform is given every claimed `.tf`,
 * `.tf.json` and `.tfvars` file at once, because a root module spans a directory and reads its
 * child modules from other directories.
 */
export interface Extractor {
  name: 'terraform' | 'cloudformation' | 'kubernetes' | 'compose';
  claims(path: string, head: string): boolean;
  extract(files: SourceFile[], ctx: ExtractContext): Promise<DeclaredModel>;
  /**
   * Called once when the walk has found `files` files whose names it claims, before they are
   * read: a parser that is slow to start (hcl2json's WASM) starts now, while the files are read.
   */
  prepare?(files: number, options: ExtractOptions): void;
}
