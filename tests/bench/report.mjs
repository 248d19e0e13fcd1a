// Reports over a month of a busy site, in workerd on this machine: 10,000 conversations spread
// over 30 days (100,000 messages, the reports' records and eight agents' presence, made up by the
// bench build's `bench-fill`), then `POST /reports` for those 30 days, per day and per hour of
// one day, split by agent. Printed as `bench: report_30d_ms` (median), with the same endpoint
// over one day and a request that reads nothing much (`widget-config`) as baselines in one run.
import { seedDemo, startEdge } from '../e2e/harness.mjs';

const CONVERSATIONS = Number(process.env.REPORT_CONVERSATIONS ?? 10_000);
const DAYS = 30;
const PER = 10;
const RUNS = 15;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const day = (ms) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

const edge = await startEdge();
try {
  const site = 'reportbench';
  const agents = Array.from({ length: 8 }, (_, i) => ({ id: `a${i}`, name: `Agent ${i}`, password: 'report-bench-pass', role: i === 0 ? 'admin' : 'agent' }));
  await seedDemo(edge, site, {
    name: 'Report bench',
    greeting: '',
    agents,
    groups: [{ id: 'presale', name: '售前', agents: agents.map((a) => a.id) }, { id: 'aftersale', name: '售后', agents: agents.map((a) => a.id) }],
    routing: { service_hours: { utc_offset_minutes: 480, weekly: Array(7).fill(['00:00-24:00']) } },
  });
  const filled = performance.now();
  let stored = 0;
  const spread = Math.floor((DAYS * 86_400_000) / CONVERSATIONS);
  for (let from = 0; from < CONVERSATIONS; from += 1000) {
    const res = await fetch(`${edge.base}/api/v1/sites/${site}/bench-fill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from, conversations: Math.min(1000, CONVERSATIONS - from), messages: PER, spread_ms: spread }),
    });
    if (!res.ok) throw new Error(`bench-fill: ${res.status} ${await res.text()}`);
    stored += (await res.json()).messages;
  }
  console.error(`report: stored ${CONVERSATIONS} conversations, ${stored} messages in ${((performance.now() - filled) / 1000).toFixed(1)} s`);

  const login = await (await fetch(`${edge.base}/api/v1/sites/${site}/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'a0', password: 'report-bench-pass' }) })).json();
  const now = Date.now();
  const ask = async (query) => {
    const t0 = performance.now();
    const res = await fetch(`${edge.base}/api/v1/sites/${site}/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(query),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`reports: ${res.status} ${JSON.stringify(body)}`);
    return [performance.now() - t0, body];
  };
  const time = async (query) => {
    const times = [];
    let last;
    for (let i = 0; i < RUNS; i += 1) {
      const [ms, body] = await ask(query);
      times.push(ms);
      last = body;
    }
    return [median(times), last];
  };
  const month = { from: day(now - (DAYS - 1) * 86_400_000), to: day(now) };
  await ask(month); // Warm the Desk and the segmenter once.
  const [monthMs, report] = await time(month);
  const [dayMs] = await time({ from: day(now), to: day(now) });
  const [hourlyMs] = await time({ from: day(now), to: day(now), hourly: true, split: 'group' });
  const baseline = [];
  for (let i = 0; i < RUNS; i += 1) {
    const t0 = performance.now();
    await (await fetch(`${edge.base}/api/v1/sites/${site}/widget-config`)).text();
    baseline.push(performance.now() - t0);
  }
  console.log(`bench: report_30d_ms ${monthMs.toFixed(1)} ms (median of ${RUNS}; ${report.total.conversations} conversations, ${report.total.messages} messages, ${report.topics.length} hot questions)`);
  console.log(`bench: report_1d_ms ${dayMs.toFixed(1)} ms (one day; per hour by group ${hourlyMs.toFixed(1)} ms)`);
  console.log(`bench: report_baseline_ms ${median(baseline).toFixed(1)} ms (the Desk's widget-config, the same HTTP path reading nothing much)`);
} finally {
  await edge.stop();
}
