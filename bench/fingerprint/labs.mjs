// The fingerprint bench's labs: scenario (b), plain listeners on every host of a namespace lab,
// and scenario (s), the same lab with real daemons (sshd, nginx, memcached, redis, PostgreSQL)
// answering on the open ports of every host. Each lab comes with its truth and a stop().
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Daemons, initPostgres, selfSigned, sshHostKey } from '../../test/lab/daemons.mjs';
import { createLab } from '../../test/lab/netns.mjs';

/** Scenario (b) of the probe bench: four open per host, all below the DROPped 901–1000. */
const plainOpen = (i) => [22, 80 + i, 443, 600 + ((i * 7) % 300)].sort((a, b) => a - b);

/** The services lab: what answers on each open port of host i. */
const serviceOpen = (i) => [
  { port: 22, service: 'ssh' },
  { port: 80 + i, service: 'http' },
  { port: 211, service: 'memcached' },
  { port: 443, service: 'tls' },
  { port: 543, service: 'postgres' },
  { port: 637, service: 'redis' },
];

/**
 * The labs of `HOSTS` hosts; `bins`: the daemons' paths; `work`: a directory the PostgreSQL user
 * can reach (the shared certificate, host key and cluster go there).
 */
export function fingerprintLabs({ hosts: HOSTS, bins, work }) {
  let shared = null;

  async function plainLab() {
    const lab = await createLab({ hosts: HOSTS });
    const truth = {
      ports: [1, 1000],
      hosts: lab.addresses.map((ip, i) => ({ ip, open: plainOpen(i), filtered: [[901, 1000]] })),
    };
    await lab.listen(truth.hosts.flatMap((h) => h.open.map((port) => ({ ip: h.ip, port }))));
    lab.drop(901, 1000);
    return { lab, truth, stop: async () => {} };
  }

  /** Files every services lab shares: TLS certificate, SSH host key, an initdb'd cluster. */
  function prepareServices() {
    if (shared) return;
    const pg = join(work, 'pg');
    mkdirSync(pg);
    shared = {
      tls: selfSigned(work, 'lab.internal', ['DNS:lab.internal'], 'portdrift bench'),
      hostKey: sshHostKey(work, bins['ssh-keygen']),
      pg,
      pgData: initPostgres(pg, bins.initdb),
    };
  }

  async function servicesLab() {
    prepareServices();
    const lab = await createLab({ hosts: HOSTS });
    const daemons = new Daemons(lab);
    // PostgreSQL runs as its own user: let it bind 543 inside this namespace only.
    lab.server.exec('sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=0');
    const dir = daemons.tempDir('bench');
    const all = '0.0.0.0';
    // One sshd stands in for 64 hosts' sshds: its limit of unauthenticated connections (10 by
    // default) is raised so that it is not one host's limit shared by all of them.
    daemons.sshd(bins.sshd, { port: 22, hostKey: shared.hostKey, listen: all, options: ['MaxStartups=1000'] });
    const http = lab.addresses.map((ip, i) => `${ip}:${80 + i}`);
    daemons.nginx(bins.nginx, dir, { http, tls: { listen: `${all}:443`, ...shared.tls }, connections: 1024 });
    daemons.memcached(bins.memcached, { port: 211, bind: all, extra: ['-c', '4096'] });
    // Not protected mode: redis answers hosts other than loopback without a password.
    daemons.redis(bins['redis-server'], {
      port: 637,
      bind: all,
      dir,
      extra: ['--protected-mode', 'no', '--maxclients', '4000'],
    });
    const pg = { data: shared.pgData, port: 543, socketDir: shared.pg, listen: all, settings: ['max_connections=200'] };
    daemons.postgres(bins.postgres, pg);
    const truth = {
      ports: [1, 1000],
      hosts: lab.addresses.map((ip, i) => ({
        ip,
        open: serviceOpen(i)
          .map((s) => s.port)
          .sort((a, b) => a - b),
        filtered: [[901, 1000]],
      })),
      services: new Map(),
    };
    lab.addresses.forEach((ip, i) => {
      for (const s of serviceOpen(i)) truth.services.set(`${ip}:${s.port}`, s.service);
    });
    // Ready: every open port of the last host accepts (the daemons bind all addresses at once).
    const last = truth.hosts[truth.hosts.length - 1];
    await daemons.ready(last.open, { host: last.ip, timeoutMs: 60_000 });
    lab.drop(901, 1000);
    return { lab, truth, stop: () => daemons.stop() };
  }

  return { plainLab, servicesLab };
}
