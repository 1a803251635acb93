// The labels file of a Kubernetes downwardAPI volume (`fieldRef: metadata.labels`): one label a
// line, `key="value"`, the value quoted as Go's strconv.Quote does (label values are letters,
// digits and -_. only, so a JSON string parse reads them). The agent sends them with its pod, so
// the collector can map it to the workload whose selector matches.
import { readFileSync } from 'node:fs';
import { PortdriftError } from '../../shared/errors.js';

/** Bounded: a label file is small (Kubernetes allows 63-character values, keys up to 317). */
const MAX_BYTES = 64 * 1024;

export function parsePodLabels(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    let value: unknown;
    try {
      value = eq > 0 ? JSON.parse(line.slice(eq + 1)) : undefined;
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string') {
      const shown = JSON.stringify(line.slice(0, 80));
      const message = `${file}:${i + 1}: not a downward-API label line (key="value"): ${shown}`;
      throw new PortdriftError('PD_CONFIG_INVALID', message);
    }
    out[line.slice(0, eq)] = value;
  });
  return out;
}

/** The labels of the pod from its downward-API file (`--pod-labels`). */
export function readPodLabels(file: string): Record<string, string> {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PortdriftError('PD_CONFIG_INVALID', `podLabels: cannot read ${file}: ${why}`, { cause: err });
  }
  return parsePodLabels(text, file);
}
