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
