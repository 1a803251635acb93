// A deliberately simple, independent connect check for verifying a lab's ground truth (not a
// prober: one socket per endpoint, all at once, fixed timeout). Prints one JSON object
// { "ADDRESS:PORT": "open" | "ECONNREFUSED" | "EHOSTUNREACH" | … | "timeout" }.
// Usage: node connect.mjs TIMEOUT_MS ADDRESS:PORT|[V6]:PORT ...
import { connect } from 'node:net';

const timeoutMs = Number(process.argv[2]);
const targets = process.argv.slice(3);
const out = {};
await Promise.all(
  targets.map(
    (t) =>
      new Promise((resolve) => {
        const m = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:]+):(\d+)$/.exec(t);
        if (!m) {
          out[t] = 'bad-endpoint';
          return resolve();
        }
        const s = connect({ host: m[1], port: Number(m[2]) });
        const done = (v) => {
          clearTimeout(timer);
          out[t] = v;
          s.destroy();
          resolve();
        };
        const timer = setTimeout(() => done('timeout'), timeoutMs);
        s.once('connect', () => done('open'));
        s.once('error', (e) => done(e.code ?? e.message));
      }),
  ),
);
process.stdout.write(`${JSON.stringify(out)}\n`);
