// Domain and wire types shared by every part of portdrift. This file and shared/types/ import
// nothing else: they are the contract between the extractor, the probe engine, the drift engine,
// the collector, the agent and the CLI (docs/design/architecture.md#vocabulary). One file per
// concept under shared/types/; this barrel re-exports them so importers name one module.

export type * from './types/declared.js';
export type * from './types/findings.js';
export type * from './types/live.js';
export type * from './types/probe.js';
export type * from './types/wire.js';
