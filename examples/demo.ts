// `npm start`: the demo. Starts a few small TCP services on loopback that drift from the IaC in
// examples/ (one moved port, one missing, one undeclared, the rest in sync), runs
// `portdrift scan` on it in-process, prints the finding table, stops its services and exits 0:
// finding that drift is what the demo is for. An entrypoint, so it may touch `process`.
//
// It must work on any machine: the ports are unusual high ones, every port the scan will look at
// is checked free before anything starts (a clear message names a taken one), and the discovery
// set is only the ±10 neighbourhood of the declared ports, so sshd, a service on 0.0.0.0 or
// anything else on the machine never enters the result.
import { type Server, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../cli/context.js';
import { runCli } from '../cli/program.js';
import { isChecked } from '../shared/drift/model-index.js';
import { NEIGHBOURHOOD } from '../shared/drift/targets.js';
import { errnoCode } from '../shared/errors.js';
import { extract } from '../shared/iac/extract.js';
import { formatPortSpec } from '../shared/ports.js';

// dist/examples/demo.js → the repository's examples/ (the IaC is not compiled, it is read).
const here = dirname(fileURLToPath(import.meta.url));
const examples = here.endsWith(join('dist', 'examples')) ? join(here, '..', '..', 'examples') : here;

interface Service {
  host: string;
  port: number;
  what: string;
}

const SERVICES: readonly Service[] = [
  { host: '127.0.0.11', port: 25433, what: 'orders database, moved from its declared 25432' },
  { host: '127.0.0.12', port: 26379, what: 'sessions cache (in sync)' },
  { host: '127.0.0.13', port: 28080, what: 'api (in sync; its metrics port 29090 is not running)' },
  { host: '127.0.0.13', port: 28085, what: 'a debug listener nothing declares' },
  { host: '127.0.0.14', port: 27070, what: 'inventory (in sync)' },
];

const SCAN_ARGS = ['infra', 'k8s', '--state', 'infra/terraform.tfstate', '--targets', 'targets.yaml'];

class DemoError extends Error {}

function bind(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // The prober closes every connection with a reset (no TIME_WAIT), so a reset here is normal.
    // The socket is read (resume) like any real service: the scan fingerprints declared ports
    // with an expected service, and a hello left unread would keep the connection, and so
    // close() below, waiting forever.
    const s = createServer((socket) =>
      socket
        .on('error', () => undefined)
        .resume()
        .end(),
    );
    s.once('error', (err) => {
      const code = errnoCode(err);
      if (code === 'EADDRINUSE')
        reject(
          new DemoError(
            `port ${host}:${port} is taken by another program; the demo needs every port it scans free. ` +
              `Stop that program (e.g. \`ss -ltnp 'sport = :${port}'\` shows it) and run the demo again.`,
          ),
        );
      else if (code === 'EADDRNOTAVAIL')
        reject(
          new DemoError(
            `cannot use the loopback address ${host} (${code}): this system routes only 127.0.0.1 on ` +
              `loopback. On macOS add it with \`sudo ifconfig lo0 alias ${host} up\` and run the demo again.`,
          ),
        );
      else reject(new DemoError(`cannot listen on ${host}:${port}: ${(err as Error).message}`));
    });
    s.listen({ host, port, exclusive: true }, () => resolve(s));
  });
}

const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

const servers: Server[] = [];
async function stopAll(): Promise<void> {
  await Promise.all(servers.splice(0).map(close));
}

async function main(): Promise<number> {
  const out = (t: string) => void process.stdout.write(t);
  // The scan's port set, from the IaC itself: the ±10 neighbourhood of every declared port.
  const model = await extract(
    SCAN_ARGS.slice(0, 2),
    {
      stateFiles: ['infra/terraform.tfstate'],
      targetsFile: 'targets.yaml',
      varFiles: [],
      clusterDomain: 'cluster.local',
    },
    { cwd: examples },
  );
  if (model.problems.length > 0)
    throw new DemoError(
      `the demo IaC in ${examples} has problems: ${model.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`,
    );
  const checked = model.endpoints.filter(isChecked);
  const scanPorts = new Set<number>();
  for (const e of checked)
    for (let p = e.port - NEIGHBOURHOOD; p <= (e.toPort ?? e.port) + NEIGHBOURHOOD; p++) scanPorts.add(p);
  const hosts = [...new Set(checked.map((e) => e.host))].sort();

  // Every port the scan will probe must be ours: bind each one once, release it, then start the
  // services. A program on 0.0.0.0 or on the address itself fails the bind and is named.
  for (const host of hosts) {
    for (const port of scanPorts) await close(await bind(host, port));
  }
  for (const s of SERVICES) servers.push(await bind(s.host, s.port));

  out('portdrift demo: the IaC in examples/ (Terraform, its state, a targets file, a Kubernetes manifest)\n');
  out(`declares ${checked.length} listen endpoints on ${hosts.length} loopback hosts. Services started for it:\n`);
  for (const s of SERVICES) out(`  ${`${s.host}:${s.port}`.padEnd(17)} ${s.what}\n`);
  const spec = formatPortSpec(scanPorts);
  const argv = ['scan', ...SCAN_ARGS, '--ports', spec, '--format', 'table'];
  out(`\n$ cd examples && portdrift ${argv.join(' ')}\n\n`);

  const ctx: CliContext = {
    out,
    err: (t) => void process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: false,
    env: process.env,
    cwd: examples,
    shutdown: new Promise(() => undefined),
    onReload: () => () => undefined,
  };
  const code = await runCli(argv, ctx);
  await stopAll();
  if (code === 2) {
    out(
      `\n\`portdrift scan\` exited 2 (findings), as it would fail a CI job. That is the demo succeeding: it planted\n`,
    );
    out('one moved port, one missing and one undeclared, and the scan found them, each with its IaC line and a fix.\n');
    out(
      'Services stopped. Next: `portdrift scan <your IaC> --state terraform.tfstate` on a host inside your network.\n',
    );
    return 0;
  }
  process.stderr.write(
    code === 0
      ? 'portdrift demo: the scan found no drift, but the demo planted three drifts: something is wrong.\n'
      : 'portdrift demo: the scan failed (see above).\n',
  );
  return 1;
}

process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
try {
  process.exitCode = await main();
} catch (err) {
  await stopAll();
  if (err instanceof DemoError) process.stderr.write(`portdrift demo: ${err.message}\n`);
  else process.stderr.write(`portdrift demo: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
}
