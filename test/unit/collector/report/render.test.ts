import { describe, expect, it } from 'vitest';
import { bucket, chartHtml, countPerPoint, sparkline } from '../../../../collector/report/chart.js';
import { buildReportModel, formatAge } from '../../../../collector/report/model.js';
import { listId, renderReport } from '../../../../collector/report/render.js';
import { wrap } from '../../../../collector/report/wrap.js';
import { finding } from '../../../fixtures/findings.js';
import { reportData } from '../../../fixtures/report-data.js';

describe('report model', () => {
  const m = buildReportModel(reportData());

  it('splits new, resolved and still-open findings at the previous report', () => {
    expect(m.baseline).toBe(false);
    expect(m.counts).toMatchObject({
      open: 4,
      new: 2,
      resolved: 2,
      acknowledged: 1,
      bySeverity: { high: 3, medium: 1, low: 0 },
    });
    expect(m.newFindings.map((f) => f.id)).toEqual(['f_9b1c03', 'f_77aa02']);
    expect(m.resolved.map((f) => f.id)).toEqual(['f_gone02', 'f_gone01']);
    expect(m.stillOpen.map((s) => [s.finding.id, formatAge(s.ageMs)])).toEqual([
      ['f_3c9a01', '4d'],
      ['f_acked04', '1d 1h'],
    ]);
    expect(m.severity).toBe('high');
  });

  it('reports coverage and agents late by three intervals', () => {
    expect(m.coverage).toEqual({ declared: 31, observed: 29, ratio: 29 / 31 });
    expect(m.lateAgents.map((a) => a.name)).toEqual(['agent-b']);
  });

  it('makes the first report a baseline with nothing "new"', () => {
    const b = buildReportModel(reportData({ since: null }));
    expect(b.baseline).toBe(true);
    expect(b.counts.new).toBe(0);
    expect(b.newFindings).toEqual([]);
    expect(b.stillOpen).toHaveLength(4);
  });

  it('says "none" when every open finding is acknowledged', () => {
    const x = buildReportModel(
      reportData({
        findings: [
          finding({ kind: 'moved', ack: { by: 'a', reason: 'r', at: '2026-11-24T00:00:00.000Z', expiresAt: null } }),
        ],
      }),
    );
    expect(x.severity).toBe('none');
  });
});

describe('report rendering', () => {
  const r = renderReport(buildReportModel(reportData()));

  it('has a subject that says the state at a glance, and filter headers', () => {
    expect(r.subject).toBe('portdrift: 4 open (2 new), 2 resolved, 1 agent late — prod');
    expect(r.headers).toEqual({
      'Auto-Submitted': 'auto-generated',
      'X-Portdrift-Report': 'v1; scope=prod; baseline=no',
      'X-Portdrift-Severity': 'high',
      'List-Id': 'portdrift reports for prod <prod.reports.portdrift>',
    });
    expect(renderReport(buildReportModel(reportData({ since: null, agents: [] }))).subject).toBe(
      'portdrift: baseline, 4 open — prod',
    );
    // One id per period: the same model renders the same id, another start or scope another one.
    expect(r.periodId).toMatch(/^portdrift\.report\.prod\.20261123T090000Z\.[0-9a-f]{12}$/);
    expect(renderReport(buildReportModel(reportData({ now: '2026-11-24T10:00:00.000Z' }))).periodId).toBe(r.periodId);
    expect(renderReport(buildReportModel(reportData({ since: '2026-11-23T09:00:01.000Z' }))).periodId).not.toBe(
      r.periodId,
    );
    expect(renderReport(buildReportModel(reportData({ scope: 'staging' }))).periodId).not.toBe(r.periodId);
    expect(listId('EU West / prod')).toBe('portdrift reports for EU West / prod <eu-west-prod.reports.portdrift>');
  });

  it('puts counts, deltas, coverage, ages and the findings table in the text part', () => {
    expect(r.text).toContain('Open:        4 (high 3, medium 1, low 0; 1 acknowledged)');
    expect(r.text).toContain('New:         2');
    expect(r.text).toContain('Coverage:    29 of 31 declared endpoints observed (93.5%)');
    expect(r.text).toContain('Agents:      1 of 2 reporting; late: agent-b (last seen 2026-11-24 08:40)');
    expect(r.text).toMatch(/Open over the period \(highest count per interval\):\n {2}[▁▂▃▄▅▆▇█]{48}\n/);
    expect(r.text).toContain('New since the last report (2)');
    expect(r.text).toContain('Resolved since the last report (2)');
    expect(r.text).toContain(
      [
        'Still open (2)',
        '',
        '  4d  moved  aws_db_instance.orders',
        '      10.0.1.5:5432 → 5433  rds.tf:14',
        '  1d 1h  unreachable  k8s:Service/shop/cart',
        '      cart.shop.svc.cluster.local:8080  k8s/cart.yaml:12',
      ].join('\n'),
    );
    expect(r.text).toContain(
      [
        '  [high] moved  aws_db_instance.orders',
        '      10.0.1.5:5432 → 5433  rds.tf:14',
        '      — rds.tf:14 port = 5432 → 5433, or move the service back to 5432',
      ].join('\n'),
    );
  });

  it('wraps the text part at 78 columns without splitting a URL or a file:line', () => {
    const url =
      'https://portdrift.internal:7600/v1/findings?resource=aws_db_instance.orders-replica-eu-west-1&status=open';
    const path = 'infrastructure/terraform/environments/production/eu-west-1/databases/orders-replica.tf:1234';
    const long = finding({
      kind: 'moved',
      id: 'f_long',
      resource: 'module.production_eu_west_1.module.databases.aws_db_instance.orders_replica_with_a_long_name',
      source: { file: path.slice(0, path.lastIndexOf(':')), line: 1234 },
      suggestion:
        `change ${path} port = 5432 → 5433 (the service moved during the maintenance of ` +
        `last week), see ${url} for the history of this finding and its acknowledgements`,
      firstSeen: '2026-11-24T07:00:00.000Z',
    });
    const agents = Array.from({ length: 6 }, (_, i) => ({
      name: `agent-with-a-long-name-${i}`,
      lastSeen: '2026-11-20T00:00:00.000Z',
      intervalMs: 60_000,
    }));
    const text = renderReport(buildReportModel(reportData({ findings: [long], agents, link: url }))).text;
    const lines = text.split('\n');
    const wide = lines.filter((l) => [...l].length > 78);
    // The only lines beyond 78 columns are one unbreakable token (after the indent).
    for (const l of wide) expect(l.trim(), l).not.toMatch(/\s/);
    expect(wide.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.trim() === url).length).toBeGreaterThan(0);
    expect(lines.some((l) => l.trim() === path)).toBe(true);
    // Before wrapping the row of this finding alone was one line of well over 200 columns.
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThan(url.length + 10);
    // The fixture report has no long tokens: every line fits.
    expect(r.text.split('\n').filter((l) => [...l].length > 78)).toEqual([]);
  });

  it('renders HTML with inline styles only, no scripts or remote resources, and escapes finding text', () => {
    expect(r.html).not.toMatch(/<script|<style|<link|src="http|url\(/i);
    // Fluid: no table or box of a fixed width in pixels (a 600 px table is cut or scrolls); the
    // card is 100% wide up to a max-width. Chromium checks the layout at 400 and 1200 px.
    expect(r.html).not.toMatch(/\swidth="\d+"|(?<!max-)width:\s*\d{3,}px/);
    expect(r.html).toContain('style="width:100%;max-width:960px;');
    expect(r.html).toContain('10.0.2.10:22');
    expect(r.html).toContain('declare port 22 for aws_instance.api');
    expect(r.html).toContain(
      '<code style="font-family:Menlo,Consolas,monospace;font-size:12px;word-break:break-all">rds.tf:14</code>',
    );
    const evil = renderReport(
      buildReportModel(
        reportData({
          findings: [
            finding({ kind: 'moved', resource: '<img src=x onerror=alert(1)>', suggestion: '"><script>x</script>' }),
          ],
        }),
      ),
    );
    expect(evil.html).not.toContain('<img src=x');
    expect(evil.html).not.toContain('<script>');
    expect(evil.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('marks the baseline in the body', () => {
    const b = renderReport(buildReportModel(reportData({ since: null })));
    expect(b.html).toContain(
      '<strong>Baseline.</strong> This is the first report of this installation: 4 existing drifts at baseline',
    );
    expect(b.text.replace(/\s+/g, ' ')).toContain(
      'Baseline: this is the first report of this installation. 4 existing drifts at baseline',
    );
    expect(b.text).not.toContain('New:');
  });

  it('attaches the whole report as JSON', () => {
    expect(r.attachment.filename).toBe('portdrift-report-prod-2026-11-24.json');
    const j = JSON.parse(r.attachment.content);
    expect(j).toMatchObject({ version: 1, scope: 'prod', baseline: false, counts: { open: 4, new: 2, resolved: 2 } });
    expect(j.open).toHaveLength(4);
    expect(j.series).toHaveLength(48);
  });
});

describe('wrap', () => {
  it('breaks at spaces with a hanging indent, keeps column gaps inside a line and long tokens whole', () => {
    expect(wrap('aaa bbb  ccc ddd', '> ', '  ', 10)).toEqual(['> aaa bbb', '  ccc ddd']);
    expect(wrap('a  b', '', '', 10)).toEqual(['a  b']);
    expect(wrap('x https://example.com/a/very/long/path y', '', '', 10)).toEqual([
      'x',
      'https://example.com/a/very/long/path',
      'y',
    ]);
    expect(wrap('→ ▁▂▃ é', '', '', 7)).toEqual(['→ ▁▂▃ é']);
  });
});

describe('chart', () => {
  const series = [0, 1, 5, 2, 2, 0].map((open, i) => ({ at: `2026-11-24T0${i}:00:00.000Z`, open }));

  it('keeps the peak of each bucket', () => {
    expect(bucket(series, 3).map((p) => p.open)).toEqual([1, 5, 2]);
    expect(bucket(series, 10)).toHaveLength(6);
  });

  it('draws bars as table cells proportional to the count', () => {
    const html = chartHtml(series, { height: 50 });
    expect(html.match(/bgcolor="#c0392b"/g)).toHaveLength(4);
    expect(html).toContain('height="50" bgcolor="#c0392b"');
    expect(html).toContain('height="10" bgcolor="#c0392b"');
    expect(chartHtml([])).toContain('No history');
  });

  it('shows a spike of 60 between quiet readings at full height, in the HTML chart and the sparkline', () => {
    // A day of readings every 20 minutes: 2 open, except one reading of 60 in the afternoon.
    const at = (i: number): string => new Date(Date.parse('2026-11-24T00:00:00.000Z') + i * 1_200_000).toISOString();
    const day = Array.from({ length: 72 }, (_, i) => ({ at: at(i), open: i === 44 ? 60 : 2 }));
    const html = chartHtml(day, { height: 60 });
    expect(html).toContain('height="60" bgcolor="#c0392b"');
    expect(html.match(/title="[^"]*: up to 60 open"/g)).toHaveLength(1);
    expect(html.match(/title="[^"]*: up to 2 open"/g)).toHaveLength(23);
    expect(html).toContain('vertical-align:top;border-bottom:1px solid #90a4ae">60</td>');
    expect(sparkline(day, 24)).toBe(`${'▁'.repeat(14)}█${'▁'.repeat(9)}`);
  });

  it('marks how many findings resolved in each interval under its bar', () => {
    const resolved = [
      '2026-11-24T00:30:00.000Z',
      '2026-11-24T02:00:00.000Z',
      '2026-11-24T01:59:00.000Z',
      '2026-11-24T09:00:00.000Z',
    ];
    expect(countPerPoint(series, resolved)).toEqual([0, 1, 2, 0, 0, 1]);
    const html = chartHtml(series, { resolved });
    expect(html.match(/class="pd-resolved"[^>]*title="(\d+) resolved"/g)).toEqual([
      'class="pd-resolved" align="center" title="1 resolved"',
      'class="pd-resolved" align="center" title="2 resolved"',
      'class="pd-resolved" align="center" title="1 resolved"',
    ]);
    expect(html).toContain('title="2026-11-24T02:00:00.000Z: up to 5 open, 2 resolved"');
    expect(chartHtml(series)).not.toContain('pd-resolved');
    // The report passes the findings resolved in its period to the chart.
    expect(renderReport(buildReportModel(reportData())).html.match(/class="pd-resolved"/g)).toHaveLength(2);
  });

  it('draws a sparkline for the text part', () => {
    expect(sparkline(series)).toBe('▁▂█▄▄▁');
  });
});

describe('report text hygiene', () => {
  // A resource name from a Kubernetes manifest can hold anything YAML can: CR/LF to forge lines,
  // U+202E to show text reversed, ESC for a terminal that displays the text part.
  const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/;
  const hostile = finding({
    kind: 'missing',
    id: 'f_hostile',
    resource: 'k8s:Service/shop/web\r\nOpen:        0 (all clear)',
    suggestion: 'deploy \u202egpj.exe\u202c now\u001b[2J',
    source: { file: 'web\u2066.yaml', line: 1 },
    firstSeen: '2026-11-24T07:00:00.000Z',
  });
  const late = { name: 'agent\u202eb', lastSeen: '2026-11-20T00:00:00.000Z', intervalMs: 60_000 };
  const r = renderReport(buildReportModel(reportData({ findings: [hostile], agents: [late] })));

  it('never breaks a line of the text part on a CR or LF inside a field', () => {
    const lines = r.text.split('\n');
    expect(lines.filter((l) => l.startsWith('Open:'))).toHaveLength(1);
    expect(r.text).toContain('k8s:Service/shop/web Open:        0 (all clear)');
    expect(r.text).not.toMatch(UNSAFE);
  });

  it('neutralises bidi controls in the text and HTML parts as ESC is', () => {
    expect(r.text).toContain('deploy ?gpj.exe? now?[2J');
    expect(r.text).toContain('agent?b');
    expect(r.html).not.toMatch(/[\u001b\u202a-\u202e\u2066-\u2069]/);
    expect(r.html).toContain('deploy ?gpj.exe? now?[2J');
  });
});
