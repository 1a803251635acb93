// Runs `portdrift` inside a network namespace of test/lab/netns.mjs against the AWS test server
// of the root namespace: a TCP listener on 127.0.0.1 of the namespace forwards every connection
// to the server's Unix socket (namespaces share the file system, not their loopback), and
// AWS_ENDPOINT_URL points at it. Usage: node in-namespace.mjs SOCKET MAIN_JS ARGS…; exits with
// the CLI's code, its stdout and stderr passed through.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const [socket, main, ...args] = process.argv.slice(2);
const forward = createServer((client) => {
  const upstream = connect(socket);
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
});
forward.listen(0, '127.0.0.1', () => {
  const { port } = forward.address();
  const env = { ...process.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` };
  const child = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    forward.close();
    process.exit(code ?? (signal ? 128 : 1));
  });
});
