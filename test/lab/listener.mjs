// A lab listener: binds every ADDRESS:PORT given on the command line (IPv6 as [::1]:PORT),
// prints READY once all are bound, and exits when its stdin closes or on SIGTERM — so a parent
// that dies without cleaning up still takes its listeners with it. Accepted connections are
// destroyed at once: the prober only needs the handshake. Run inside a namespace with
// `ip netns exec NS node listener.mjs 10.231.0.1:22 ...`.
import { createServer } from 'node:net';

const endpoints = process.argv.slice(2).map((arg) => {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(arg) ?? /^([^:]+):(\d+)$/.exec(arg);
  if (!m) {
    console.error(`listener: bad endpoint ${JSON.stringify(arg)} (expected ADDRESS:PORT or [V6]:PORT)`);
    process.exit(2);
  }
  return { host: m[1], port: Number(m[2]) };
});

const servers = [];
function bind({ host, port }) {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.destroy();
    });
    server.once('error', (err) =>
      reject(new Error(`listener: cannot bind ${host}:${port}: ${err.code ?? err.message}`)),
    );
    // A large backlog: a prober with a wide window must never see a SYN dropped by a full
    // accept queue, which would look like a filtered port and spoil the ground truth.
    server.listen({ host, port, backlog: 4096, ipv6Only: host.includes(':') }, () => resolve(server));
  });
}

function quit(code) {
  for (const s of servers) s.close();
  process.exit(code);
}

process.on('SIGTERM', () => quit(0));
process.stdin.on('end', () => quit(0));
process.stdin.on('close', () => quit(0));
process.stdin.resume();

try {
  for (const ep of endpoints) servers.push(await bind(ep));
  process.stdout.write('READY\n');
} catch (err) {
  console.error(err.message);
  quit(1);
}
