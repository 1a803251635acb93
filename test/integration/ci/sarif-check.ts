// The structural requirements of SARIF 2.1.0 that GitHub code scanning enforces on upload
// (docs.github.com "SARIF support for code scanning", and the SARIF 2.1.0 OASIS standard), as
// checks that name the offending path. No schema download: the test machine has no network,
// and these are the parts that make an upload fail or an annotation land on the wrong line.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const LEVELS = new Set(['none', 'note', 'warning', 'error']);
const SUPPRESSION_KINDS = new Set(['inSource', 'external']);
const SUPPRESSION_STATUS = new Set(['accepted', 'underReview', 'rejected']);
// GitHub's upload limits per file.
const MAX_RUNS = 20;
const MAX_RESULTS = 25_000;
const MAX_RULES = 25_000;
const MAX_TAGS = 20;
const MAX_LOCATIONS = 1000;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * Every problem of `doc` as `path: message`; empty when it passes. With `repoRoot`, each
 * physical location must also name a file (or, without a region, a directory) that exists
 * under it, and each region a line that file has.
 */
export function sarifProblems(doc: unknown, repoRoot?: string): string[] {
  const p: string[] = [];
  if (!isObj(doc)) return ['$: not an object'];
  if (doc.version !== '2.1.0') p.push(`version: ${JSON.stringify(doc.version)}, expected "2.1.0"`);
  if (typeof doc.$schema !== 'string' || !/sarif-2\.1\.0[^/]*\.json$|sarif-schema-2\.1\.0\.json$/.test(doc.$schema))
    p.push(`$schema: ${JSON.stringify(doc.$schema)} is not a SARIF 2.1.0 schema URI`);
  if (!Array.isArray(doc.runs) || doc.runs.length === 0) return [...p, 'runs: expected a non-empty array'];
  if (doc.runs.length > MAX_RUNS) p.push(`runs: ${doc.runs.length} runs, GitHub accepts at most ${MAX_RUNS}`);
  doc.runs.forEach((run: unknown, ri) => {
    const at = `runs[${ri}]`;
    if (!isObj(run)) return void p.push(`${at}: not an object`);
    const driver = isObj(run.tool) && isObj(run.tool.driver) ? run.tool.driver : undefined;
    if (!driver) return void p.push(`${at}.tool.driver: missing`);
    if (!nonEmpty(driver.name)) p.push(`${at}.tool.driver.name: missing`);
    const rules = Array.isArray(driver.rules) ? (driver.rules as unknown[]) : [];
    if (!Array.isArray(driver.rules)) p.push(`${at}.tool.driver.rules: expected an array`);
    if (rules.length > MAX_RULES) p.push(`${at}.tool.driver.rules: more than ${MAX_RULES}`);
    const ids = new Map<string, number>();
    rules.forEach((rule, i) => {
      const rat = `${at}.tool.driver.rules[${i}]`;
      if (!isObj(rule) || !nonEmpty(rule.id)) return void p.push(`${rat}.id: missing`);
      if (ids.has(rule.id)) p.push(`${rat}.id: ${rule.id} repeats rules[${ids.get(rule.id)}]`);
      ids.set(rule.id, i);
      for (const k of ['shortDescription', 'fullDescription', 'help'] as const) {
        if (rule[k] !== undefined && !(isObj(rule[k]) && nonEmpty(rule[k].text))) p.push(`${rat}.${k}.text: missing`);
      }
      const level = isObj(rule.defaultConfiguration) ? rule.defaultConfiguration.level : undefined;
      if (level !== undefined && !LEVELS.has(level as string))
        p.push(`${rat}.defaultConfiguration.level: ${JSON.stringify(level)}`);
      const props = isObj(rule.properties) ? rule.properties : {};
      const sev = props['security-severity'];
      if (
        sev !== undefined &&
        !(typeof sev === 'string' && /^\d+(\.\d+)?$/.test(sev) && Number(sev) >= 0 && Number(sev) <= 10)
      )
        p.push(`${rat}.properties.security-severity: ${JSON.stringify(sev)}, expected a number 0.0–10.0 as a string`);
      if (
        props.tags !== undefined &&
        !(Array.isArray(props.tags) && props.tags.length <= MAX_TAGS && props.tags.every(nonEmpty))
      )
        p.push(`${rat}.properties.tags: expected at most ${MAX_TAGS} strings`);
    });
    if (!Array.isArray(run.results)) return void p.push(`${at}.results: expected an array`);
    if (run.results.length > MAX_RESULTS) p.push(`${at}.results: more than ${MAX_RESULTS}`);
    (run.results as unknown[]).forEach((r, i) => {
      const rat = `${at}.results[${i}]`;
      if (!isObj(r)) return void p.push(`${rat}: not an object`);
      if (!nonEmpty(r.ruleId)) p.push(`${rat}.ruleId: missing`);
      else if (!ids.has(r.ruleId)) p.push(`${rat}.ruleId: ${r.ruleId} is not among the driver's rules`);
      if (
        r.ruleIndex !== undefined &&
        (typeof r.ruleIndex !== 'number' || (rules[r.ruleIndex] as Json | undefined)?.id !== r.ruleId)
      )
        p.push(`${rat}.ruleIndex: ${String(r.ruleIndex)} does not point at rule ${String(r.ruleId)}`);
      if (!LEVELS.has(r.level as string))
        p.push(`${rat}.level: ${JSON.stringify(r.level)}, expected none, note, warning or error`);
      if (!(isObj(r.message) && nonEmpty(r.message.text))) p.push(`${rat}.message.text: missing`);
      if (
        !isObj(r.partialFingerprints) ||
        Object.keys(r.partialFingerprints).length === 0 ||
        !Object.values(r.partialFingerprints).every(nonEmpty)
      )
        p.push(`${rat}.partialFingerprints: expected an object of non-empty strings`);
      if (!Array.isArray(r.locations) || r.locations.length === 0)
        return void p.push(`${rat}.locations: GitHub rejects a result without a location`);
      if (r.locations.length > MAX_LOCATIONS) p.push(`${rat}.locations: more than ${MAX_LOCATIONS}`);
      (r.locations as unknown[]).forEach((l, li) => {
        const lat = `${rat}.locations[${li}].physicalLocation`;
        const phys = isObj(l) && isObj(l.physicalLocation) ? l.physicalLocation : undefined;
        const uri = phys && isObj(phys.artifactLocation) ? phys.artifactLocation.uri : undefined;
        if (!nonEmpty(uri)) return void p.push(`${lat}.artifactLocation.uri: missing`);
        // Relative to the repository root: no scheme, no leading slash, no `..`, no backslash.
        if (
          /^[a-z][a-z0-9+.-]*:/i.test(uri) ||
          uri.startsWith('/') ||
          uri.includes('\\') ||
          /(^|\/)\.\.(\/|$)/.test(uri)
        )
          p.push(`${lat}.artifactLocation.uri: ${uri} is not a path relative to the repository root`);
        // A URI reference (RFC 3986): a space, `#`, `?` or non-ASCII byte must be percent-encoded,
        // or the code host cuts the path at the fragment or fails to match the file.
        else if (!/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/.test(uri))
          p.push(
            `${lat}.artifactLocation.uri: ${JSON.stringify(uri)} is not a ` +
              `valid URI reference (percent-encode spaces, #, ? and non-ASCII)`,
          );
        const region = phys!.region;
        if (region !== undefined) {
          if (!isObj(region) || !Number.isInteger(region.startLine) || (region.startLine as number) < 1)
            p.push(
              `${lat}.region.startLine: ` +
                `${JSON.stringify(isObj(region) ? region.startLine : region)}, expected an integer ≥ 1`,
            );
        }
        if (repoRoot) {
          const path = join(repoRoot, decodeURIComponent(uri));
          if (!existsSync(path)) p.push(`${lat}.artifactLocation.uri: ${uri} does not exist under ${repoRoot}`);
          else if (isObj(region) && Number.isInteger(region.startLine)) {
            if (!statSync(path).isFile()) p.push(`${lat}: a region in ${uri}, which is not a file`);
            else if ((region.startLine as number) > readFileSync(path, 'utf8').split('\n').length)
              p.push(`${lat}.region.startLine: ${String(region.startLine)} is past the end of ${uri}`);
          }
        }
      });
      if (r.suppressions !== undefined) {
        if (!Array.isArray(r.suppressions)) p.push(`${rat}.suppressions: expected an array`);
        else
          (r.suppressions as unknown[]).forEach((s, si) => {
            if (!isObj(s) || !SUPPRESSION_KINDS.has(s.kind as string))
              p.push(`${rat}.suppressions[${si}].kind: expected inSource or external`);
            else if (s.status !== undefined && !SUPPRESSION_STATUS.has(s.status as string))
              p.push(`${rat}.suppressions[${si}].status: ${JSON.stringify(s.status)}`);
          });
      }
    });
  });
  return p;
}
