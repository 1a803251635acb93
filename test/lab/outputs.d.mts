// Types of outputs.mjs.
import type { Observed } from './truth.mjs';
export interface PortdriftResult extends Observed {
  host: string;
  rttMs: number | null;
  attempts: number;
}
export interface PortdriftSummary {
  probes: number;
  open: number;
  closed: number;
  filtered: number;
  unreachable: number;
  seconds: number;
}
export function readPortdrift(text: string): { results: PortdriftResult[]; summary: PortdriftSummary | null; problems: string[] };
export function readNmapXml(xml: string): { results: Observed[]; perHost: Map<string, number>; elapsed: number | null; problems: string[] };
