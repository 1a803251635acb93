// PostgreSQL (client-first): an SSLRequest (length 8, code 80877103), which any server answers
// with one byte, `S` (TLS offered) or `N` (not), before any authentication. The connection is
// then closed: no TLS, no startup packet, no user name. A server or pooler that does not know
// SSLRequest answers with an ErrorResponse (`E`, length, fields), which names it as well.
import { isText } from './text.js';
import type { ProtocolModule } from './types.js';

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const FIELD_CODES = 'SVCMDHPpqWstcdnFLR';

export const postgres: ProtocolModule = {
  name: 'postgres',
  hello: () => SSL_REQUEST,
  match(data, done, ctx) {
    // A single S or N means something only as the answer to our SSLRequest.
    if (ctx.sent === 'postgres' && data.length === 1 && (data[0] === 0x53 || data[0] === 0x4e)) {
      const detail = data[0] === 0x53 ? 'TLS offered (SSLRequest answered S)' : 'no TLS (SSLRequest answered N)';
      return { service: 'postgres', detail };
    }
    if (data[0] !== 0x45) return null;
    if (data.length < 6) return done ? null : 'more';
    const len = data.readUInt32BE(1);
    if (len < 8 || len > 4096 || !FIELD_CODES.includes(String.fromCharCode(data[5]!))) return null;
    if (data.length < len + 1) return done ? null : 'more';
    const fields = data
      .subarray(5, len + 1)
      .toString('latin1')
      .split('\0');
    const message = fields.find((f) => f.startsWith('M'))?.slice(1);
    if (!fields.some((f) => f.startsWith('S')) || !isText(Buffer.from(fields.join(''), 'latin1'))) return null;
    return { service: 'postgres', detail: `error response${message ? `: ${message.slice(0, 120)}` : ''}` };
  },
};
