// `portdrift probe <hosts…>`: the agent's connect engine, raw. Prints every non-closed result
// (`--all`: closed too) as json (docs/design/probe-engine.md#output, version 1) or a table; without
// --format, table on a terminal and json otherwise, like `extract`. `--fingerprint` names the
// service on each open port afterwards (agent/fingerprint): a SERVICE column, `fingerprint` in json.
// Exit 0 when every host was probed. Exit 1 for bad arguments (nothing is probed), and also
// when some host could not be probed at all — its name does not resolve, its address is refused
// (link-local, metadata, multicast, broadcast without --allow-special) or cannot be used from
// here — after printing the results of every other host: a script must not mistake "nothing
// answered" for "nothing listens". Each such host is named on stderr with its error code.
import { Command, Option } from 'commander';
import { PortdriftError } from '../../shared/errors.js';
import { hostProblem } from '../../shared/hosts.js';
import { probeTargets } from '../../agent/probe/index.js';
import {
  formatProbeJson,
  formatProbeTable,
  probeOutput,
  probeProblems,
  probeResultLine,
  probeSummaryLine,
} from '../../agent/probe/output.js';
import type { ProbeResult } from '../../shared/types.js';
import type { CliContext } from '../context.js';
import { parseProbeFlags, type ProbeFlagValues } from '../probe-flags.js';
import type { CommandFactory } from './index.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface ProbeFlags {
  ports: string;
  format?: 'table' | 'json' | 'jsonl';
  all?: boolean;
  concurrency?: string;
  timeout?: string;
  retries?: string;
  allowSpecial: string[];
  fingerprint?: boolean;
  expect: string[];
  exclude: string[];
  excludePorts?: string;
  rate?: string;
}

/** Every argument checked at once: the hosts here, the flags in cli/probe-flags.ts (ports default to `top`). */
function parseArgs(hosts: string[], o: ProbeFlags): ProbeFlagValues & { ports: number[] } {
  const bad = hosts.flatMap((h) => {
    const why = hostProblem(h);
    return why ? [`host ${why}`] : [];
  });
  if (o.expect.length > 0 && !o.fingerprint) bad.push('--expect needs --fingerprint');
  let f: ProbeFlagValues;
  try {
    f = parseProbeFlags(o);
  } catch (err) {
    if (bad.length === 0) throw err;
    throw new PortdriftError('PD_USAGE', [...bad, (err as Error).message].join('; '), { details: { problems: bad } });
  }
  if (bad.length > 0) throw new PortdriftError('PD_USAGE', bad.join('; '), { details: { problems: bad } });
  const ports = f.excludePorts ? f.ports!.filter((p) => !f.excludePorts!.has(p)) : f.ports!;
  if (ports.length === 0) {
    const message = `--exclude-ports ${o.excludePorts} leaves no port of --ports ${o.ports} to probe`;
    throw new PortdriftError('PD_USAGE', message);
  }
  return { ...f, ports };
}

/** A one-line progress bar on stderr, for terminals only, once the run has lasted a while. */
function progressBar(ctx: CliContext): { update: (done: number, total: number) => void; clear: () => void } {
  const since = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (!ctx.stderrIsTTY || now - since < 1000 || now - last < 100) return;
      last = now;
      shown = true;
      const pct = total ? Math.floor((done / total) * 100) : 100;
      const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
      ctx.err(`\rprobing [${bar}] ${done}/${total} (${pct}%)`);
    },
    clear() {
      if (shown) ctx.err('\r\x1b[K');
    },
  };
}

export const probeCommand: CommandFactory = (ctx, setExit) =>
  new Command('probe')
    .description('raw TCP connect probe (the agent engine): the state of every host:port')
    .argument('<hosts...>', 'IP addresses or names (every A and AAAA record is probed)')
    .option('--ports <spec>', 'ports: e.g. 22,80,8000-8100, top (common internal service ports), all', 'top')
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: table on a terminal, json otherwise); ' +
          'jsonl: one JSON object a line as each result is known, summary last',
      ).choices(['table', 'json', 'jsonl']),
    )
    .option('--all', 'list closed ports too')
    .option(
      '--concurrency <n>',
      'most probes in flight (default: sized from the open-files limit and the ephemeral port range)',
    )
    .option(
      '--timeout <duration>',
      'connect timeout cap, e.g. 500ms, 2s (default 1s; per host it adapts below this from measured RTT)',
    )
    .option(
      '--retries <n>',
      'extra tries of filtered probes (default 1; deepened by up to 2 on hosts where retries pay off)',
    )
    .option(
      '--allow-special <cidr>',
      'probe a link-local, cloud-metadata, multicast or broadcast address anyway; repeat for several',
      collect,
      [],
    )
    .option('--fingerprint', 'name the service on each open port (banners, read-only hellos; about 1s per port)')
    .option('--expect <port=service>', 'with --fingerprint: a service to try first (5432=postgres)', collect, [])
    .option(
      '--exclude <host|cidr>',
      'leave out these addresses, networks or names (comma-separated, or repeat)',
      collect,
      [],
    )
    .option('--exclude-ports <spec>', 'never probe these ports, e.g. 9100,10250-10259')
    .option('--rate <n>', 'most connects per second over all hosts together (default: adaptive per-host pacing only)')
    .action(async (hosts: string[], opts: ProbeFlags) => {
      const f = parseArgs(hosts, opts);
      const abort = new AbortController();
      void ctx.shutdown.then(() => abort.abort());
      const bar = progressBar(ctx);
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      // jsonl: each result's line is written as soon as it is final (open and closed as they
      // answer, filtered at the end), for a `jq` reading along on a long sweep.
      const stream = format === 'jsonl' ? { onResult: (r: ProbeResult) => ctx.out(probeResultLine(r)) } : {};
      const run = await probeTargets(
        hosts.map((host) => ({ host, declared: [], discovery: f.ports, ...(f.expect ? { expect: f.expect } : {}) })),
        {
          signal: abort.signal,
          admit: (ip) => f.admit(ip),
          onProgress: bar.update,
          ...stream,
          closedResults: opts.all === true,
          ...(opts.fingerprint ? { fingerprint: true } : {}),
          ...(f.concurrency !== undefined ? { concurrency: f.concurrency } : {}),
          ...(f.timeoutMs !== undefined ? { timeoutMs: f.timeoutMs } : {}),
          ...(f.retries !== undefined ? { retries: f.retries } : {}),
          ...(ctx.nofileLimit !== undefined ? { nofileLimit: ctx.nofileLimit } : {}),
          ...(f.rate !== undefined ? { rate: f.rate } : {}),
          ...(f.exclude ? { exclude: f.exclude.matches } : {}),
        },
      );
      bar.clear();
      const out = probeOutput(run, opts.all === true);
      const excluded = run.excluded?.length ?? 0;
      const text =
        format === 'json'
          ? formatProbeJson(out)
          : format === 'jsonl'
            ? probeSummaryLine(out.summary, excluded)
            : formatProbeTable(out);
      ctx.out(text);
      const problems = probeProblems(run);
      for (const p of problems) ctx.err(`portdrift: ${p}\n`);
      if (abort.signal.aborted) ctx.err('portdrift: stopped early; the results above are what was probed\n');
      // A host with nothing probed is an error; an address with some results and an error note is not.
      const unprobed =
        run.sweeps.some((s) => s.results.length === 0 && s.error !== undefined) || run.skipped.length > 0;
      setExit(unprobed || abort.signal.aborted ? 1 : 0);
    });
