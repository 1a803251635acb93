// HTTP/2 with prior knowledge (client-first): the connection preface and an empty SETTINGS
// frame. A server answers with its own SETTINGS frame (or a GOAWAY), both on stream 0. No
// request is sent. A GOAWAY or SETTINGS frame answering an HTTP/1.1 hello, or sent on accept
// before any hello (node's server does), counts as well: a server that speaks only HTTP/2
// says so that way.
import type { ProtocolModule } from './types.js';

const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), EMPTY_SETTINGS]);
const SETTINGS = 4;
const GOAWAY = 7;

export const http2: ProtocolModule = {
  name: 'http2',
  hello: () => PREFACE,
  match(data, done, ctx) {
    // Only as a banner (some servers send their SETTINGS on accept) or the answer to an HTTP hello.
    if (ctx.sent !== null && ctx.sent !== 'http2' && ctx.sent !== 'http') return null;
    if (data.length < 9) {
      if (data.length >= 4 && data[3] !== SETTINGS && data[3] !== GOAWAY) return null;
      return done ? null : 'more';
    }
    const len = (data[0]! << 16) | (data[1]! << 8) | data[2]!;
    const type = data[3]!;
    const stream = data.readUInt32BE(5) & 0x7fffffff;
    if (stream !== 0 || len > 16384) return null;
    if (type === SETTINGS && len % 6 === 0) return { service: 'http2', detail: 'SETTINGS frame' };
    if (type === GOAWAY && len >= 8) return { service: 'http2', detail: 'GOAWAY frame' };
    return null;
  },
};
