import { describe, expect, it } from 'vitest';
import { classify, errnoName, Outcome, statusOf } from '../../../../agent/probe/classify.js';

describe('classify', () => {
  it('maps a completed handshake to open and RST to closed', () => {
    expect(classify(0)).toBe(Outcome.Open);
    expect(classify(statusOf('ECONNREFUSED'))).toBe(Outcome.Closed);
  });

  it('keeps local errors of the prober apart from port states', () => {
    for (const code of ['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL', 'EADDRINUSE', 'EAGAIN'])
      expect(classify(statusOf(code)), code).toBe(Outcome.Local);
  });

  it('maps ICMP errors and local egress policy to unreachable, timeouts to filtered', () => {
    for (const code of ['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM', 'ENONET'])
      expect(classify(statusOf(code)), code).toBe(Outcome.Unreachable);
    expect(classify(statusOf('ETIMEDOUT'))).toBe(Outcome.Filtered);
    expect(classify(statusOf('EHOSTDOWN'))).toBe(Outcome.Filtered);
  });

  it('treats EINVAL (fe80:: without a zone) as a configuration error, and unknown errnos as inconclusive', () => {
    expect(classify(statusOf('EINVAL'))).toBe(Outcome.Config);
    expect(classify(-99999)).toBe(Outcome.Filtered);
  });

  it('names errnos both ways', () => {
    expect(errnoName(statusOf('EMFILE'))).toBe('EMFILE');
    expect(statusOf('EMFILE')).toBeLessThan(0);
    expect(errnoName(-99999)).toBe('errno -99999');
  });
});
