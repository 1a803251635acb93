// SMTP (server-first): the `220 mail.example.com ESMTP Postfix` greeting, read passively.
import { greeting, greetingKind } from './greeting.js';
import type { ProtocolModule } from './types.js';

const PRODUCTS = /\b(Postfix|Exim|Sendmail|OpenSMTPD|qmail|Haraka|Microsoft ESMTP MAIL Service)(?:[ /]([\d.]+\w*))?/i;

export const smtp: ProtocolModule = {
  name: 'smtp',
  hello: null,
  match(data, done, ctx) {
    const line = greeting(data, done);
    if (line === null || line === 'more') return line;
    if (greetingKind(line, ctx) !== 'smtp') return null;
    const m = PRODUCTS.exec(line);
    const product = m ? { product: m[1]!, ...(m[2] ? { version: m[2] } : {}) } : {};
    return { service: 'smtp', ...product, detail: line.slice(0, 120) };
  },
};
