// The downward-API labels file: Go-quoted values, one label a line; garbage names its line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podIdentity } from '../../../../agent/daemon/enroll.js';
import { parsePodLabels, readPodLabels } from '../../../../agent/daemon/pod-labels.js';

describe('pod labels (downwardAPI volume)', () => {
  it('reads key="value" lines as the kubelet writes them', () => {
    const text = 'app.kubernetes.io/name="cart"\npod-template-hash="7d9f5c"\ntier=""\n';
    expect(parsePodLabels(text, 'labels')).toEqual({
      'app.kubernetes.io/name': 'cart',
      'pod-template-hash': '7d9f5c',
      tier: '',
    });
  });

  it('names the file and line of a line that is not a label', () => {
    expect(() => parsePodLabels('app="cart"\napp: cart\n', '/etc/podinfo/labels')).toThrow(
      /\/etc\/podinfo\/labels:2: not a downward-API label line/,
    );
  });

  it('an unreadable file is a config error naming it; labels join the pod identity', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-labels-'));
    try {
      expect(() => readPodLabels(join(dir, 'nope'))).toThrow(/podLabels: cannot read .*nope: ENOENT/);
      writeFileSync(join(dir, 'labels'), 'app="cart"\n');
      const pod = podIdentity({ POD_NAME: 'cart-1', POD_NAMESPACE: 'shop' }, readPodLabels(join(dir, 'labels')));
      expect(pod).toEqual({ name: 'cart-1', namespace: 'shop', labels: { app: 'cart' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
