import { describe, expect, it } from 'vitest';
import { parseShortPort } from '../../../../shared/iac/compose-ports.js';

describe('Compose short port syntax, split from the right', () => {
  const table: [string | number, ReturnType<typeof parseShortPort>][] = [
    ['3000', { target: '3000', protocol: 'tcp' }],
    ['3000-3005', { target: '3000-3005', protocol: 'tcp' }],
    ['8000:8000', { published: '8000', target: '8000', protocol: 'tcp' }],
    ['9090-9091:8080-8081', { published: '9090-9091', target: '8080-8081', protocol: 'tcp' }],
    ['8000-9000:80', { published: '8000-9000', target: '80', protocol: 'tcp' }],
    ['127.0.0.1:8001:8001', { hostIp: '127.0.0.1', published: '8001', target: '8001', protocol: 'tcp' }],
    [
      '127.0.0.1:5000-5010:5000-5010',
      { hostIp: '127.0.0.1', published: '5000-5010', target: '5000-5010', protocol: 'tcp' },
    ],
    ['127.0.0.1::5000', { hostIp: '127.0.0.1', published: '', target: '5000', protocol: 'tcp' }],
    ['::1:6000:6000', { hostIp: '::1', published: '6000', target: '6000', protocol: 'tcp' }],
    ['[::1]:6001:6001', { hostIp: '::1', published: '6001', target: '6001', protocol: 'tcp' }],
    ['6060:6060/udp', { published: '6060', target: '6060', protocol: 'udp' }],
    ['6060:6060/UDP', { published: '6060', target: '6060', protocol: 'udp' }],
    [8080, { target: '8080', protocol: 'tcp' }],
    ['${HOST_PORT:-7000}:7000', { published: '${HOST_PORT:-7000}', target: '7000', protocol: 'tcp' }],
    ['7100:${PORT:-7100}/udp', { published: '7100', target: '${PORT:-7100}', protocol: 'udp' }],
  ];
  for (const [spec, want] of table) {
    it(String(spec), () => expect(parseShortPort(spec)).toEqual(want));
  }
});
