// Terraform state → deployed hosts per resource address
// (docs/design/iac-extraction.md#terraform-state). Two inputs are accepted, told apart by their top-level keys:
//   - raw state, format version 4 (`terraform.tfstate`, `terraform state pull`): `resources[]`
//     with `module`, `mode`, `type`, `name`, `instances[].index_key`, `.attributes`;
//   - `terraform show -json` (`format_version`): `values.root_module` with full `address`es,
//     recursively through `child_modules[]` (also `prior_state.values` of a plan file).
// Addresses come out exactly as Terraform prints them: `module.a["x"].aws_instance.web[0]`.
//
// State holds secrets in clear text: nothing here logs or quotes an attribute
// value; problems name the file and what is wrong with its shape, never the content.
import { readFile } from 'node:fs/promises';
import type { Problem } from '../types.js';
import { jsonErrorLine } from './files.js';
import { hostsOf, type StateInstance } from './terraform/state-hosts.js';

export interface StateHosts {
  hosts: Map<string, string[]>;
  problems: Problem[];
  /** The live id per address (`sg-…`, `i-…`, the DB identifier, a target group ARN), for `scan --live`. */
  ids?: Map<string, string>;
}

/** The state attribute that names a resource's live object, per type (`id` when not listed). */
const LIVE_ID_ATTRIBUTE: Readonly<Record<string, string>> = { aws_db_instance: 'identifier' };
const LIVE_ID_TYPES = new Set([
  'aws_security_group',
  'aws_instance',
  'aws_db_instance',
  'aws_lb_target_group',
  'aws_alb_target_group',
]);

function liveIdsOf(instances: readonly StateInstance[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of instances) {
    if (!LIVE_ID_TYPES.has(i.type)) continue;
    const v = i.attributes[LIVE_ID_ATTRIBUTE[i.type] ?? 'id'] ?? i.attributes.id;
    if (typeof v === 'string' && v !== '') out.set(i.address, v);
  }
  return out;
}

export async function readStateFile(path: string, file: string): Promise<StateHosts> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return fail(
      file,
      'PD_IAC_PATH',
      `cannot read Terraform state: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseState(text, file);
}

/** The pure part of readStateFile, for tests and for state that arrives by other means. */
export function parseState(text: string, file: string): StateHosts {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    // Only the position is reported: the parser's message can quote a piece of the file.
    const line = jsonErrorLine((err as Error).message, text);
    return fail(file, 'PD_STATE_INVALID', 'Terraform state is not valid JSON', line);
  }
  if (!isObject(doc)) return fail(file, 'PD_STATE_INVALID', 'Terraform state must be a JSON object');
  const instances = 'format_version' in doc ? fromShowJson(doc) : fromRawState(doc);
  if (typeof instances === 'string') return fail(file, 'PD_STATE_INVALID', instances);
  const ids = liveIdsOf(instances);
  return { hosts: hostsOf(instances), problems: [], ...(ids.size > 0 ? { ids } : {}) };
}

function fromRawState(doc: Record<string, unknown>): StateInstance[] | string {
  if (doc.version !== 4) {
    return typeof doc.version === 'number'
      ? `Terraform state format version ${doc.version} is not ` +
          `supported (only version 4, written by Terraform 0.12 and later)`
      : 'not Terraform state: expected raw state (`"version": ' +
          '4`) or `terraform show -json` output (`"format_version"`)';
  }
  if (doc.resources === undefined) return [];
  if (!Array.isArray(doc.resources)) return '`resources` must be an array';
  const out: StateInstance[] = [];
  for (const r of doc.resources) {
    if (!isObject(r) || typeof r.type !== 'string' || typeof r.name !== 'string' || !Array.isArray(r.instances))
      continue;
    const module = typeof r.module === 'string' && r.module ? `${r.module}.` : '';
    const prefix = `${module}${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
    for (const inst of r.instances) {
      // A deposed object is the old half of a create-before-destroy replacement: not what runs.
      if (!isObject(inst) || typeof inst.deposed === 'string' || !isObject(inst.attributes)) continue;
      out.push({ address: prefix + indexSuffix(inst.index_key), type: r.type, attributes: inst.attributes });
    }
  }
  return out;
}

function fromShowJson(doc: Record<string, unknown>): StateInstance[] | string {
  const values = isObject(doc.values)
    ? doc.values
    : isObject(doc.prior_state) && isObject(doc.prior_state.values)
      ? doc.prior_state.values
      : undefined;
  // `terraform show -json` of an empty state prints only the format and Terraform versions.
  if (!values) return [];
  const out: StateInstance[] = [];
  const visit = (mod: unknown): void => {
    if (!isObject(mod)) return;
    if (Array.isArray(mod.resources)) {
      for (const r of mod.resources) {
        if (
          !isObject(r) ||
          typeof r.address !== 'string' ||
          typeof r.type !== 'string' ||
          !isObject(r.values) ||
          typeof r.deposed_key === 'string'
        )
          continue;
        out.push({ address: r.address, type: r.type, attributes: r.values });
      }
    }
    if (Array.isArray(mod.child_modules)) mod.child_modules.forEach(visit);
  };
  visit(values.root_module);
  return out;
}

/** `[0]` for count, `["key"]` for for_each (quoted as Terraform quotes it), nothing otherwise. */
function indexSuffix(key: unknown): string {
  if (typeof key === 'number') return `[${key}]`;
  if (typeof key === 'string') return `[${JSON.stringify(key)}]`;
  return '';
}

function fail(file: string, code: string, message: string, line?: number): StateHosts {
  return { hosts: new Map(), problems: [{ file, ...(line !== undefined ? { line } : {}), code, message }] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
