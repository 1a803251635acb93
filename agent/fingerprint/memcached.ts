// memcached (client-first): the `version` command, answered `VERSION 1.6.18`. Read-only.
// Its bare `ERROR` line, in answer to Redis's `PING` (tried before it), names it as well.
import { firstLine, startsLike } from './text.js';
import type { ProtocolModule } from './types.js';

export const memcached: ProtocolModule = {
  name: 'memcached',
  hello: () => Buffer.from('version\r\n'),
  match(data, done, ctx) {
    if (ctx.sent === 'redis' && startsLike(data, 'ERROR\r\n')) {
      if (data.length < 7) return done ? null : 'more';
      return { service: 'memcached', detail: 'answered PING with ERROR' };
    }
    if (!startsLike(data, 'VERSION ')) return null;
    const line = firstLine(data, 128);
    if (line === null) return done || data.length >= 128 ? null : 'more';
    const m = /^VERSION (\S+)$/.exec(line);
    return m ? { service: 'memcached', version: m[1]!, detail: line } : null;
  },
};
