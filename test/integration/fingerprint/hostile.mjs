// Hostile and broken services for the fingerprint bounds, one per MODE:PORT argument, on
// 127.0.0.1 (run inside a lab namespace). Prints READY once all are bound; exits when stdin
// closes. Each write loop stops when its socket closes, and no loop outlives the process.
//   endless   on connect: `SSH-2.0-` and then bytes without end, never a line break
//   slow      on connect: an SSH banner at one byte a second
//   garbage   after the first bytes received (a ClientHello, a HEAD, …): a TLS-looking record
//             header, then random bytes without end
//   reset     on connect: half an SSH banner, then an RST
//   headers   after the first bytes received: `HTTP/1.1 200 OK` and header lines without end
//   silent    accepts and says nothing, reads nothing back
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

const CHUNK = Buffer.alloc(16 * 1024, 0x41);
const GARBAGE = randomBytes(16 * 1024);
const HEADER_LINES = Buffer.from('X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(300));

/** Writes `chunk` again and again while the peer reads, until the socket closes. */
function flood(socket, first, chunk) {
  if (first) socket.write(first);
  const pump = () => {
    while (!socket.destroyed && socket.write(chunk));
  };
  socket.on('drain', pump);
  pump();
}

const modes = {
  endless: (s) => flood(s, Buffer.from('SSH-2.0-'), CHUNK),
  slow: (s) => {
    const banner = Buffer.from('SSH-2.0-OpenSSH_9.9 slow\r\n');
    let i = 0;
    const timer = setInterval(() => {
      if (s.destroyed || i >= banner.length) return clearInterval(timer);
      s.write(banner.subarray(i, ++i));
    }, 1000);
    s.write(banner.subarray(0, ++i));
    s.on('close', () => clearInterval(timer));
  },
  garbage: (s) => s.once('data', () => flood(s, Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00]), GARBAGE)),
  reset: (s) => {
    s.write('SSH-2.0-Open');
    setTimeout(() => s.resetAndDestroy(), 20);
  },
  headers: (s) => s.once('data', () => flood(s, Buffer.from('HTTP/1.1 200 OK\r\n'), HEADER_LINES)),
  silent: () => undefined,
};

const servers = [];
for (const arg of process.argv.slice(2)) {
  const [mode, port] = arg.split(':');
  if (!modes[mode]) {
    console.error(`hostile: unknown mode ${mode}`);
    process.exit(2);
  }
  await new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      modes[mode](socket);
    });
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: Number(port) }, resolve);
    servers.push(server);
  });
}
process.stdout.write('READY\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
