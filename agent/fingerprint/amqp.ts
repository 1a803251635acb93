// AMQP (client-first): the protocol header `AMQP 0 0 9 1`. A 0-9-1 broker answers with
// Connection.Start (a method frame on channel 0, class 10, method 10) whose server properties
// name the product; a broker speaking another version answers with its own protocol header.
// The connection is closed before Start-Ok: no credentials are sent.
import type { Fingerprint } from '../../shared/types.js';
import { startsLike } from './text.js';
import type { ProtocolModule } from './types.js';

const HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
const MAX_FRAME = 8 * 1024;

/** A long-string field of the server-properties table (`product`, `version`), found by its key. */
function property(frame: Buffer, key: string): string | undefined {
  const marker = Buffer.concat([Buffer.from([key.length]), Buffer.from(key, 'latin1'), Buffer.from('S')]);
  const at = frame.indexOf(marker);
  if (at === -1 || at + marker.length + 4 > frame.length) return undefined;
  const len = frame.readUInt32BE(at + marker.length);
  const start = at + marker.length + 4;
  if (len > 256 || start + len > frame.length) return undefined;
  return frame.subarray(start, start + len).toString('utf8');
}

export const amqp: ProtocolModule = {
  name: 'amqp',
  hello: () => HEADER,
  match(data, done) {
    if (startsLike(data, 'AMQP')) {
      if (data.length < 8) return done ? null : 'more';
      const version = [...data.subarray(4, 8)].join('-');
      return { service: 'amqp', detail: `protocol header answered: the broker speaks ${version}` };
    }
    // Method frame: type 1, channel 0, size, then class 10 (connection), method 10 (start).
    const start = [1, 0, 0];
    for (let i = 0; i < Math.min(data.length, 3); i++) if (data[i] !== start[i]) return null;
    if (data.length < 11) return done ? null : 'more';
    if (data.readUInt16BE(7) !== 10 || data.readUInt16BE(9) !== 10) return null;
    const size = data.readUInt32BE(3);
    if (data.length < size + 8 && !done && data.length < MAX_FRAME) return 'more';
    const frame = data.subarray(0, size + 8);
    const product = property(frame, 'product');
    const version = property(frame, 'version');
    const major = data[11] ?? '?';
    const minor = data[12] ?? '?';
    const fp: Fingerprint = { service: 'amqp', detail: `Connection.Start (AMQP ${major}-${minor})` };
    return { ...fp, ...(product ? { product } : {}), ...(version ? { version } : {}) };
  },
};
