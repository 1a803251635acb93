// The fingerprint bench's tools (portdrift probe with and without --fingerprint, nmap -sV) and
// what each named on each port, compared with the lab's truth.
import { loadavg } from 'node:os';
import { readPortdrift } from '../../test/lab/outputs.mjs';
import { compare } from '../../test/lab/truth.mjs';

/** `runOnce(build, id)`: one run of tool `id` in a fresh lab from `build`. */
export function fingerprintTools({ cli, root, hosts: HOSTS, timeoutMs: RUN_TIMEOUT_MS }) {
  const probeArgv = (lab, extra) => [
    process.execPath,
    cli,
    'probe',
    ...lab.addresses,
    '--ports',
    '1-1000',
    '--format',
    'json',
    ...extra,
  ];
  const tools = {
    'pd-off': { argv: (lab) => probeArgv(lab, []), kind: 'portdrift' },
    'pd-fp': { argv: (lab) => probeArgv(lab, ['--fingerprint']), kind: 'portdrift' },
    'nmap-sV': {
      argv: () => ['nmap', '-sT', '-sV', '-T5', '-n', '-Pn', '-p1-1000', `10.231.0.1-${HOSTS}`, '-oX', '-'],
      kind: 'nmap',
    },
  };

  /** nmap's service names in the fingerprint vocabulary; TLS-wrapped services are `tls`, as ours. */
  function nmapName(name, tunnel) {
    if (tunnel === 'ssl' || name === 'ssl' || name === 'https') return 'tls';
    return { postgresql: 'postgres', memcache: 'memcached', 'http-proxy': 'http', 'http-alt': 'http' }[name] ?? name;
  }

  /** Open ports with their service name from nmap -oX (only what the service and state say). */
  function readNmapServices(xml) {
    const out = new Map();
    for (const h of xml.split('<host ').slice(1)) {
      const ip = /<address addr="([^"]+)" addrtype="ipv4"/.exec(h)?.[1];
      if (!ip) continue;
      for (const m of h.matchAll(/<port protocol="tcp" portid="(\d+)">(.*?)<\/port>/gs)) {
        if (!/<state state="open"/.test(m[2])) continue;
        const svc = /<service name="([^"]*)"([^>]*)\/?>/.exec(m[2]);
        const tunnel = svc ? /tunnel="([^"]+)"/.exec(svc[2])?.[1] : undefined;
        const product = svc ? /product="([^"]+)"/.exec(svc[2])?.[1] : undefined;
        out.set(`${ip}:${m[1]}`, {
          service: svc ? nmapName(svc[1], tunnel) : 'unknown',
          raw: svc ? `${tunnel ? `${tunnel}/` : ''}${svc[1]}${product ? ` (${product})` : ''}` : '',
        });
      }
    }
    return out;
  }

  /** Per expected service: ports named right / ports, and what was said instead. */
  function naming(truth, named) {
    const by = {};
    for (const [key, want] of truth.services) {
      by[want] = by[want] ?? { ports: 0, right: 0, other: {} };
      const b = by[want];
      b.ports++;
      const got = named.get(key);
      if (got?.service === want) b.right++;
      else {
        const said = got ? got.raw || got.service : 'not reported';
        b.other[said] = (b.other[said] ?? 0) + 1;
      }
    }
    return by;
  }

  async function runOnce(build, id) {
    const { lab, truth, stop } = await build();
    try {
      const tool = tools[id];
      const load = loadavg()[0];
      const r = await lab.run(tool.argv(lab), { timeoutMs: RUN_TIMEOUT_MS, cwd: root });
      const run = {
        tool: id,
        wallMs: r.wallMs,
        cpuMs: r.cpuMs,
        load1: Math.round(load * 100) / 100,
        code: r.code,
        problems: [],
      };
      if (r.timedOut) run.problems.push(`killed after ${RUN_TIMEOUT_MS / 1000} s`);
      else if (r.code !== 0) run.problems.push(`exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`);
      if (tool.kind === 'portdrift') {
        const read = readPortdrift(r.stdout);
        run.problems.push(...read.problems);
        run.accuracy = compare(truth, read.results);
        if (truth.services) {
          const named = new Map();
          for (const x of JSON.parse(r.stdout).results ?? []) {
            if (x.state !== 'open' || !x.fingerprint) continue;
            const f = x.fingerprint;
            const raw =
              f.service === 'unknown'
                ? `unknown: ${f.detail ?? ''}`
                : `${f.service}${f.product ? ` (${f.product})` : ''}`;
            named.set(`${x.ip}:${x.port}`, { service: f.service, raw });
          }
          if (id === 'pd-fp') run.naming = naming(truth, named);
        }
      } else {
        const named = readNmapServices(r.stdout);
        run.naming = naming(truth, named);
        run.openFound = named.size;
      }
      return run;
    } finally {
      await stop();
      await lab.destroy();
    }
  }

  return { runOnce };
}
