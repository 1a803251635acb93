// Readers of the two probers' outputs, into the one form truth.mjs compares:
// { results: [{ ip, port, state }], ports: N probed per host, problems: [...] }.
//   - `portdrift probe --format json`: checked against docs/design/probe-engine.md#output (version 1), each
//     deviation named in `problems` (so a test or the bench can report it, not just crash).
//   - `nmap -sT … -oX -`: nmap summarises the largest state groups as <extraports>; since 7.80
//     their <extrareasons ports="…"> give the exact port lists, which are expanded here.

const STATES = new Set(['open', 'closed', 'filtered', 'unreachable']);
const RESULT_KEYS = ['host', 'ip', 'port', 'state', 'rttMs', 'attempts'];
const SUMMARY_KEYS = ['probes', 'open', 'closed', 'filtered', 'unreachable', 'seconds'];

/** Parses and checks `portdrift probe --format json` output. */
export function readPortdrift(text) {
  const problems = [];
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { results: [], summary: null, problems: [`stdout is not JSON: ${err.message}: ${text.slice(0, 200)}`] };
  }
  if (doc === null || typeof doc !== 'object')
    return { results: [], summary: null, problems: ['stdout is not a JSON object'] };
  if (doc.version !== 1) problems.push(`version is ${JSON.stringify(doc.version)}, expected 1`);
  const extra = Object.keys(doc).filter((k) => !['version', 'results', 'summary'].includes(k));
  if (extra.length) problems.push(`unexpected top-level keys: ${extra.join(', ')}`);
  const results = Array.isArray(doc.results) ? doc.results : (problems.push('results is not an array'), []);
  let bad = 0;
  for (const [i, r] of results.entries()) {
    const p = [];
    for (const k of RESULT_KEYS) if (!(k in (r ?? {}))) p.push(`missing ${k}`);
    if (r && typeof r === 'object') {
      if (typeof r.host !== 'string') p.push('host is not a string');
      if (typeof r.ip !== 'string') p.push('ip is not a string');
      if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) p.push(`port ${JSON.stringify(r.port)}`);
      if (!STATES.has(r.state)) p.push(`state ${JSON.stringify(r.state)}`);
      if (r.rttMs !== null && typeof r.rttMs !== 'number') p.push(`rttMs ${JSON.stringify(r.rttMs)}`);
      if ((r.state === 'filtered' || r.state === 'unreachable') && r.rttMs !== null && r.rttMs !== undefined)
        p.push(`rttMs ${r.rttMs} on a ${r.state} result (null expected)`);
      if (!Number.isInteger(r.attempts) || r.attempts < 1) p.push(`attempts ${JSON.stringify(r.attempts)}`);
      // `fingerprint` (probe --fingerprint): only on open results, always with a service name.
      if ('fingerprint' in r && (r.state !== 'open' || typeof r.fingerprint?.service !== 'string')) {
        p.push(`fingerprint ${JSON.stringify(r.fingerprint)} on a ${r.state} result`);
      }
      const more = Object.keys(r).filter((k) => !RESULT_KEYS.includes(k) && k !== 'fingerprint');
      if (more.length) p.push(`unexpected keys ${more.join(', ')}`);
    }
    if (p.length && bad++ < 5) problems.push(`results[${i}]: ${p.join('; ')}`);
  }
  if (bad > 5) problems.push(`… ${bad - 5} more results with problems`);
  // Host then port order (docs/design/probe-engine.md#output): hosts as given, so only ports are checked per host.
  const lastPort = new Map();
  const hostOrder = [];
  let disorder = 0;
  for (const r of results) {
    const k = `${r?.host}|${r?.ip}`;
    if (!lastPort.has(k)) hostOrder.push(k);
    else if (hostOrder[hostOrder.length - 1] !== k || lastPort.get(k) >= r.port) disorder++;
    lastPort.set(k, r?.port);
  }
  if (disorder) problems.push(`${disorder} results out of host-then-port order`);
  const s = doc.summary;
  if (!s || typeof s !== 'object') problems.push('summary is missing');
  else {
    for (const k of SUMMARY_KEYS)
      if (typeof s[k] !== 'number') problems.push(`summary.${k} is ${JSON.stringify(s[k])}, expected a number`);
    const more = Object.keys(s).filter((k) => !SUMMARY_KEYS.includes(k));
    if (more.length) problems.push(`unexpected summary keys: ${more.join(', ')}`);
    const sum = s.open + s.closed + s.filtered + s.unreachable;
    if (sum !== s.probes) problems.push(`summary: open+closed+filtered+unreachable = ${sum}, probes = ${s.probes}`);
    for (const st of ['open', 'filtered', 'unreachable']) {
      const n = results.filter((r) => r?.state === st).length;
      if (n !== s[st]) problems.push(`summary.${st} = ${s[st]} but ${n} results are ${st}`);
    }
  }
  return { results: results.filter((r) => r && STATES.has(r.state)), summary: s ?? null, problems };
}

/** "1-79,81-900" → [1..79, 81..900]. */
function expandPorts(spec) {
  const out = [];
  for (const part of spec.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let p = a; p <= (b ?? a); p++) out.push(p);
  }
  return out;
}

const attr = (tag, name) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

/**
 * Parses `nmap -oX -` output. nmap's "filtered" is split by reason: host-unreach / net-unreach
 * become `unreachable` (portdrift's state for EHOSTUNREACH / ENETUNREACH); no-response stays
 * `filtered`. Closed results are included, so results cover every probed port.
 */
export function readNmapXml(xml) {
  const problems = [];
  const results = [];
  const perHost = new Map();
  if (!xml.includes('<nmaprun')) problems.push('stdout is not nmap XML');
  if (!/<finished\b[^>]*exit="success"/.test(xml)) problems.push('nmap did not finish with exit="success"');
  for (const block of xml.match(/<host\b[\s\S]*?<\/host>/g) ?? []) {
    const ip = /<address addr="([^"]+)" addrtype="ipv[46]"/.exec(block)?.[1];
    if (!ip) {
      problems.push('a <host> without an address');
      continue;
    }
    let count = 0;
    for (const ex of block.match(/<extraports\b[\s\S]*?<\/extraports>/g) ?? []) {
      const state = attr(ex, 'state');
      const total = Number(attr(ex, 'count'));
      let expanded = 0;
      for (const reason of ex.match(/<extrareasons\b[^>]*>/g) ?? []) {
        const ports = attr(reason, 'ports');
        if (ports === undefined) continue;
        const why = attr(reason, 'reason');
        const st = state === 'filtered' && /unreach/.test(why ?? '') ? 'unreachable' : state;
        for (const port of expandPorts(ports)) results.push({ ip, port, state: st });
        expanded += Number(attr(reason, 'count'));
      }
      if (expanded !== total) problems.push(`${ip}: ${total - expanded} ${state} ports summarised without a port list`);
      count += total;
    }
    for (const m of block.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([^"]+)" reason="([^"]*)"/g)) {
      const st = m[2] === 'filtered' && /unreach/.test(m[3]) ? 'unreachable' : m[2];
      results.push({ ip, port: Number(m[1]), state: st });
      count++;
    }
    perHost.set(ip, count);
  }
  const elapsed = Number(/<finished\b[^>]*elapsed="([\d.]+)"/.exec(xml)?.[1]);
  return { results, perHost, elapsed: Number.isFinite(elapsed) ? elapsed : null, problems };
}
