// FTP (server-first): the `220 (vsFTPd 3.0.3)` greeting, read passively. No command is sent.
import { greeting, greetingKind } from './greeting.js';
import type { ProtocolModule } from './types.js';

const PRODUCTS = /\b(vsFTPd|ProFTPD|Pure-FTPd|FileZilla Server)(?:[ /]v?([\d.]+\w*))?/i;

export const ftp: ProtocolModule = {
  name: 'ftp',
  hello: null,
  match(data, done, ctx) {
    const line = greeting(data, done);
    if (line === null || line === 'more') return line;
    if (greetingKind(line, ctx) !== 'ftp') return null;
    const m = PRODUCTS.exec(line);
    const product = m ? { product: m[1]!, ...(m[2] ? { version: m[2] } : {}) } : {};
    return { service: 'ftp', ...product, detail: line.slice(0, 120) };
  },
};
