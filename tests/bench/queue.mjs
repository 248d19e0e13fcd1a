// An opening burst where most conversations must wait, printed as `bench: NAME VALUE UNIT`: 500
// visitors open and write once within two seconds while 20 agents are on the board; once with
// room for everyone (`taken`), once with each agent taking a single chat, so 480 wait in the queue
// (`queued`). Reported per case: the first message's acknowledgement p50/p99 (the Desk's time per
// opening under the burst) and the board bytes each agent got per conversation. A queued
// conversation changes the board's lists, whose items are read from SQLite when a board is built:
// the Desk builds at most a few boards a second, so a long queue must not make each opening cost
// a board.
import WebSocket from 'ws';
import { seedDemo, startEdge } from '../e2e/harness.mjs';

const VISITORS = 500;
const AGENTS = 20;
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const edge = await startEdge({});
try {
  for (const [name, capacity] of [['taken', Math.ceil(VISITORS / AGENTS) + 5], ['queued', 1]]) {
    const site = `queue-${name}`;
    const agents = Array.from({ length: AGENTS }, (_, i) => ({ id: `a${i}`, name: `Agent ${i}`, password: `queue-agent-pass-${i}`, max_sessions: capacity }));
    await seedDemo(edge, site, {
      name: site, greeting: '', groups: [], agents,
      rate_limits: { sessions_per_ip: 1_000_000, logins_per_ip: 1000, messages_per_visitor: 1000, sockets_per_ip: 100_000, frames_per_visitor: 100_000 },
    });
    const base = `${edge.base.replace('http', 'ws')}/api/v1/sites/${site}`;
    let boardBytes = 0;
    const sockets = [];
    for (const a of agents) {
      const res = await fetch(`${edge.base}/api/v1/sites/${site}/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: a.id, password: a.password }) });
      const { token } = await res.json();
      const ws = new WebSocket(`${base}/agents/ws`);
      await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
      ws.on('message', (data) => { const text = String(data); if (text.startsWith('{"type":"board')) boardBytes += text.length; });
      ws.send(JSON.stringify({ type: 'auth', token }));
      ws.send(JSON.stringify({ type: 'board' }));
      sockets.push(ws);
    }
    await wait(500);
    const before = boardBytes;
    const acks = [];
    await Promise.all(Array.from({ length: VISITORS }, async (_, v) => {
      await wait((v / VISITORS) * 2000);
      const ws = new WebSocket(`${base}/ws`);
      sockets.push(ws);
      await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
      await new Promise((resolve) => {
        let sent = 0;
        ws.on('message', (data) => {
          const f = JSON.parse(String(data));
          if (f.type === 'ready') {
            sent = performance.now();
            ws.send(JSON.stringify({ type: 'send', client_id: `v${v}`, body: { kind: 'text', text: '你好，在吗' } }));
          } else if (f.type === 'ack') {
            acks.push(performance.now() - sent);
            resolve();
          }
        });
        ws.send(JSON.stringify({ type: 'open', session: { page_url: `https://shop.example/p/${v}` } }));
      });
    }));
    await wait(1000);
    sockets.forEach((ws) => ws.terminate());
    console.log(`bench: queue_${name}_ack_p50_ms ${pct(acks, 0.5).toFixed(1)} ms`);
    console.log(`bench: queue_${name}_ack_p99_ms ${pct(acks, 0.99).toFixed(1)} ms`);
    console.log(`bench: queue_${name}_board_bytes_per_conv ${Math.round((boardBytes - before) / AGENTS / VISITORS)} bytes`);
    await wait(1000);
  }
} finally {
  await edge.stop();
}
