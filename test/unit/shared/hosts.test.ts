import { describe, expect, it } from 'vitest';
import { hostProblem } from '../../../shared/hosts.js';

describe('hostProblem', () => {
  it('takes addresses and DNS names', () => {
    for (const h of [
      '10.0.0.5',
      '::1',
      'fd00::1',
      'fe80::1%eth0',
      'db.internal',
      'orders-db.prod.svc.cluster.local',
      'db.internal.',
      'a_b.example',
      'localhost',
      '[::1]',
      '[fd00::1]',
    ])
      expect(hostProblem(h), h).toBeNull();
  });

  it('says what to write instead for the near-misses', () => {
    expect(hostProblem('10.0.0.5:5432')).toBe(
      '`10.0.0.5:5432` has a port: give the host alone (10.0.0.5), ports come from the IaC or --ports',
    );
    expect(hostProblem('db.internal:5432')).toMatch(/has a port: give the host alone \(db\.internal\)/);
    expect(hostProblem('[fd00::1]:443')).toMatch(/has a port: give the address alone \(fd00::1\)/);
    expect(hostProblem('https://db.internal')).toBe('`https://db.internal` is a URL: give the host alone');
    expect(hostProblem('10.0.0.0/24')).toBe('`10.0.0.0/24` is a range or a path, not a host');
    expect(hostProblem('999.1.1.1')).toBe('`999.1.1.1` is not a valid IPv4 address');
    expect(hostProblem('not a host')).toBe('`not a host` is not an IP address or DNS name');
    expect(hostProblem('-bad.example')).toMatch(/is not an IP address or DNS name/);
    expect(hostProblem(`${'a'.repeat(64)}.example`)).toMatch(/is not an IP address or DNS name/);
    expect(hostProblem('  ')).toBe('empty: expected an IP address or a DNS name');
  });
});
