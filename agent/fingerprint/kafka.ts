// Kafka (client-first): ApiVersions v0 (API key 18), the request every client sends first and
// every broker answers before authentication. A reply to our correlation id with error 0 or 35
// (UNSUPPORTED_VERSION, still answered in v0 format) is a Kafka broker.
import type { ProtocolModule } from './types.js';

const CORRELATION_ID = 0x70647266; // 'pdrf'
const CLIENT_ID = 'portdrift';

function apiVersionsRequest(): Buffer {
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + CLIENT_ID.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(18, 4); // ApiVersions
  b.writeInt16BE(0, 6); // version 0
  b.writeInt32BE(CORRELATION_ID, 8);
  b.writeInt16BE(CLIENT_ID.length, 12);
  b.write(CLIENT_ID, 14, 'latin1');
  return b;
}

const REQUEST = apiVersionsRequest();
const ID = Buffer.alloc(4);
ID.writeInt32BE(CORRELATION_ID);

export const kafka: ProtocolModule = {
  name: 'kafka',
  hello: () => REQUEST,
  match(data, done) {
    if (data.length >= 4) {
      const size = data.readInt32BE(0);
      if (size < 6 || size > 1024 * 1024) return null;
    }
    // The correlation id must match byte by byte as it arrives.
    const idPart = data.subarray(4, 8);
    if (!ID.subarray(0, idPart.length).equals(idPart)) return null;
    if (data.length < 10) return done ? null : 'more';
    const error = data.readInt16BE(8);
    if (error !== 0 && error !== 35) return null;
    const apis = data.length >= 14 ? data.readInt32BE(10) : -1;
    if (error === 35) return { service: 'kafka', detail: 'ApiVersions v0 answered UNSUPPORTED_VERSION' };
    const detail = apis >= 0 && apis < 10_000 ? `ApiVersions: ${apis} APIs` : 'ApiVersions answered';
    return { service: 'kafka', detail };
  },
};
