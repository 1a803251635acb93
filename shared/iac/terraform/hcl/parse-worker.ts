// A parser thread of parse-file.ts: one hcl2json WASM instance answering parse requests in order.
// Each answer carries the parsed body (structured-cloned by postMessage, which costs this thread,
// not the one that evaluates) or hcl2json's diagnostic string.
import { parentPort } from 'node:worker_threads';
import { parseHidingNumbers } from './numbers.js';
import { loadHcl2Json } from './hcl2json.js';

export interface HclRequest {
  id: number;
  file: string;
  text: string;
}

export type HclReply = { id: number; body: Record<string, unknown> } | { id: number; error: string };

const port = parentPort;
if (port) {
  // Load the WASM now, not on the first request: the thread may be started ahead of the files.
  void loadHcl2Json();
  port.on('message', (req: HclRequest) => {
    loadHcl2Json()
      .then((lib) => parseHidingNumbers(lib, req.file, req.text))
      .then(
        (body) => port.postMessage({ id: req.id, body } satisfies HclReply),
        (err: unknown) =>
          port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies HclReply),
      );
  });
}
