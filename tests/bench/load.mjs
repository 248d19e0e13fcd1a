// Many visitors and 20 agents over the public protocol, printed as `bench: NAME VALUE UNIT`:
// for N = 100, 250 and 500 visitors (a fresh site each), every visitor opens its socket and its
// session in the socket's first frame, as the widget does, within about two seconds (the opening
// burst), then writes every 2-4 s for a few seconds;
// every agent answers every message it gets. Reported per N: visitor->agent latency p50/p99
// (including the burst), messages lost (acknowledged to the visitor, never at the agent holding the
// conversation) and duplicated (at an agent twice), the bytes each agent received in board
// frames per new conversation, and the runtime's CPU time per opening over the burst.
//
// The Worker runs as `wrangler dev` runs it, minus the developer tools, and the clients talk to
// the runtime that runs it (`runtimeBase`), as production's clients do: `wrangler dev` puts a
// second workerd in front (a proxy for every request and frame) and an inspector whose network
// events for every Worker->Desk request wrangler's node process writes to its debug log; on this
// 2-core machine those took about as much CPU as the Worker itself under the burst.
// `LOAD_DEVTOOLS=1` measures through all of that, as this benchmark did until 2026-12-01;
// `LOAD_PROFILE=FILE` needs the inspector, so it turns the developer tools on too.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startEdge, seedDemo, runtimeBase, workerdProcesses } from '../e2e/harness.mjs';
import { startProfile } from './profile.mjs';

const AGENTS = 20;
const SIZES = (process.env.LOAD_SIZES ?? '100,250,500').split(',').map(Number);
const WRITE_SECONDS = Number(process.env.LOAD_SECONDS ?? 8);
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuMs = () => workerdProcesses(edge).reduce((sum, p) => sum + p.cpuMs, 0);
// The runtime's CPU time (every workerd process of the edge) over the opening burst, its first
// 2.5 s, less what it spends in 2.5 s with nothing new (measured over the second before), per
// opening: what one opening with its first messages costs workerd.
const burstCpu = async () => {
  const idleFrom = cpuMs();
  await wait(1000);
  const idlePerMs = (cpuMs() - idleFrom) / 1000;
  const before = cpuMs();
  let spent = null;
  setTimeout(() => { spent = cpuMs() - before - idlePerMs * 2500; }, 2500);
  return (n) => (Math.max(0, spent) / n).toFixed(2);
};
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };

const devtools = Boolean(process.env.LOAD_PROFILE || process.env.LOAD_DEVTOOLS);
const edge = await startEdge({ devtools });
const base = process.env.LOAD_DEVTOOLS ? edge.base : await runtimeBase(edge);
console.error(`load: ${process.env.LOAD_DEVTOOLS ? 'through wrangler dev (proxy, inspector)' : `the runtime at ${base}${devtools ? ', inspector on' : ''}`}`);
const wsBase = (site) => `${base.replace('http', 'ws')}/api/v1/sites/${site}`;
const post = async (site, path, body) => {
  const res = await fetch(`${base}/api/v1/sites/${site}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
};
const openSocket = (url, auth, onFrame) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  const timer = setTimeout(() => reject(new Error(`no ready from ${url} in 15 s`)), 15_000);
  ws.on('open', () => ws.send(JSON.stringify(auth)));
  ws.on('message', (data, isBinary) => {
    const text = String(data);
    const f = JSON.parse(text);
    if (f.type === 'ready') { clearTimeout(timer); resolve(ws); }
    onFrame(f, text.length);
  });
  ws.on('error', reject);
});

// With LOAD_PROFILE=FILE, the Worker's CPU profile over the last size's run (the Chrome DevTools
// protocol through wrangler's inspector), from the opening burst to the end (the site's seeding and
// the agents' logins left out), is written to FILE (.cpuprofile) and its top functions by self
// and inclusive time are printed (`profile.mjs`): where the Worker and the Desk spend their time under the load.
async function run(n, profileFile) {
  const site = `load${n}`;
  const agents = Array.from({ length: AGENTS }, (_, i) => ({ id: `a${i}`, name: `Agent ${i}`, password: `load-agent-pass-${i}`, max_sessions: Math.ceil(n / AGENTS) + 5 }));
  await seedDemo(edge, site, {
    name: `Load ${n}`, greeting: '', groups: [], agents,
    rate_limits: { sessions_per_ip: 1_000_000, logins_per_ip: 1000, messages_per_visitor: 1000, sockets_per_ip: 100_000, frames_per_visitor: 100_000 },
  });
  const sentAt = new Map(); // client_id -> performance.now() at send
  const latencies = [];
  const firsts = []; // the first message of each visitor (the opening burst)
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const seenAtAgent = new Map(); // client_id -> count
  let boardBytes = 0;
  const agentSockets = [];
  for (const a of agents) {
    const login = await post(site, '/agents/login', { agent: a.id, password: a.password });
    if (!login.token) throw new Error(`login of ${a.id}: ${JSON.stringify(login)}`);
    let ws;
    ws = await openSocket(`${wsBase(site)}/agents/ws`, { type: 'auth', token: login.token }, (f, bytes) => {
      if (f.type === 'board' || f.type === 'board_delta') boardBytes += bytes;
      if (f.type === 'message' && f.message.author.role === 'visitor') {
        const id = f.message.client_id;
        seenAtAgent.set(id, (seenAtAgent.get(id) ?? 0) + 1);
        const t0 = sentAt.get(id);
        if (t0 !== undefined && seenAtAgent.get(id) === 1) {
          latencies.push(performance.now() - t0);
          if (id.endsWith('-m0')) firsts.push(performance.now() - t0);
        }
        ws.send(JSON.stringify({ type: 'send', conversation_id: f.message.conversation_id, client_id: `re-${id}`, body: { kind: 'text', text: '收到' } }));
      }
    });
    ws.send(JSON.stringify({ type: 'board' }));
    agentSockets.push(ws);
  }
  await wait(300);
  const boardBytesBefore = boardBytes;

  const profile = profileFile ? await startProfile(edge) : null;
  // The opening burst: every visitor within about two seconds, each sending its first message.
  const acked = new Set();
  const visitors = [];
  const cpu = await burstCpu();
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, async (_, v) => {
    await wait((v / n) * 2000);
    // As the widget opens: the session in the socket's first frame (`open`), one connection.
    const ws = await openSocket(`${wsBase(site)}/ws`, { type: 'open', session: { page_url: `https://shop.example/p/${v}` } }, (f) => {
      if (f.type === 'ack') acked.add(f.client_id);
    });
    visitors.push(ws);
    const say = (k) => { const id = `v${v}-m${k}`; sentAt.set(id, performance.now()); ws.send(JSON.stringify({ type: 'send', client_id: id, body: { kind: 'text', text: `问题 ${k}` } })); };
    say(0);
    // Then a message every 2-4 s.
    for (let k = 1; performance.now() - started < 2000 + WRITE_SECONDS * 1000; k += 1) {
      await wait(2000 + ((v * 7919 + k * 104729) % 2000));
      say(k);
    }
  }));
  await wait(3000);
  if (profile) await profile.stop(profileFile, `${n} visitors`);
  const newConversationBytes = (boardBytes - boardBytesBefore) / AGENTS / n;
  const lost = [...acked].filter((id) => !seenAtAgent.has(id)).length;
  const duplicated = [...seenAtAgent.values()].filter((c) => c > 1).length;
  visitors.forEach((ws) => ws.terminate());
  agentSockets.forEach((ws) => ws.terminate());
  console.log(`bench: load_p50_ms_${n} ${pct(latencies, 0.5).toFixed(1)} ms`);
  console.log(`bench: load_p99_ms_${n} ${pct(latencies, 0.99).toFixed(1)} ms`);
  console.log(`bench: load_lost_${n} ${lost} msgs`);
  console.log(`bench: load_duplicated_${n} ${duplicated} msgs`);
  console.log(`bench: load_agent_bytes_per_conv_${n} ${Math.round(newConversationBytes)} bytes`);
  console.log(`bench: load_cpu_per_opening_ms_${n} ${cpu(n)} ms`);
  console.error(`load ${n}: ${acked.size} messages acknowledged, ${latencies.length} timed at agents; first messages p50/p99 ${pct(firsts, 0.5).toFixed(1)}/${pct(firsts, 0.99).toFixed(1)} ms; this process's event loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`);
}

// The floor under the same burst: N clients each open a socket to the Desk's durable echo (one
// SQLite write, the frame sent back) within two seconds, then write every 2-4 s; the round trip of
// each frame. Twice: with each client first opening a visitor session over HTTP (`POST sessions`,
// how the widget opened before the `open` frame, `load_echo_p99_ms_N`), and with the socket alone
// (`load_socket_echo_p99_ms_N`). Next to the relay's `load_p99_ms_N`, they say what this machine's
// workerd allows, and how much of the tail an HTTP opening alone makes.
async function echoBaseline(n, sessions) {
  const site = `echo${sessions ? 's' : ''}${n}`;
  await seedDemo(edge, site, {
    name: `Echo ${n}`, greeting: '', groups: [], agents: [{ id: 'a0', name: 'A', password: 'echo-agent-pass-0', max_sessions: 5 }],
    rate_limits: { sessions_per_ip: 1_000_000, logins_per_ip: 1000, messages_per_visitor: 1000, sockets_per_ip: 100_000, frames_per_visitor: 100_000 },
  });
  const times = [];
  const sockets = [];
  const cpu = await burstCpu();
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, async (_, v) => {
    await wait((v / n) * 2000);
    if (sessions) await post(site, '/sessions', {});
    const ws = new WebSocket(`${wsBase(site)}/echo-durable`);
    sockets.push(ws);
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    const sent = new Map();
    ws.on('message', (data) => {
      const id = JSON.parse(String(data)).client_id;
      if (sent.has(id)) times.push(performance.now() - sent.get(id));
    });
    const say = (k) => { const id = `e${v}-${k}`; sent.set(id, performance.now()); ws.send(JSON.stringify({ type: 'send', client_id: id, body: { kind: 'text', text: `问题 ${k}` } })); };
    say(0);
    for (let k = 1; performance.now() - started < 2000 + WRITE_SECONDS * 1000; k += 1) {
      await wait(2000 + ((v * 7919 + k * 104729) % 2000));
      say(k);
    }
  }));
  await wait(1000);
  sockets.forEach((ws) => ws.terminate());
  const name = sessions ? 'echo' : 'socket_echo';
  console.log(`bench: load_${name}_p50_ms_${n} ${pct(times, 0.5).toFixed(1)} ms`);
  console.log(`bench: load_${name}_p99_ms_${n} ${pct(times, 0.99).toFixed(1)} ms`);
  console.log(`bench: load_${name}_cpu_per_opening_ms_${n} ${cpu(n)} ms`);
}

try {
  for (const n of SIZES) {
    await echoBaseline(n, false);
    await echoBaseline(n, true);
  }
  for (const [i, n] of SIZES.entries()) {
    await run(n, process.env.LOAD_PROFILE && i === SIZES.length - 1 ? process.env.LOAD_PROFILE : null);
  }
} finally {
  await edge.stop();
}
