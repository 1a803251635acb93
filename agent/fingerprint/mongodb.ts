// MongoDB (client-first): an OP_MSG `{hello: 1, $db: "admin"}`, the handshake every driver
// sends before authenticating. Any reply to our request id (OP_MSG, or OP_REPLY from an old
// server) is MongoDB; an error reply (a server older than `hello`) is MongoDB as well.
import type { Fingerprint } from '../../shared/types.js';
import type { ProtocolModule } from './types.js';

const REQUEST_ID = 0x70647266; // 'pdrf'
const OP_REPLY = 1;
const OP_MSG = 2013;
const MAX_REPLY = 16 * 1024;

function bsonDocument(fields: [string, number | string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of fields) {
    const name = Buffer.from(`${key}\0`, 'utf8');
    if (typeof value === 'number') {
      const v = Buffer.alloc(4);
      v.writeInt32LE(value);
      parts.push(Buffer.from([0x10]), name, v);
    } else {
      const s = Buffer.from(`${value}\0`, 'utf8');
      const len = Buffer.alloc(4);
      len.writeInt32LE(s.length);
      parts.push(Buffer.from([0x02]), name, len, s);
    }
  }
  const body = Buffer.concat([...parts, Buffer.from([0])]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(body.length + 4);
  return Buffer.concat([size, body]);
}

function helloMessage(): Buffer {
  const doc = bsonDocument([
    ['hello', 1],
    ['$db', 'admin'],
  ]);
  const header = Buffer.alloc(21);
  header.writeInt32LE(16 + 4 + 1 + doc.length, 0);
  header.writeInt32LE(REQUEST_ID, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16); // flagBits
  header[20] = 0; // section kind 0: the body document
  return Buffer.concat([header, doc]);
}

const HELLO = helloMessage();
const ID = Buffer.alloc(4);
ID.writeInt32LE(REQUEST_ID);

/** The top-level int32 / boolean / string fields of a BSON document (enough for a fingerprint). */
export function bsonScalars(doc: Buffer): Map<string, number | boolean | string> {
  const out = new Map<string, number | boolean | string>();
  if (doc.length < 5) return out;
  const end = Math.min(doc.readInt32LE(0), doc.length) - 1;
  let i = 4;
  while (i < end) {
    if (end - i < 2) break;
    const type = doc[i++]!;
    const nul = doc.indexOf(0, i);
    if (nul === -1 || nul >= end) break;
    const key = doc.subarray(i, nul).toString('utf8');
    i = nul + 1;
    let size: number;
    // Each read below needs its bytes: 1 for a boolean, at least 4 for the rest.
    if (i + (type === 0x08 ? 1 : 4) > doc.length) break;
    if (type === 0x10) {
      out.set(key, doc.readInt32LE(i));
      size = 4;
    } else if (type === 0x08) {
      out.set(key, doc[i] === 1);
      size = 1;
    } else if (type === 0x02) {
      size = 4 + doc.readInt32LE(i);
      out.set(key, doc.subarray(i + 4, i + size - 1).toString('utf8'));
    } else if (type === 0x01 || type === 0x09 || type === 0x11 || type === 0x12) size = 8;
    else if (type === 0x07) size = 12;
    else if (type === 0x0a) size = 0;
    else if (type === 0x03 || type === 0x04 || type === 0x05) size = doc.readInt32LE(i) + (type === 0x05 ? 5 : 0);
    else break; // a type this reader does not need: stop rather than guess
    if (size < 0) break;
    i += size;
  }
  return out;
}

export const mongodb: ProtocolModule = {
  name: 'mongodb',
  hello: () => HELLO,
  match(data, done) {
    if (data.length < 16) {
      // Length, then our request id echoed in responseTo: both must hold as the bytes arrive.
      if (data.length >= 4 && data.readInt32LE(0) < 16) return null;
      const echoed = data.subarray(8, 12);
      if (!ID.subarray(0, echoed.length).equals(echoed)) return null;
      return done ? null : 'more';
    }
    const len = data.readInt32LE(0);
    const op = data.readInt32LE(12);
    if (len < 16 || len > 48 * 1024 * 1024 || data.readInt32LE(8) !== REQUEST_ID) return null;
    if (op !== OP_MSG && op !== OP_REPLY) return null;
    if (data.length < len && !done && data.length < MAX_REPLY) return 'more';
    // OP_MSG: flagBits, section kind 0, document. OP_REPLY: flags, cursor, start, count, document.
    const docAt = op === OP_MSG ? 21 : 36;
    const fields = data.length > docAt ? bsonScalars(data.subarray(docAt, len)) : new Map();
    const fp: Fingerprint = { service: 'mongodb' };
    const wire = fields.get('maxWireVersion');
    const notes: string[] = [];
    if (typeof wire === 'number') notes.push(`maxWireVersion ${wire}`);
    if (fields.get('msg') === 'isdbgrid') notes.push('mongos');
    if (typeof fields.get('setName') === 'string') notes.push(`replica set ${fields.get('setName') as string}`);
    if (typeof fields.get('errmsg') === 'string') notes.push(`error: ${(fields.get('errmsg') as string).slice(0, 80)}`);
    return notes.length ? { ...fp, detail: notes.join('; ') } : fp;
  },
};
