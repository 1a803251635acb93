// Redis (client-first): `PING` as an inline command. `+PONG` when it is open; `-NOAUTH` /
// `-WRONGPASS` when it needs a password; `-DENIED` in protected mode. No other command. Its
// unknown-command error, in answer to another hello, names it as well.
import { firstLine, startsLike } from './text.js';
import type { ProtocolModule } from './types.js';

const ANSWERS: readonly [string, string][] = [
  ['+PONG', 'PING answered +PONG'],
  ['-NOAUTH', 'authentication required'],
  ['-WRONGPASS', 'authentication required'],
  ['-DENIED', 'protected mode'],
  // Redis's own wording for a command it does not know (another hello reached it).
  ["-ERR unknown command '", 'answered another hello with its unknown-command error'],
  ['-ERR unknown command `', 'answered another hello with its unknown-command error'],
];

export const redis: ProtocolModule = {
  name: 'redis',
  hello: () => Buffer.from('PING\r\n'),
  match(data, done) {
    for (const [prefix, detail] of ANSWERS) {
      if (!startsLike(data, prefix)) continue;
      if (data.length < prefix.length || firstLine(data) === null) return done || data.length >= 512 ? null : 'more';
      return { service: 'redis', detail };
    }
    return null;
  },
};
