// The evaluator's surface for the extractor: values, scopes and evaluation live in lang/.
export { evaluate, type Scope, type Writer } from './lang/evaluate.js';
export { fromPlain, index, plain, unknown, type Origin, type Value } from './lang/values.js';
