// Desk benchmarks against real workerd, printed as `bench: NAME VALUE UNIT`:
// visitor->agent relay latency next to a bare WebSocket echo through the same Desk (the platform's
// limit), a durable one (one SQLite write per frame) and the relay's floor (the durable echo that
// also delivers the frame to a second socket), the four taking turns; and sustained messages per
// second into one site's Desk with 100 connected visitors.
// The clients are Node's (the `ws` package, timed with performance.now() to the microsecond), so
// the load generator takes little of the machine's two cores from workerd. They talk to the
// runtime that runs the Worker, without `wrangler dev`'s developer tools (see load.mjs);
// `DESK_DEVTOOLS=1` measures through its proxy as until 2026-12-01 (`DESK_PROFILE` needs them).
import WebSocket from 'ws';
import { demoConfig, runtimeBase, seedDemo, startEdge } from '../e2e/harness.mjs';
import { startProfile } from './profile.mjs';

globalThis.WebSocket = WebSocket;
await import('../e2e/ws-client.js');
const { DeskClient } = globalThis;

const RELAY_MESSAGES = 3000;
const RELAY_VISITORS = 60; // 50 messages each, inside the per-visitor limit
const ROUNDS = 30;
const LOAD_VISITORS = 100;
const LOAD_PER_VISITOR = 25;

const edge = await startEdge({ devtools: Boolean(process.env.DESK_PROFILE || process.env.DESK_DEVTOOLS) });
const base = process.env.DESK_DEVTOOLS ? edge.base : await runtimeBase(edge);
try {
  const limits = { sessions_per_ip: 500, logins_per_ip: 10, messages_per_visitor: 100 };
  // One agent takes every relay conversation, so the relay measures delivery, not queueing.
  const agents = demoConfig.agents.map((a) => (a.id === 'alice' ? { ...a, max_sessions: 200 } : a));
  await seedDemo(edge, 'bench', { ...demoConfig, agents, rate_limits: limits });
  const post = async (url, body) => (await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
  const sessions = [];
  for (let i = 0; i < LOAD_VISITORS; i += 1) sessions.push(await post('/api/v1/sites/bench/sessions', {}));
  const agent = await post('/api/v1/sites/bench/agents/login', { agent: 'alice', password: 'alice-demo-pass' });

  const wsBase = `${base.replace('http', 'ws')}/api/v1/sites/bench`;
  const open = (url) => new Promise((resolve, reject) => { const ws = new WebSocket(url); ws.onopen = () => resolve(ws); ws.onerror = reject; });
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));

  // Relay: a visitor sends, the agent's socket receives it; one message in flight at a time.
  const agentWs = await open(`${wsBase}/agents/ws`);
  let onArrive = null;
  agentWs.onmessage = (e) => {
    const f = JSON.parse(e.data);
    if (f.type === 'message' && onArrive) onArrive(f.message.client_id);
  };
  agentWs.send(JSON.stringify({ type: 'auth', token: agent.token }));
  await wait(300);
  const relayClients = sessions.slice(0, RELAY_VISITORS).map((s) => new DeskClient('bench', s.token, base));
  while (!relayClients.every((c) => c.ready)) await wait(20);
  const relayTimes = [];
  let relayed = 0;
  const relayRun = async (count) => {
    for (let k = 0; k < count; k += 1, relayed += 1) {
      const client = relayClients[relayed % RELAY_VISITORS];
      const id = `r${relayed}`;
      const t0 = performance.now();
      await new Promise((resolve) => { onArrive = (cid) => { if (cid === id) resolve(); }; client.send(id, 'relay'); });
      relayTimes.push(performance.now() - t0);
    }
  };

  // Baselines: a bare echo socket through the same Worker and Desk, one frame at a time, and
  // the same with one durable SQLite write per frame (what store-then-ack must pay at least).
  const echo = await open(`${wsBase}/echo`);
  const durable = await open(`${wsBase}/echo-durable`);
  const echoTimes = [];
  const durableTimes = [];
  let echoed = 0;
  const echoRun = async (socket, times, count) => {
    for (let k = 0; k < count; k += 1, echoed += 1) {
      const t0 = performance.now();
      await new Promise((resolve) => { socket.onmessage = resolve; socket.send(JSON.stringify({ type: 'send', client_id: `e${echoed}`, body: { kind: 'text', text: 'x' } })); });
      times.push(performance.now() - t0);
    }
  };
  // The relay's floor: the durable echo, but the frame also goes to a second socket (as a relayed
  // message is acknowledged to its writer and delivered to the agent), timed where it is
  // delivered. No Desk logic: one write, two frames out.
  const receiver = await open(`${wsBase}/echo-durable`);
  const floorTimes = [];
  const floorRun = async (count) => {
    for (let k = 0; k < count; k += 1, echoed += 1) {
      const t0 = performance.now();
      let delivered = 0;
      await new Promise((resolve) => {
        let left = 2; // the writer's echo and the delivery
        durable.onmessage = () => { left -= 1; if (!left) resolve(); };
        receiver.onmessage = () => { delivered = performance.now(); left -= 1; if (!left) resolve(); };
        durable.send(JSON.stringify({ type: 'send', client_id: `f${echoed}`, bench_relay: true, body: { kind: 'text', text: 'x' } }));
      });
      floorTimes.push(delivered - t0);
    }
  };

  // The four take turns, a hundred frames at a time, so each sees the same machine (the
  // runtime's warm-up, the collector, whatever else runs): their ratio is what the Desk adds.
  // With DESK_PROFILE=FILE, the Worker's CPU profile over all four (see profile.mjs); with
  // DESK_ROUNDS=1, each round's medians.
  const profile = process.env.DESK_PROFILE ? await startProfile(edge, 50) : null;
  for (let round = 0; round < ROUNDS; round += 1) {
    await echoRun(echo, echoTimes, RELAY_MESSAGES / ROUNDS);
    await echoRun(durable, durableTimes, RELAY_MESSAGES / ROUNDS);
    await relayRun(RELAY_MESSAGES / ROUNDS);
    await floorRun(RELAY_MESSAGES / ROUNDS);
    if (process.env.DESK_ROUNDS) {
      // Each round's medians, microseconds: whether the four moved together.
      const m = (xs) => (pct(xs.slice(-RELAY_MESSAGES / ROUNDS), 0.5) * 1000).toFixed(0);
      console.error(`round ${round}: echo ${m(echoTimes)} durable ${m(durableTimes)} relay ${m(relayTimes)} floor ${m(floorTimes)}`);
    }
  }
  if (profile) await profile.stop(process.env.DESK_PROFILE, `${RELAY_MESSAGES} frames of each: echo, durable echo, relay, floor`, 45);
  echo.close();
  durable.close();
  receiver.close();
  relayClients.forEach((c) => c.stop());
  agentWs.close();

  // Load: 100 connected visitors send as fast as the Desk acknowledges.
  const loadClients = sessions.map((s) => new DeskClient('bench', s.token, base));
  while (!loadClients.every((c) => c.ready)) await wait(20);
  const total = loadClients.length * LOAD_PER_VISITOR;
  let ackCount = 0;
  let doneAt = 0;
  const allAcked = new Promise((resolve) => {
    loadClients.forEach((c) => {
      const onmessage = c.ws.onmessage;
      c.ws.onmessage = (e) => {
        onmessage(e);
        if (e.data.startsWith('{"type":"ack"')) {
          ackCount += 1;
          if (ackCount === total) { doneAt = performance.now(); resolve(); }
        }
      };
    });
  });
  const t0 = performance.now();
  loadClients.forEach((c, v) => { for (let n = 0; n < LOAD_PER_VISITOR; n += 1) c.send(`l${v}-${n}`, `load ${n}`); });
  await Promise.race([allAcked, wait(60_000)]);
  const seconds = ((doneAt || performance.now()) - t0) / 1000;
  const errors = loadClients.flatMap((c) => c.errors);
  loadClients.forEach((c) => c.stop());
  const result = {
    echoP50: pct(echoTimes, 0.5), echoP99: pct(echoTimes, 0.99),
    durableP50: pct(durableTimes, 0.5), durableP99: pct(durableTimes, 0.99),
    relayP50: pct(relayTimes, 0.5), relayP99: pct(relayTimes, 0.99),
    floorP50: pct(floorTimes, 0.5),
    perSecond: ackCount / seconds, lost: total - ackCount, errors: errors.length,
  };

  const us = (ms) => Math.round(ms * 1000);
  console.log(`bench: echo_p50_us ${us(result.echoP50)} us`);
  console.log(`bench: echo_p99_us ${us(result.echoP99)} us`);
  console.log(`bench: echo_durable_p50_us ${us(result.durableP50)} us`);
  console.log(`bench: echo_durable_p99_us ${us(result.durableP99)} us`);
  console.log(`bench: relay_p50_us ${us(result.relayP50)} us`);
  console.log(`bench: relay_p99_us ${us(result.relayP99)} us`);
  console.log(`bench: relay_to_echo_p50_ratio ${(result.relayP50 / result.echoP50).toFixed(2)} x`);
  console.log(`bench: relay_to_echo_durable_p50_ratio ${(result.relayP50 / result.durableP50).toFixed(2)} x`);
  // The floor of any store-acknowledge-deliver relay here, and how far the Desk's relay is above it.
  console.log(`bench: relay_floor_p50_us ${us(result.floorP50)} us`);
  console.log(`bench: relay_floor_to_echo_durable_p50_ratio ${(result.floorP50 / result.durableP50).toFixed(2)} x`);
  console.log(`bench: relay_to_floor_p50_ratio ${(result.relayP50 / result.floorP50).toFixed(2)} x`);
  console.log(`bench: desk_msgs_per_s ${Math.round(result.perSecond)} msgs/s`);
  console.log(`bench: desk_msgs_lost ${result.lost} msgs`);
  if (result.errors) console.error(`desk bench: ${result.errors} error frames`);
} finally {
  await edge.stop();
}
