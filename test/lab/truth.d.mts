// Types of truth.mjs.
export type State = 'open' | 'closed' | 'filtered' | 'unreachable';
export interface HostTruth {
  ip: string;
  open?: number[];
  filtered?: Array<[number, number]>;
  unreachable?: boolean;
}
export interface Truth {
  ports: [number, number];
  hosts: HostTruth[];
}
export interface Observed {
  ip: string;
  port: number;
  state: State;
}
export interface Accuracy {
  exact: boolean;
  openExpected: number;
  openFound: number;
  missedOpen: string[];
  falseOpen: string[];
  falseOpenCount: number;
  filteredExpected: number;
  filteredFound: number;
  filteredAsClosed: number;
  closedAsFiltered: number;
  unreachableExpected: number;
  unreachableFound: number;
  otherMismatches: number;
  /** Up to 20 "ip:port expected X, got Y" lines. */
  mismatches: string[];
  /** Results for an address or port outside the scenario. */
  foreign: number;
}
export function expectedState(truth: Truth, ip: string, port: number): State | undefined;
export function compare(truth: Truth, observed: Iterable<Observed>): Accuracy;
export function describeAccuracy(r: Accuracy): string;
export function probeCount(truth: Truth): number;
