// Search over a site's stored history, in workerd on this machine: 100,000 messages in 10,000
// conversations (made up by the bench build's `bench-fill`, indexed as the pipeline indexes
// messages), then an agent's `search` frames, each answered on the agent socket. Printed as
// `bench: search_ms` (the median over every query and run), each query's median, and the same
// socket's round trip for a frame that reads nothing much (`stats`), the baseline in one run.
import WebSocket from 'ws';
import { seedDemo, startEdge } from '../e2e/harness.mjs';

const CONVERSATIONS = Number(process.env.SEARCH_CONVERSATIONS ?? 10_000);
const PER = 10;
const RUNS = 15;
const QUERIES = ['退货', '蓝牙耳机', '耳机 有货', 'blue shoes', 'singap', 'A4242', '访客 77', ''];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const edge = await startEdge();
try {
  const site = 'searchbench';
  await seedDemo(edge, site, { name: 'Search bench', greeting: '', groups: [], agents: [{ id: 'a0', name: 'A', password: 'search-bench-pass', max_sessions: 5 }] });
  const filled = performance.now();
  let stored = 0;
  for (let from = 0; from < CONVERSATIONS; from += 1000) {
    const res = await fetch(`${edge.base}/api/v1/sites/${site}/bench-fill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from, conversations: Math.min(1000, CONVERSATIONS - from), messages: PER }),
    });
    if (!res.ok) throw new Error(`bench-fill: ${res.status} ${await res.text()}`);
    stored += (await res.json()).messages;
  }
  console.error(`search: stored ${stored} messages in ${((performance.now() - filled) / 1000).toFixed(1)} s`);

  const login = await (await fetch(`${edge.base}/api/v1/sites/${site}/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'a0', password: 'search-bench-pass' }) })).json();
  const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${site}/agents/ws`);
  let waiting = null;
  ws.on('message', (data) => {
    const f = JSON.parse(String(data));
    if (waiting && f.type === waiting.type) { const w = waiting; waiting = null; w.resolve(f); }
  });
  await new Promise((resolve) => { waiting = { type: 'ready', resolve }; ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: login.token }))); });
  const ask = (frame, type) => new Promise((resolve) => { waiting = { type, resolve }; ws.send(JSON.stringify(frame)); });
  const time = async (frame, type) => { const t0 = performance.now(); const f = await ask(frame, type); return [performance.now() - t0, f]; };

  // Warm the Desk and the index once.
  await ask({ type: 'search', query: { text: '退货', n: 1 } }, 'search_results');
  const all = [];
  for (const text of QUERIES) {
    const times = [];
    let hits = 0;
    for (let i = 0; i < RUNS; i += 1) {
      const [ms, f] = await time({ type: 'search', query: { text, n: i + 2 } }, 'search_results');
      times.push(ms);
      hits = f.hits.length;
    }
    all.push(...times);
    console.log(`bench: search_ms_${JSON.stringify(text)} ${median(times).toFixed(1)} ms (median of ${RUNS}; ${hits}${hits === 50 ? '+' : ''} hits)`);
  }
  const baseline = [];
  for (let i = 0; i < RUNS; i += 1) baseline.push((await time({ type: 'stats' }, 'stats'))[0]);
  console.log(`bench: search_ms ${median(all).toFixed(1)} ms (median over ${QUERIES.length} queries x ${RUNS}, ${stored} messages; p90 ${[...all].sort((a, b) => a - b)[Math.floor(all.length * 0.9)].toFixed(1)} ms)`);
  console.log(`bench: search_roundtrip_baseline_ms ${median(baseline).toFixed(1)} ms (the same socket's stats frame)`);
  ws.close();
} finally {
  await edge.stop();
}
