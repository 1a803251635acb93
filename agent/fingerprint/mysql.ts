// MySQL / MariaDB (server-first): the initial handshake packet arrives on connect. Read
// passively: a 3-byte little-endian length, sequence 0, protocol 10, the server version ending
// in NUL (`8.0.36`, MariaDB's `5.5.5-10.11.6-MariaDB-0+deb12u1`). A server that refuses this
// client sends an error packet (0xff, error number, message) instead, which names it as well.
// Nothing is sent: no handshake response, no credentials.
import type { Fingerprint } from '../../shared/types.js';
import { isText } from './text.js';
import type { ProtocolModule } from './types.js';

const MAX_PACKET = 1024;

export const mysql: ProtocolModule = {
  name: 'mysql',
  hello: null,
  match(data, done) {
    if (data.length < 5) return !done && (data.length < 4 || data[3] === 0) ? 'more' : null;
    const len = data[0]! | (data[1]! << 8) | (data[2]! << 16);
    if (data[3] !== 0 || len < 4 || len > MAX_PACKET) return null;
    const body = data.subarray(4, 4 + len);
    if (data[4] === 0x0a) {
      const nul = body.indexOf(0, 1);
      if (nul === -1) return !done && body.length < len ? 'more' : null;
      const raw = body.subarray(1, nul);
      if (!isText(raw)) return null;
      return greetingVersion(raw.toString('latin1'));
    }
    if (data[4] === 0xff) {
      if (body.length < len) return done ? null : 'more';
      const code = body.readUInt16LE(1);
      // Before authentication there is no SQL state marker: the message follows the number.
      const message = body
        .subarray(3)
        .toString('latin1')
        .replace(/^#\w{5}/, '');
      if (code < 1000 || code > 2999 || !isText(Buffer.from(message, 'latin1'))) return null;
      return { service: 'mysql', detail: `error ${code}: ${message.slice(0, 120)}` };
    }
    return null;
  },
};

function greetingVersion(text: string): Fingerprint | null {
  // MariaDB prefixes `5.5.5-` so that old clients accept it.
  const real = text.replace(/^5\.5\.5-/, '');
  const m = /^(\d+\.\d+\.\d+)/.exec(real);
  if (!m) return null;
  const product = /mariadb/i.test(real) ? 'MariaDB' : 'MySQL';
  return { service: 'mysql', product, version: m[1]!, detail: text.slice(0, 120) };
}
