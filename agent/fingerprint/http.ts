// HTTP/1.x (client-first): `HEAD /` with a Host header. The status line and the `Server` header
// name it; nothing else is requested and the body (HEAD has none) is never read.
import { isIP } from 'node:net';
import { productVersion, startsLike } from './text.js';
import type { HelloContext, ProtocolModule } from './types.js';

function hostHeader(ctx: HelloContext): string {
  const name = isIP(ctx.host) === 6 ? `[${ctx.host}]` : ctx.host.replace(/^\[(.*)\]$/, '[$1]');
  return ctx.port === 80 ? name : `${name}:${ctx.port}`;
}

export const http: ProtocolModule = {
  name: 'http',
  hello: (ctx) => {
    const head = ['HEAD / HTTP/1.1', `Host: ${hostHeader(ctx)}`, 'User-Agent: portdrift', 'Accept: */*'];
    head.push('Connection: close');
    return Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
  },
  match(data, done) {
    if (!startsLike(data, 'HTTP/')) return null;
    const end = data.indexOf('\r\n\r\n');
    if (end === -1 && !done) return 'more';
    const head = data.subarray(0, end === -1 ? data.length : end).toString('latin1');
    const lines = head.split(/\r?\n/);
    const status = /^HTTP\/(\d(?:\.\d)?) (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!status) return null;
    const server = lines
      .slice(1)
      .find((l) => /^server:/i.test(l))
      ?.replace(/^server:\s*/i, '');
    const detail = lines[0]!.slice(0, 120) + (server ? `; Server: ${server.slice(0, 80)}` : '');
    return { service: 'http', ...(server ? productVersion(server) : {}), detail };
  },
};
