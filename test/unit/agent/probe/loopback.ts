// Real loopback endpoints for the probe tests: an open port (a listener on port 0), a closed
// port (bound, then closed), and a filtered one (a listener that never accepts, its accept
// queue full, so the kernel drops further SYNs: docs/design/probe-engine.md#testing). Nothing here depends
// on what else listens on the machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';

export async function openPort(
  host = '127.0.0.1',
): Promise<{ port: number; server: Server; close: () => Promise<void> }> {
  const server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return { port, server, close: () => new Promise((r) => server.close(() => r())) };
}

/** Ports nothing listens on: bound on `host` to get free numbers, then closed. */
export async function closedPorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => openPort(host)));
  await Promise.all(servers.map((s) => s.close()));
  return servers.map((s) => s.port);
}

export const havePython = spawnSync('python3', ['-c', 'pass']).status === 0;

const FILTERED_PY = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.2)
print(port, flush=True)
sys.stdin.read()
`;

/** A port whose SYNs are dropped (a full accept queue); stop() ends the helper process. */
export async function filteredPort(): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn('python3', ['-c', FILTERED_PY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  return { port, stop: () => void child.kill() };
}
