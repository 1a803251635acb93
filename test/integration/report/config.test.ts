// Reporting configuration: validation of every key at once, and the services it builds, sending
// through a real SMTP server on loopback with the outbox beside the database file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReporting, reportingProblems, reportingSchema } from '../../../collector/report/config.js';
import { buildConfig } from '../../../shared/config.js';
import { silentLogger } from '../../../shared/log.js';
import { reportData } from '../../fixtures/report-data.js';
import { startSink } from './smtp-sink.js';
import { rx } from '../../rx.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-reportcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reporting config', () => {
  it('lists every problem at once', () => {
    expect(() => buildConfig(reportingSchema, { smtp: 'http://x', webhooks: [{ format: 'teams' }] })).toThrow(
      rx(
        /smtp: must be an smtp:\/\/ or smtps:\/\/ URL[\s\S]*/,
        /webhooks\[0\]\.url: is required[\s\S]*/,
        /webhooks\[0\]\.format: must be one of json, slack/,
      ),
    );
    const c = buildConfig(reportingSchema, {
      reportTo: ['not-an-address'],
      reportEvery: '10s',
      reportAt: 'daily 8pm',
      webhooks: [{ url: 'https://h', events: ['acked'] }],
    });
    expect(reportingProblems(c)).toEqual([
      'smtp: is required when reports are configured (reportTo, reportEvery or reportAt)',
      'reportAt: give reportEvery or reportAt, not both',
      'reportTo[0]: "not-an-address" is not an email address',
      expect.stringMatching(/^reportEvery: .*at most one a minute/),
      expect.stringMatching(/^reportAt: .*"8pm" is not a time HH:MM/),
      'webhooks[0].events: "acked" is not opened or resolved',
    ]);
  });

  it('accepts the documented flags and builds services that send', async () => {
    const sink = await startSink();
    try {
      const c = buildConfig(
        reportingSchema,
        {},
        {
          smtp: `smtp://127.0.0.1:${sink.port}`,
          reportTo: ['ops@example.com'],
          reportEvery: '12h',
          reportScope: 'prod',
          webhooks: [{ url: 'http://127.0.0.1:1/x', format: 'slack' }],
        },
      );
      const { since: _s, now: _n, ...data } = reportData();
      const r = createReporting(c, { dataFile: join(dir, 'portdrift.db'), log: silentLogger(), load: () => data });
      expect(r.reports).not.toBeNull();
      expect(r.alerts).not.toBeNull();
      const sent = await r.reports!.sendNow();
      expect(sent.delivery.sent).toBe(1);
      await sink.received(1);
      expect(sink.messages[0]!.subject).toMatch(/^portdrift: baseline, 4 open, \d agents? late — prod$/);
      expect(existsSync(join(dir, 'portdrift.db.outbox', 'state.json'))).toBe(true);
      await r.stop();
    } finally {
      await sink.close();
    }
  });

  it('builds nothing when nothing is configured', () => {
    const r = createReporting(buildConfig(reportingSchema, {}), {
      dataFile: join(dir, 'x.db'),
      log: silentLogger(),
      load: () => reportData(),
    });
    expect(r.reports).toBeNull();
    expect(r.alerts).toBeNull();
  });
});
