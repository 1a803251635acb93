// What the benchmarks share: the built CLI, medians, and where results go; for the collector
// scenarios (ingest, pg-ingest, fleet-load, ttd) a declared model, tokens, a `portdrift collector`
// child that is waited for until it listens and stopped by PID, and batches posted as agents post
// them (NDJSON, Idempotency-Key, Bearer token). Not a scenario itself: bench/run.mjs runs only
// *.bench.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const main = join(here, '..', 'dist', 'cli', 'main.js');

/** Exits naming what is missing when dist/ (the CLI, and any other module named) is not built. */
export function requireBuilt(...modules) {
  const missing = [main, ...modules].find((m) => !existsSync(m));
  if (!missing) return;
  console.error(`${missing} is missing: run \`npm run build\` first`);
  process.exit(1);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The upper median (the middle of an odd count; the upper middle of an even one). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median of the numbers among `xs` (a run without a figure is null), the mean of the two middle
 * ones for an even count; null when there is none. */
export const medianOrNull = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** Milliseconds as the tables print them: `1,234 ms`, or `—` for none. */
export const fmtMs = (ms) => (ms === null ? '—' : `${Math.round(ms).toLocaleString('en-US')} ms`);

/**
 * main.tf with one `aws_db_instance.orders` on 5432 (with `engine = "postgres"` when asked) and
 * targets.yaml placing it on every one of `hosts`: nothing a batch writes is outside the model.
 */
export function writeOrdersModel(dir, hosts, { engine = false } = {}) {
  writeFileSync(
    join(dir, 'main.tf'),
    engine
      ? 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = 5432\n}\n'
      : 'resource "aws_db_instance" "orders" {\n  port = 5432\n}\n',
  );
  writeFileSync(
    join(dir, 'targets.yaml'),
    `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${hosts.join(', ')}]\n`,
  );
}

/** The model files of writeOrdersModel (or the scenario's own in `dir`) as collector flags. */
export const modelArgs = (dir) => ['--iac', join(dir, 'main.tf'), '--targets', join(dir, 'targets.yaml')];

/**
 * `portdrift ARGS…` run to its end; its stdout. A non-zero exit throws, unless `anyExit` and it
 * printed something (`agents` exits non-zero when an agent is late, and still lists them).
 */
export function cli(args, { anyExit = false, timeoutMs = 60_000 } = {}) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0 && !(anyExit && r.stdout))
    throw new Error(`portdrift ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `portdrift token create` on the store at `data`: the secret (its output's last line). */
export function createTokenCli(data, role, name, scope) {
  const args = [
    'token',
    'create',
    '--data',
    data,
    '--role',
    role,
    '--name',
    name,
    ...(scope ? ['--scope', scope] : []),
  ];
  return cli(args).trim().split('\n').pop().trim();
}

/** Agent tokens for agent-0 … agent-(count-1), each scoped to `scope`, made on an open store. */
export async function createAgentTokens(store, count, scope = ['10.0.0.0/8']) {
  const tokens = [];
  for (let a = 0; a < count; a++) {
    const now = new Date().toISOString();
    tokens.push((await store.createToken({ name: `agent-${a}`, role: 'agent', scope, now })).token);
  }
  return tokens;
}

/**
 * A long-running `node [nodeArgs] dist/cli/main.js ARGS…` (inside namespace `netns` when given):
 * keeps the tail of its stderr and each JSON log line as a message with the time it was seen.
 */
export function daemon(args, { netns, env, cwd, nodeArgs = [] } = {}) {
  const argv = [process.execPath, ...nodeArgs, main, ...args];
  const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const child = spawn(cmd, rest, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: env ? { ...process.env, ...env } : process.env,
  });
  const p = { child, tail: '', messages: [] };
  let partial = '';
  child.stderr.on('data', (d) => {
    p.tail = (p.tail + d).slice(-20_000);
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) {
      try {
        p.messages.push({ ...JSON.parse(l), seenAt: Date.now() });
      } catch {}
    }
  });
  p.exited = new Promise((r) => child.once('exit', r));
  return p;
}

/**
 * `portdrift collector --listen 127.0.0.1:0 ARGS…` as a daemon(), once it says where it listens:
 * `{ child, tail, messages, exited, url }`. Throws with its stderr when it exits or is silent 30 s.
 */
export async function startCollector(args, options = {}) {
  const p = daemon(['collector', '--listen', '127.0.0.1:0', ...args], options);
  // The same object (its tail and messages keep growing), with the URL added.
  p.url = await listening(p).catch(async (err) => {
    await stopAll([p]);
    throw err;
  });
  return p;
}

/** The URL a daemon()'s collector says it listens on. */
function listening(p) {
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const m = /listening on (http\S+?)["\s]/.exec(p.tail);
      if (m) done(() => resolve(m[1]));
    }, 50);
    const limit = setTimeout(() => done(() => reject(new Error(`collector did not start:\n${p.tail}`))), 30_000);
    const exit = (code) => done(() => reject(new Error(`collector exited ${code}:\n${p.tail}`)));
    p.child.once('exit', exit);
    function done(then) {
      clearInterval(t);
      clearTimeout(limit);
      p.child.off('exit', exit);
      then();
    }
  });
}

/** SIGTERM to each still-running daemon() by its PID; SIGKILL to any not gone within `waitMs`. */
export async function stopAll(procs, waitMs = 10_000) {
  const running = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of running) p.child.kill('SIGTERM');
  await Promise.race([Promise.all(running.map((p) => p.exited)), sleep(waitMs)]);
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/** The first line of an agent's batch (wire format v1), with no plan and an empty spool. */
export const batchHeader = (batchId, agent, at) => ({
  t: 'batch',
  v: 1,
  batchId,
  agent,
  agentVersion: '0.1.0',
  planRevision: null,
  startedAt: at,
  finishedAt: at,
  spoolDropped: 0,
  spoolDepth: 0,
});

/** One `obs` record as a ready NDJSON line (written by hand: the bodies hold millions of them). */
export const obsLine = (ip, port, state, at) =>
  `{"t":"obs","host":"${ip}","ip":"${ip}","port":${port},"state":"` +
  `${state}","rttMs":${state === 'open' ? 0.3 : null},"at":"${at}"}`;

/** The headers an agent posts a batch with. */
export const batchHeaders = (token, batchId) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/x-ndjson',
  'idempotency-key': batchId,
});

/**
 * Posts `batches` ({ id, body }) from `senders` concurrent clients, batch i to `urlOf(i)` with
 * `tokenOf(i)`, timed from the first request to the last answer. A batch counts as a failure
 * unless the collector took all of it (200 and nothing outside the model or over the row cap):
 * a batch taken in part would flatter the rate.
 */
export async function postBatches(batches, { senders, urlOf, tokenOf }) {
  let next = 0;
  let failures = 0;
  let lastFailure = '';
  const sender = async () => {
    while (next < batches.length) {
      const i = next++;
      const { id, body } = batches[i];
      const r = await fetch(new URL('/v1/observations', urlOf(i)), {
        method: 'POST',
        body,
        headers: batchHeaders(tokenOf(i), id),
      });
      const text = await r.text();
      let answer = {};
      try {
        answer = JSON.parse(text);
      } catch {}
      if (r.status !== 200 || answer.outsideModel || answer.capped) {
        failures++;
        lastFailure = `${r.status} ${text.slice(0, 200)}`;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: senders }, sender));
  return { seconds: (performance.now() - t0) / 1000, failures, lastFailure };
}

/** Writes a scenario's figures to bench/results/NAME.json (docs/benchmarks.md quotes them). */
export function writeResult(name, data) {
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}
