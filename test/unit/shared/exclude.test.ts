import { describe, expect, it } from 'vitest';
import { parseExclusion } from '../../../shared/exclude.js';

describe('--exclude entries', () => {
  it('match addresses in a network, bare addresses, IPv6, and names as given (any case, trailing dot)', () => {
    const x = parseExclusion(['10.0.0.0/8,192.168.1.7', 'fd00::/8', 'DB.internal.']);
    expect(x.entries).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'DB.internal.']);
    expect(x.matches('10.200.3.4', 'a')).toBe(true);
    expect(x.matches('11.0.0.1', 'a')).toBe(false);
    expect(x.matches('192.168.1.7', 'a')).toBe(true);
    expect(x.matches('192.168.1.8', 'a')).toBe(false);
    expect(x.matches('fd12::1', 'a')).toBe(true);
    expect(x.matches('::ffff:10.1.1.1', 'a')).toBe(true);
    expect(x.matches('172.16.0.1', 'db.internal')).toBe(true);
  });

  it('names every bad entry at once', () => {
    expect(() => parseExclusion(['10.0.0.1/8', 'a b', '300.1.1.1'])).toThrow(
      /10\.0\.0\.1\/8.*host bits.*a b.*300\.1\.1\.1/,
    );
  });
});
