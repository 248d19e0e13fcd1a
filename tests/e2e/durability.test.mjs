// Kill workerd (SIGKILL) in the middle of a burst from 20 visitors, restart it on the same state,
// reconnect with the last seen seq: every acknowledged message is there exactly once, in order,
// for the visitors and for the agent.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchBrowser, root, seedDemo, startEdge, tempDir } from './harness.mjs';

const VISITORS = 20;
const PER_VISITOR = 25;
let edge;
let browser;

after(async () => {
  await browser?.close();
  await edge?.stop();
});

test('SIGKILL mid-burst: every acknowledged message survives exactly once, in order, on both sides', async () => {
  const stateDir = tempDir('cw-kill-');
  edge = await startEdge({ stateDir });
  await seedDemo(edge);
  const { port } = edge;
  const sessions = [];
  for (let i = 0; i < VISITORS; i += 1) {
    const res = await fetch(`${edge.base}/api/v1/sites/demo/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    sessions.push(await res.json());
  }
  browser = await launchBrowser();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  await page.addScriptTag({ path: path.join(root, 'tests', 'e2e', 'ws-client.js') });
  await page.evaluate(({ sessions, perVisitor }) => {
    window.clients = sessions.map((s) => new window.DeskClient('demo', s.token));
    // Each visitor writes a message every 40 ms: a burst of 500 messages over about a second.
    window.clients.forEach((c, v) => {
      let n = 0;
      const timer = setInterval(() => {
        c.send(`v${v}-m${n}`, `visitor ${v} message ${n}`);
        n += 1;
        if (n === perVisitor) clearInterval(timer);
      }, 40);
    });
  }, { sessions, perVisitor: PER_VISITOR });

  // Kill once part of the burst is acknowledged.
  await page.waitForFunction(() => window.clients.reduce((n, c) => n + c.acked.size, 0) >= 120);
  await edge.kill();
  const ackedAtKill = await page.evaluate(() => window.clients.reduce((n, c) => n + c.acked.size, 0));
  assert.ok(ackedAtKill < VISITORS * PER_VISITOR, `killed mid-burst (${ackedAtKill} acknowledged)`);

  edge = await startEdge({ stateDir, port });
  await page.waitForFunction((total) => window.clients.reduce((n, c) => n + c.acked.size, 0) === total, VISITORS * PER_VISITOR, { timeout: 60_000 });
  const reconnects = await page.evaluate(() => window.clients.reduce((n, c) => n + c.reconnects, 0));
  assert.ok(reconnects >= VISITORS, `every client reconnected (${reconnects})`);

  // Visitor side: a fresh connection per visitor replays the whole conversation from seq 0.
  const replay = await page.evaluate(async (tokens) => {
    const out = [];
    for (const token of tokens) {
      const c = new window.DeskClient('demo', token);
      await new Promise((r) => setTimeout(r, 50));
      const start = performance.now();
      const mine = () => [...c.messages.values()].filter((m) => m.author.role === 'visitor');
      while (mine().length < 25 && performance.now() - start < 10_000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      c.stop();
      out.push(mine().sort((a, b) => a.seq - b.seq).map((m) => [m.seq, m.client_id]));
    }
    return out;
  }, sessions.map((s) => s.token));
  // Each visitor's messages: every one once, in the order written, with increasing seq (system
  // prompts such as the offline notice take seqs in between).
  const check = (messages, v, side) => {
    assert.deepEqual(messages.map(([, id]) => id), Array.from({ length: PER_VISITOR }, (_, n) => `v${v}-m${n}`), `${side} ${v}: each message once, in order`);
    messages.forEach(([seq], i) => { if (i > 0) assert.ok(seq > messages[i - 1][0], `${side} ${v}: seq increases`); });
  };
  replay.forEach((messages, v) => check(messages, v, 'visitor'));

  // Agent side: the console's sync gives the same.
  const login = await fetch(`${edge.base}/api/v1/sites/demo/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'alice', password: 'alice-demo-pass' }) });
  const { token } = await login.json();
  const agentView = await page.evaluate(async ({ token, conversations }) => {
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/demo/agents/ws`);
    const got = new Map(conversations.map((c) => [c, []]));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'ready') conversations.forEach((c) => ws.send(JSON.stringify({ type: 'sync', conversation_id: c, after_seq: 0 })));
      if (f.type === 'message' && f.message.author.role === 'visitor') got.get(f.message.conversation_id).push([f.message.seq, f.message.client_id]);
    };
    await new Promise((r) => { ws.onopen = r; });
    ws.send(JSON.stringify({ type: 'auth', token }));
    const start = performance.now();
    while ([...got.values()].some((l) => l.length < 25) && performance.now() - start < 10_000) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    return conversations.map((c) => got.get(c));
  }, { token, conversations: sessions.map((s) => s.conversation_id) });
  agentView.forEach((messages, v) => check(messages, v, 'agent view of visitor'));
  console.log(`# durability: ${VISITORS * PER_VISITOR} messages, ${ackedAtKill} acknowledged before SIGKILL, ${reconnects} reconnects, all present once in order`);
});
