// The routing core live in the Desk: two agents, load strategy, the third visitor queued with its
// position, an agent closes a chat and the queued visitor is connected at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchBrowser, root, seedDemo, startEdge } from './harness.mjs';

let edge;
let browser;

const config = {
  name: 'Routing test',
  agents: [
    { id: 'a1', name: 'Agent One', password: 'agent-one-pass', max_sessions: 1 },
    { id: 'a2', name: 'Agent Two', password: 'agent-two-pass', max_sessions: 1 },
  ],
  groups: [{ id: 'g', name: 'Sales', agents: ['a1', 'a2'], strategy: 'load' }],
  routing: { fallback_group: 'g', entries: [{ id: 'vip', agent: 'a2' }], prompts: { busy: '客服繁忙，请稍候' } },
};

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, 'rt', config);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

const post = async (url, body) => {
  const res = await fetch(`${edge.base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};

test('load strategy, queue with position, close frees the slot for the queued visitor', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  await page.addScriptTag({ path: path.join(root, 'tests', 'e2e', 'ws-client.js') });
  const tokens = {};
  for (const a of ['a1', 'a2']) tokens[a] = (await post('/api/v1/sites/rt/agents/login', { agent: a, password: `agent-${a === 'a1' ? 'one' : 'two'}-pass` })).body.token;
  const visitors = [];
  for (let i = 0; i < 3; i += 1) visitors.push((await post('/api/v1/sites/rt/sessions', {})).body);

  await page.evaluate(async ({ tokens }) => {
    const base = `${location.origin.replace('http', 'ws')}/api/v1/sites/rt`;
    window.agents = {};
    for (const [id, token] of Object.entries(tokens)) {
      const ws = new WebSocket(`${base}/agents/ws`);
      const frames = [];
      ws.onmessage = (e) => frames.push(JSON.parse(e.data));
      await new Promise((r) => { ws.onopen = r; });
      ws.send(JSON.stringify({ type: 'auth', token }));
      window.agents[id] = { ws, frames };
    }
    while (!Object.values(window.agents).every((a) => a.frames.some((f) => f.type === 'conversations'))) await new Promise((r) => setTimeout(r, 20));
  }, { tokens });

  // Three visitors write, one after the other; each socket records its frames.
  await page.evaluate(async (sessions) => {
    window.visitors = [];
    for (const [i, s] of sessions.entries()) {
      const c = new window.DeskClient('rt', s.token);
      c.frames = [];
      const original = c.ws.onmessage;
      c.ws.onmessage = (e) => { c.frames.push(JSON.parse(e.data)); original(e); };
      window.visitors.push(c);
      while (!c.ready) await new Promise((r) => setTimeout(r, 20));
      c.send(`first-${i}`, `visitor ${i} asks`);
      while (!c.acked.has(`first-${i}`)) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
    }
  }, visitors);

  const holder = async (conversation) => page.evaluate((conv) => {
    for (const [id, a] of Object.entries(window.agents)) {
      const updates = a.frames.filter((f) => (f.type === 'conversation_updated' && f.conversation.conversation_id === conv) || (f.type === 'conversation_removed' && f.conversation_id === conv));
      const last = updates[updates.length - 1];
      if (last && last.type === 'conversation_updated' && last.conversation.state === 'active') return id;
    }
    return null;
  }, conversation);
  const statuses = async (i) => page.evaluate((i) => window.visitors[i].frames.filter((f) => f.type === 'status'), i);

  // Load strategy with ties broken by id: a1, then a2; both are full for the third visitor.
  assert.equal(await holder(visitors[0].conversation_id), 'a1');
  assert.equal(await holder(visitors[1].conversation_id), 'a2');
  assert.equal(await holder(visitors[2].conversation_id), null);
  const queued = (await statuses(2)).at(-1);
  assert.deepEqual([queued.state, queued.position, queued.reason], ['queued', 1, 'busy']);
  const prompts = await page.evaluate(() => [...window.visitors[2].messages.values()].filter((m) => m.author.role === 'system').map((m) => m.body.text));
  assert.ok(prompts.includes('客服繁忙，请稍候'), `busy prompt shown: ${prompts}`);
  // The first visitor's message reached its agent only.
  const seenBy = await page.evaluate(() => Object.fromEntries(Object.entries(window.agents).map(([id, a]) => [id, a.frames.filter((f) => f.type === 'message' && f.message.client_id === 'first-0').length])));
  assert.deepEqual(seenBy, { a1: 1, a2: 0 });

  // a2 may not write into a1's conversation: a typed refusal, nothing stored.
  const refused = await page.evaluate(async (conv) => {
    const a = window.agents.a2;
    a.ws.send(JSON.stringify({ type: 'send', conversation_id: conv, client_id: 'x1', body: { kind: 'text', text: 'not mine' } }));
    await new Promise((r) => setTimeout(r, 300));
    return a.frames.filter((f) => f.type === 'rejected' && f.client_id === 'x1').map((f) => f.code);
  }, visitors[0].conversation_id);
  assert.equal(refused.length, 1, `refusal: ${refused}`);

  // a1 closes the first conversation: the queued visitor is connected to a1 at once.
  await page.evaluate((conv) => window.agents.a1.ws.send(JSON.stringify({ type: 'close', conversation_id: conv })), visitors[0].conversation_id);
  await page.waitForFunction(() => window.visitors[2].frames.some((f) => f.type === 'status' && f.state === 'active'));
  const active = (await statuses(2)).at(-1);
  assert.deepEqual([active.state, active.agent_name], ['active', 'Agent One']);
  assert.equal(await holder(visitors[2].conversation_id), 'a1');
  const closed = (await statuses(0)).at(-1);
  assert.equal(closed.state, 'closed');
});

test('entries: an unknown entry is a typed error; a designated agent gets the conversation', async () => {
  const unknown = await post('/api/v1/sites/rt/sessions', { entry: 'no-such-entry' });
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'unknown_entry']);
  const vip = await post('/api/v1/sites/rt/sessions', { entry: 'vip' });
  assert.equal(vip.status, 200);
});

test('typing, read receipts, visitor presence, leave a message, rating after close', async () => {
  await seedDemo(edge, 'rt2', { ...config, agents: config.agents.map((a) => ({ ...a, max_sessions: 5 })) });
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  await page.addScriptTag({ path: path.join(root, 'tests', 'e2e', 'ws-client.js') });
  const s = await fetch(`${edge.base}/api/v1/sites/rt2/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json());
  const offline = await fetch(`${edge.base}/api/v1/sites/rt2/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json());
  const login = await fetch(`${edge.base}/api/v1/sites/rt2/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'a1', password: 'agent-one-pass' }) }).then((r) => r.json());

  // Nobody online yet: the visitor is offered the leave-message form and leaves a message.
  const left = await page.evaluate(async (token) => {
    const c = new window.DeskClient('rt2', token);
    const frames = [];
    const original = c.ws.onmessage;
    c.ws.onmessage = (e) => { frames.push(JSON.parse(e.data)); original(e); };
    while (!c.ready) await new Promise((r) => setTimeout(r, 20));
    c.send('q1', 'anyone there?');
    while (!frames.some((f) => f.type === 'leave_message_form')) await new Promise((r) => setTimeout(r, 20));
    c.ws.send(JSON.stringify({ type: 'leave_message', fields: { name: '李雷', phone: '13800000000', message: '请回电' } }));
    await new Promise((r) => setTimeout(r, 300));
    c.stop();
    return frames.find((f) => f.type === 'leave_message_form').fields.map((f) => f.name);
  }, offline.token);
  assert.deepEqual(left, ['name', 'phone', 'message']);

  const result = await page.evaluate(async ({ token, agentToken }) => {
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const until = async (fn) => { const t = performance.now(); while (!fn()) { if (performance.now() - t > 10_000) throw new Error('timeout'); await wait(20); } };
    const agent = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/rt2/agents/ws`);
    const af = [];
    agent.onmessage = (e) => af.push(JSON.parse(e.data));
    await new Promise((r) => { agent.onopen = r; });
    agent.send(JSON.stringify({ type: 'auth', token: agentToken }));
    await until(() => af.some((f) => f.type === 'conversations'));
    agent.send(JSON.stringify({ type: 'list_left_messages' }));
    await until(() => af.some((f) => f.type === 'left_messages'));
    const leftMessages = af.find((f) => f.type === 'left_messages').items.map((i) => i.fields.message);

    const v = new window.DeskClient('rt2', token);
    const vf = [];
    const original = v.ws.onmessage;
    v.ws.onmessage = (e) => { vf.push(JSON.parse(e.data)); original(e); };
    await until(() => v.ready);
    v.send('m1', 'hello');
    await until(() => af.some((f) => f.type === 'message' && f.message.client_id === 'm1'));
    const conv = af.find((f) => f.type === 'message' && f.message.client_id === 'm1').message.conversation_id;
    // A resend of a stored client id gets the original's ack again; nothing is stored or relayed
    // twice, and the next message takes the next seq.
    const acks = (id) => vf.filter((f) => f.type === 'ack' && f.client_id === id).map((f) => f.seq);
    await until(() => acks('m1').length === 1);
    v.ws.send(JSON.stringify({ type: 'send', client_id: 'm1', body: { kind: 'text', text: 'hello' } }));
    await until(() => acks('m1').length === 2);
    v.send('m2', 'and again');
    await until(() => acks('m2').length === 1 && af.some((f) => f.type === 'message' && f.message.client_id === 'm2'));
    const resend = { m1: acks('m1'), m2: acks('m2'), relayed: af.filter((f) => f.type === 'message' && f.message.client_id === 'm1').length };
    v.ws.send(JSON.stringify({ type: 'typing', typing: true }));
    agent.send(JSON.stringify({ type: 'typing', conversation_id: conv, typing: true }));
    v.ws.send(JSON.stringify({ type: 'read', seq: 99 }));
    agent.send(JSON.stringify({ type: 'read', conversation_id: conv, seq: 1 }));
    await until(() => af.some((f) => f.type === 'typing') && vf.some((f) => f.type === 'typing') && af.some((f) => f.type === 'read') && vf.some((f) => f.type === 'read'));
    // The widget goes away and comes back: the agent sees the visitor's presence change.
    v.stop();
    await until(() => af.some((f) => f.type === 'visitor_presence' && !f.online));
    const v2 = new window.DeskClient('rt2', token);
    v2.ws.onmessage = ((orig) => (e) => { vf.push(JSON.parse(e.data)); orig(e); })(v2.ws.onmessage);
    await until(() => v2.ready && af.some((f) => f.type === 'visitor_presence' && f.online));
    const presence = af.filter((f) => f.type === 'visitor_presence').map((f) => f.online);
    v2.ws.send(JSON.stringify({ type: 'rate', score: 5 }));
    await until(() => vf.some((f) => f.type === 'error'));
    const earlyRating = vf.find((f) => f.type === 'error').code;
    agent.send(JSON.stringify({ type: 'close', conversation_id: conv }));
    await until(() => vf.some((f) => f.type === 'status' && f.state === 'closed'));
    v2.ws.send(JSON.stringify({ type: 'rate', score: 5, comment: '很好' }));
    await until(() => vf.some((f) => f.type === 'rated'));
    v2.stop();
    return {
      resend,
      leftMessages,
      agentSawTyping: af.find((f) => f.type === 'typing').from,
      visitorSawTyping: vf.find((f) => f.type === 'typing').from,
      visitorRead: af.find((f) => f.type === 'read').seq,
      agentRead: vf.find((f) => f.type === 'read').seq,
      earlyRating,
      rated: vf.find((f) => f.type === 'rated').score,
      presence,
    };
  }, { token: s.token, agentToken: login.token });
  assert.deepEqual(result.resend, { m1: [result.resend.m1[0], result.resend.m1[0]], m2: [result.resend.m1[0] + 1], relayed: 1 });
  assert.deepEqual(result.leftMessages, ['请回电']);
  assert.equal(result.agentSawTyping, 'visitor');
  assert.equal(result.visitorSawTyping, 'agent');
  assert.ok(result.visitorRead >= 1 && result.visitorRead < 99, `read receipts are bounded by the last seq (${result.visitorRead})`);
  assert.equal(result.agentRead, 1);
  assert.equal(result.earlyRating, 'bad_request');
  assert.equal(result.rated, 5);
  assert.deepEqual(result.presence, [false, true]);
});
