import { describe, expect, it } from 'vitest';
import { checkCidr, makeAdmit, parseAddress, parseCidr, specialReason } from '../../../shared/scope.js';

describe('parseAddress', () => {
  it('reads both families and treats IPv4-mapped IPv6 as IPv4', () => {
    expect(parseAddress('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseAddress('::ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseAddress('::1')).toEqual({ family: 6, value: 1n });
    expect(parseAddress('fe80::1%eth0')?.family).toBe(6);
    expect(parseAddress('2001:db8::1:0:0:1')?.value).toBe(0x20010db8000000000001000000000001n);
    expect(parseAddress('db.internal')).toBeNull();
  });
});

describe('parseCidr / checkCidr', () => {
  it('accepts networks and bare addresses', () => {
    expect(parseCidr('10.1.0.0/16')).toMatchObject({ family: 4, prefix: 16 });
    expect(parseCidr('127.0.0.1')).toMatchObject({ family: 4, prefix: 32 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, prefix: 8 });
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 4, prefix: 8 });
  });
  it('names what is wrong', () => {
    expect(checkCidr('10.1.2.3/16')).toMatch(/host bits are set \(did you mean 10\.1\.0\.0\/16\?\)/);
    expect(checkCidr('10.0.0.0/33')).toMatch(/out of range/);
    expect(checkCidr('10.0.0.0/x')).toMatch(/not a number/);
    expect(checkCidr('example.com/8')).toMatch(/not an IPv4 or IPv6 address/);
    expect(checkCidr('fd00::1/8')).toMatch(/did you mean fd00::\/8/);
  });
});

describe('specialReason', () => {
  it('names the special ranges, most specific first', () => {
    expect(specialReason('169.254.169.254')).toMatch(/cloud metadata/);
    expect(specialReason('169.254.1.1')).toMatch(/link-local/);
    expect(specialReason('fe80::1')).toMatch(/IPv6 link-local/);
    expect(specialReason('239.1.1.1')).toMatch(/multicast/);
    expect(specialReason('ff02::1')).toMatch(/multicast/);
    expect(specialReason('255.255.255.255')).toMatch(/broadcast/);
    expect(specialReason('0.0.0.0')).toMatch(/this network/);
    expect(specialReason('10.0.0.1')).toBeNull();
    expect(specialReason('127.0.0.1')).toBeNull();
  });
});

describe('makeAdmit', () => {
  it('without a scope admits ordinary addresses and refuses special ones', () => {
    const admit = makeAdmit();
    expect(admit('127.0.0.1')).toBeNull();
    expect(admit('::1')).toBeNull();
    expect(admit('169.254.169.254')).toMatch(/cloud metadata address; list it explicitly/);
    expect(admit('not-an-ip')).toMatch(/not an IP address/);
  });
  it('with a scope refuses everything outside it, checked per address', () => {
    const admit = makeAdmit({ scope: ['10.1.0.0/16', 'fd00:1::/64'] });
    expect(admit('10.1.2.3')).toBeNull();
    expect(admit('::ffff:10.1.2.3')).toBeNull();
    expect(admit('10.2.0.1')).toMatch(/outside the scope \(10\.1\.0\.0\/16, fd00:1::\/64\)/);
    expect(admit('fd00:1::5')).toBeNull();
    expect(admit('fd00:2::5')).toMatch(/outside the scope/);
  });
  it('a broad scope does not make special ranges explicit; a CIDR inside the range does', () => {
    expect(makeAdmit({ scope: ['0.0.0.0/0'] })('169.254.10.1')).toMatch(/link-local/);
    expect(makeAdmit({ scope: ['0.0.0.0/0'] })('10.0.0.1')).toBeNull();
    expect(makeAdmit({ scope: ['169.254.0.0/16'] })('169.254.10.1')).toBeNull();
    // Listing link-local does not list the metadata address inside it.
    expect(makeAdmit({ scope: ['169.254.0.0/16'] })('169.254.169.254')).toMatch(/metadata/);
    expect(makeAdmit({ allow: ['169.254.169.254'] })('169.254.169.254')).toBeNull();
  });
  it('reports every bad CIDR at once', () => {
    expect(() => makeAdmit({ scope: ['10.0.0.0/8', 'nope', '10.0.0.1/8'], allow: ['x'] })).toThrow(
      /scope\[1\]: "nope" is not a CIDR[\s\S]*scope\[2\]: "10\.0\.0\.1\/8" is not a CIDR: host bits[\s\S]*allow\[0\]/,
    );
  });
});

// IPv6 forms that carry an IPv4 address and reach it: the special-range check sees through them.
// Code reading only: nothing here is ever connected to.
describe('IPv4 embedded in IPv6', () => {
  const metadata = [
    '64:ff9b::a9fe:a9fe', // NAT64 well-known prefix (RFC 6052)
    '64:ff9b::169.254.169.254',
    '2002:a9fe:a9fe::1', // 6to4: the router's IPv4 in bits 16-47
    '::a9fe:a9fe', // IPv4-compatible (deprecated)
    '::169.254.169.254',
    '::ffff:0:a9fe:a9fe', // SIIT IPv4-translated (RFC 2765)
    '::ffff:a9fe:a9fe', // IPv4-mapped
    '2001:0:4136:e378:8000:63bf:5601:5601', // Teredo: the client's IPv4, inverted, in the last 32 bits
  ];

  it('refuses every encoding of the metadata address, naming the IPv4 it carries', () => {
    const admit = makeAdmit();
    for (const ip of metadata) {
      expect(specialReason(ip), ip).toMatch(/cloud metadata address/);
      expect(admit(ip), ip).toMatch(/cloud metadata address/);
    }
    expect(admit('64:ff9b::a9fe:a9fe')).toBe(
      '64:ff9b::a9fe:a9fe carries 169.254.169.254 (NAT64), a cloud metadata address; ' +
        'list 169.254.169.254 explicitly to probe it',
    );
    expect(admit('2002:a9fe:a9fe::1')).toMatch(/carries 169\.254\.169\.254 \(6to4\)/);
    expect(admit('::a9fe:a9fe')).toMatch(/carries 169\.254\.169\.254 \(IPv4-compatible\)/);
    expect(admit('::ffff:0:a9fe:a9fe')).toMatch(/carries 169\.254\.169\.254 \(SIIT\)/);
    expect(admit('2001:0:4136:e378:8000:63bf:5601:5601')).toMatch(/carries 169\.254\.169\.254 \(Teredo\)/);
  });

  it('sees the other special ranges through the same encodings', () => {
    const admit = makeAdmit();
    expect(admit('64:ff9b::a9fe:1')).toMatch(/link-local/);
    expect(admit('64:ff9b::e000:1')).toMatch(/multicast/);
    expect(admit('2002:ffff:ffff::1')).toMatch(/broadcast/);
    expect(admit('::ffff:0:0.0.0.1')).toMatch(/this network/);
    expect(admit('64:ff9b::6464:64c8')).toMatch(/Alibaba/); // 100.100.100.200
  });

  it('keeps ordinary addresses and the IPv6 loopback and unspecified address as they are', () => {
    const admit = makeAdmit();
    expect(admit('::1')).toBeNull();
    expect(specialReason('::')).toMatch(/unspecified address/);
    expect(admit('64:ff9b::a00:1')).toBeNull();
    expect(admit('2002:a00:1::1')).toBeNull();
    expect(admit('::ffff:0:10.0.0.1')).toBeNull();
    expect(admit('fd00::a9fe:a9fe')).toBeNull(); // a ULA whose last bits happen to spell it: no embedding
  });

  it('a broad scope does not make an embedded special address explicit; listing the IPv4 address does', () => {
    const broad = makeAdmit({ scope: ['0.0.0.0/0', '::/0'] });
    for (const ip of metadata) expect(broad(ip), ip).toMatch(/cloud metadata address/);
    const allowed = makeAdmit({ allow: ['169.254.169.254'] });
    for (const ip of metadata) expect(allowed(ip), ip).toBeNull();
    // Listing the link-local range does not list the metadata address inside it, in any encoding.
    expect(makeAdmit({ scope: ['::/0'], allow: ['169.254.0.0/16'] })('64:ff9b::a9fe:a9fe')).toMatch(/metadata/);
  });

  it('matches the scope against the address as written: 6to4 is not let in by the IPv4 it carries', () => {
    // A 6to4 address leaves through whatever routes 2002::/16, maybe a public relay: in scope
    // only when the scope lists it in that form.
    expect(makeAdmit({ scope: ['10.0.0.0/8'] })('2002:a00:1::1')).toMatch(/outside the scope/);
    expect(makeAdmit({ scope: ['10.0.0.0/8'] })('64:ff9b::10.0.0.1')).toMatch(/outside the scope/);
    expect(makeAdmit({ scope: ['64:ff9b::10.0.0.0/104'] })('64:ff9b::10.0.0.1')).toBeNull();
    expect(makeAdmit({ scope: ['64:ff9b::/96'] })('64:ff9b::169.254.169.254')).toMatch(/metadata/);
  });
});
