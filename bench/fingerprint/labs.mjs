// The fingerprint bench's labs: scenario (b), plain listeners on every host of a namespace lab,
// and scenario (s), the same lab with real daemons (sshd, nginx, memcached, redis, PostgreSQL)
// answering on the open ports of every host. Each lab comes with its truth and a stop().
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  let pgData = null;

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

  function sh(cmd, args, what) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout}`);
  }

  /** Files every services lab shares: TLS certificate, SSH host key, an initdb'd cluster. */
  function prepareServices() {
    if (pgData) return;
    sh(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(work, 'key.pem'),
        '-out',
        join(work, 'cert.pem'),
        '-days',
        '30',
        '-subj',
        '/CN=lab.internal/O=portdrift bench',
        '-addext',
        'subjectAltName=DNS:lab.internal',
      ],
      'openssl',
    );
    sh(bins['ssh-keygen'], ['-q', '-t', 'ed25519', '-f', join(work, 'hostkey'), '-N', ''], 'ssh-keygen');
    const pg = join(work, 'pg');
    mkdirSync(pg);
    const id = (f) => Number(spawnSync('id', [f, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(pg, id('-u'), id('-g'));
    chmodSync(pg, 0o700);
    pgData = join(pg, 'data');
    sh(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        bins.initdb,
        '-D',
        pgData,
        '-A',
        'trust',
        '-U',
        'postgres',
        '--no-sync',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      'initdb',
    );
  }

  function nginxConf(dir, addresses) {
    const t = (n) => join(dir, n);
    const http = addresses
      .map((ip, i) => `  server { listen ${ip}:${80 + i}; location / { return 200 "ok\\n"; } }`)
      .join('\n');
    const conf = t('nginx.conf');
    writeFileSync(
      conf,
      `daemon off;
worker_processes 1;
pid ${t('nginx.pid')};
error_log ${t('error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
${http}
  server {
    listen 0.0.0.0:443 ssl;
    ssl_certificate ${join(work, 'cert.pem')};
    ssl_certificate_key ${join(work, 'key.pem')};
    location / { return 200 "ok\\n"; }
  }
}
`,
    );
    return conf;
  }

  async function servicesLab() {
    prepareServices();
    const lab = await createLab({ hosts: HOSTS });
    const ns = lab.server.name;
    const children = [];
    const start = (argv) => {
      const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => {
        err = (err + d).slice(-2000);
      });
      c.log = () => err;
      children.push(c);
    };
    // One sshd stands in for 64 hosts' sshds: its limit of unauthenticated connections (10 by
    // default) is raised so that it is not one host's limit shared by all of them.
    // PostgreSQL runs as its own user: let it bind 543 inside this namespace only.
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=0'], 'sysctl');
    const dir = mkdtempSync(join(work, 'lab-'));
    start([
      'sh',
      '-c',
      `mount -t tmpfs -o size=1m tmpfs /run && mkdir -m 755 /run/sshd && exec ${bins.sshd} -D -e -f ` +
        `/dev/null -h ${join(work, 'hostkey')} -p 22 -o ListenAddress=0.0.0.0 -o PidFile=none -o MaxStartups=1000`,
    ]);
    start([bins.nginx, '-c', nginxConf(dir, lab.addresses), '-p', dir, '-e', join(dir, 'error.log')]);
    start([bins.memcached, '-u', 'nobody', '-l', '0.0.0.0', '-p', '211', '-U', '0', '-c', '4096']);
    start([
      bins['redis-server'],
      '--port',
      '637',
      '--bind',
      '0.0.0.0',
      '--protected-mode',
      'no',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--maxclients',
      '4000',
    ]);
    // setpriv execs (runuser would fork): the PID held is the postmaster's, stopped below.
    rmSync(join(pgData, 'postmaster.pid'), { force: true });
    start([
      'setpriv',
      '--reuid=postgres',
      '--regid=postgres',
      '--init-groups',
      bins.postgres,
      '-D',
      pgData,
      '-p',
      '543',
      '-k',
      join(work, 'pg'),
      '-c',
      'listen_addresses=0.0.0.0',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ]);
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
    const ready =
      `const net=require('node:net');const until=Date.now()+60000;
    const one=(p)=>new Promise((r)=>{const s=net.connect(p,'${last.ip}` +
      `');s.on('connect',()=>{s.destroy();r(true)});s.on('error',()=>r(false))});
    (async()=>{for(const p of ${JSON.stringify(last.open)}` +
      `){while(!(await one(p))){if(Date.now()>until){console.error('not ready: ` +
      `'+p);process.exit(1)}await new Promise((r)=>setTimeout(r,100))}}})();`;
    const r = await lab.run([process.execPath, '-e', ready], { timeoutMs: 70_000 });
    if (r.code !== 0) throw new Error(`services not ready: ${r.stderr}\n${children.map((c) => c.log()).join('\n')}`);
    lab.drop(901, 1000);
    const stop = async () => {
      // PostgreSQL's immediate shutdown (SIGQUIT) takes its backends along; the rest are killed.
      const waits = children.map((c) => {
        if (c.exitCode !== null || c.signalCode !== null) return null;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill(c === children[4] ? 'SIGQUIT' : 'SIGKILL');
        return Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      });
      await Promise.all(waits);
      rmSync(dir, { recursive: true, force: true });
    };
    return { lab, truth, stop };
  }

  return { plainLab, servicesLab };
}
