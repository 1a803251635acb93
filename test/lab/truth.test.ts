// The accuracy accounting that the probe tests and the benchmark rely on, and the readers of
// portdrift's and nmap's outputs (nmap's XML as nmap 7.93 writes it for a lab scan).
import { describe, expect, it } from 'vitest';
import { readNmapXml, readPortdrift } from './outputs.mjs';
import { compare, describeAccuracy, type Truth } from './truth.mjs';

const truth: Truth = {
  ports: [1, 1000],
  hosts: [
    { ip: '10.231.0.1', open: [22, 80], filtered: [[901, 1000]] },
    { ip: '10.231.0.2', open: [543] },
    { ip: '10.231.200.1', unreachable: true },
  ],
};
const unreachable = Array.from({ length: 1000 }, (_, i) => ({
  ip: '10.231.200.1',
  port: i + 1,
  state: 'unreachable' as const,
}));
const filtered = Array.from({ length: 100 }, (_, i) => ({
  ip: '10.231.0.1',
  port: 901 + i,
  state: 'filtered' as const,
}));
const right = [
  { ip: '10.231.0.1', port: 22, state: 'open' as const },
  { ip: '10.231.0.1', port: 80, state: 'open' as const },
  ...filtered,
  { ip: '10.231.0.2', port: 543, state: 'open' as const },
  ...unreachable,
];

describe('compare', () => {
  it('an exact answer (closed ports omitted) is exact', () => {
    const r = compare(truth, right);
    expect(r).toMatchObject({
      exact: true,
      openExpected: 3,
      openFound: 3,
      filteredExpected: 100,
      filteredFound: 100,
      unreachableFound: 1000,
      falseOpenCount: 0,
    });
    expect(describeAccuracy(r)).toBe(
      'exact: open 3/3, false open 0, filtered 100/100 (as closed 0, closed as filtered 0), unreachable 1000/1000',
    );
  });

  it('explicit closed results change nothing', () => {
    expect(compare(truth, [...right, { ip: '10.231.0.2', port: 1, state: 'closed' }]).exact).toBe(true);
  });

  it('counts a missed open, a false open, filtered as closed and closed as filtered apart', () => {
    const wrong = right.filter((o) => !(o.port === 80 || o.port === 950));
    wrong.push(
      { ip: '10.231.0.2', port: 23, state: 'open' as never },
      { ip: '10.231.0.2', port: 24, state: 'filtered' as never },
    );
    const r = compare(truth, wrong);
    expect(r).toMatchObject({
      exact: false,
      openFound: 2,
      missedOpen: ['10.231.0.1:80 (closed)'],
      falseOpen: ['10.231.0.2:23'],
      falseOpenCount: 1,
      filteredAsClosed: 1,
      closedAsFiltered: 1,
    });
    expect(r.mismatches).toContain('10.231.0.1:950 expected filtered, got closed');
  });

  it('a result for an address or port outside the scenario is not exact', () => {
    expect(compare(truth, [...right, { ip: '10.9.9.9', port: 22, state: 'open' }]).foreign).toBe(1);
    expect(compare(truth, [...right, { ip: '10.231.0.2', port: 1001, state: 'open' }]).exact).toBe(false);
  });

  it('unreachable reported as filtered is a mismatch of its own', () => {
    const r = compare(
      truth,
      right.map((o) => (o.state === 'unreachable' && o.port === 1 ? { ...o, state: 'filtered' as const } : o)),
    );
    expect(r).toMatchObject({ exact: false, unreachableFound: 999, otherMismatches: 1 });
  });
});

describe('readPortdrift', () => {
  const good = {
    version: 1,
    results: [
      { host: 'a', ip: '10.231.0.1', port: 22, state: 'open', rttMs: 0.3, attempts: 1 },
      { host: 'a', ip: '10.231.0.1', port: 950, state: 'filtered', rttMs: null, attempts: 2 },
    ],
    summary: { probes: 10, open: 1, closed: 8, filtered: 1, unreachable: 0, seconds: 0.5 },
  };

  it('accepts the documented probe output', () => {
    const r = readPortdrift(JSON.stringify(good));
    expect(r.problems).toEqual([]);
    expect(r.results).toHaveLength(2);
  });

  it('names each deviation from the contract', () => {
    const bad = structuredClone(good) as Record<string, any>;
    bad.version = 2;
    bad.results[0].extra = true;
    delete bad.results[1].attempts;
    bad.results.push({ host: 'a', ip: '10.231.0.1', port: 21, state: 'open', rttMs: 1, attempts: 1 });
    bad.summary.open = 5;
    const r = readPortdrift(JSON.stringify(bad));
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'version is 2, expected 1',
        'results[0]: unexpected keys extra',
        expect.stringMatching(/^results\[1\]: missing attempts/),
        '1 results out of host-then-port order',
        expect.stringMatching(/^summary: open\+closed\+filtered\+unreachable = 14, probes = 10/),
        'summary.open = 5 but 2 results are open',
      ]),
    );
  });

  it('reports output that is not JSON', () => {
    expect(readPortdrift('Error: boom').problems[0]).toMatch(/^stdout is not JSON/);
  });
});

describe('readNmapXml', () => {
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sT -T5 -n -Pn -p1-1000 -oX - 10.231.0.1 10.231.200.1" version="7.93" ` +
    `xmloutputversion="1.05">
<host starttime="1" endtime="2"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="10.231.0.1" addrtype="ipv4"/>
<ports><extraports state="closed" count="898">
<extrareasons reason="conn-refused" count="898" proto="tcp" ports="1-21,23-79,81-900"/>
</extraports>
<extraports state="filtered" count="100">
<extrareasons reason="no-response" count="100" proto="tcp" ports="901-1000"/>
</extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ssh" ` +
    `method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="http" ` +
    `method="table" conf="3"/></port>
</ports>
</host>
<host starttime="1" endtime="1"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="10.231.200.1" addrtype="ipv4"/>
<ports><extraports state="filtered" count="1000">
<extrareasons reason="host-unreach" count="1000" proto="tcp" ports="1-1000"/>
</extraports>
</ports>
</host>
<runstats><finished time="2" elapsed="1.24" exit="success"/><hosts up="2" down="0" total="2"/></runstats>
</nmaprun>`;

  it('expands the summarised port lists, maps host-unreach to unreachable, and counts every port', () => {
    const r = readNmapXml(xml);
    expect(r.problems).toEqual([]);
    expect(r.elapsed).toBe(1.24);
    expect(Object.fromEntries(r.perHost)).toEqual({ '10.231.0.1': 1000, '10.231.200.1': 1000 });
    const t: Truth = {
      ports: [1, 1000],
      hosts: [
        { ip: '10.231.0.1', open: [22, 80], filtered: [[901, 1000]] },
        { ip: '10.231.200.1', unreachable: true },
      ],
    };
    expect(compare(t, r.results).exact).toBe(true);
  });

  it('says so when nmap summarised ports without listing them', () => {
    const r = readNmapXml(xml.replace(' proto="tcp" ports="1-21,23-79,81-900"', ''));
    expect(r.problems).toEqual(['10.231.0.1: 898 closed ports summarised without a port list']);
  });
});
