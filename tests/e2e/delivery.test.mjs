// Who gets which frame for one message, over the public socket protocol: a visitor's text is
// acknowledged to the socket that wrote it (with the time it was stored) and reaches the visitor's
// other tabs and the agent once each; the tab that wrote it does not get it a second time. An
// agent's answer reaches every tab of the visitor, and the agent's other tabs, likewise not the
// agent's tab that wrote it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { frameSocket, seedDemo, startEdge, until } from './harness.mjs';

const SITE = 'delivery';
const AGENT = { id: 'amy', name: 'Amy', password: 'amy-password-1', max_sessions: 5 };
let edge;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, SITE, {
    name: '投递测试', greeting: '', agents: [AGENT],
    groups: [{ id: 'all', name: '全部', agents: ['amy'], strategy: 'load', accept: 'auto' }],
    routing: { fallback_group: 'all' },
  });
});

after(async () => {
  await edge?.stop();
});

const socket = (p, first) => frameSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/${p}`, first);
const messages = (ws, clientId) => ws.frames.filter((f) => f.type === 'message' && f.message.client_id === clientId);

async function agentToken() {
  const res = await fetch(`${edge.base}/api/v1/sites/${SITE}/agents/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'amy', password: AGENT.password }),
  });
  return (await res.json()).token;
}

test('a visitor text is acked to the tab that wrote it, shown in the other tab and to the agent once each', async () => {
  const amy = await socket('agents/ws', { type: 'auth', token: await agentToken() });

  // One visitor, two tabs: the first opens the session, the second signs in with its token.
  const tab1 = await socket('ws', { type: 'open', session: {} });
  const { token, conversation_id: conversation } = tab1.frames.find((f) => f.type === 'session').session;
  const tab2 = await socket('ws', { type: 'auth', token, last_seq: 0 });

  const before = Date.now();
  tab1.send(JSON.stringify({ type: 'send', client_id: 'v-1', body: { kind: 'text', text: '有货吗？' } }));
  await until(() => messages(amy, 'v-1').length === 1 && messages(tab2, 'v-1').length === 1, 'the text at the agent and in the other tab');
  await until(() => tab1.frames.some((f) => f.type === 'ack' && f.client_id === 'v-1'), 'the ack');
  const ack = tab1.frames.find((f) => f.type === 'ack');
  const stored = messages(amy, 'v-1')[0].message;
  assert.equal(ack.seq, stored.seq);
  assert.equal(ack.conversation_id, conversation);
  assert.equal(ack.at_ms, stored.at_ms, 'the ack carries the time the others show');
  assert.ok(Math.abs(ack.at_ms - before) < 60_000, `a real time (${ack.at_ms})`);

  // The agent answers; then the writing tab has still not been sent its own text.
  amy.send(JSON.stringify({ type: 'send', conversation_id: conversation, client_id: 'a-1', body: { kind: 'text', text: '有的' } }));
  await until(() => messages(tab1, 'a-1').length === 1 && messages(tab2, 'a-1').length === 1, 'the answer in both tabs');
  assert.deepEqual(messages(tab1, 'v-1'), [], 'the writing tab got the ack only');
  assert.equal(messages(tab2, 'v-1').length, 1);
  assert.equal(messages(amy, 'v-1').length, 1);

  // A tab that comes later (or reconnects) gets the text in its replay, as stored.
  const tab3 = await socket('ws', { type: 'auth', token, last_seq: 0 });
  await until(() => messages(tab3, 'a-1').length === 1, 'the replay');
  assert.deepEqual(messages(tab3, 'v-1').map((f) => [f.message.seq, f.message.body.text]), [[ack.seq, '有货吗？']]);
  [amy, tab1, tab2, tab3].forEach((ws) => ws.close());
});

test("an agent's text is acked to the tab that wrote it and shown in the agent's other tab and to the visitor", async () => {
  const token = await agentToken();
  const desk1 = await socket('agents/ws', { type: 'auth', token });
  const desk2 = await socket('agents/ws', { type: 'auth', token });
  const visitor = await socket('ws', { type: 'open', session: {} });
  const conversation = visitor.frames.find((f) => f.type === 'session').session.conversation_id;
  visitor.send(JSON.stringify({ type: 'send', client_id: 'v-2', body: { kind: 'text', text: '在吗？' } }));
  await until(() => messages(desk1, 'v-2').length === 1 && messages(desk2, 'v-2').length === 1, 'the question in both agent tabs');

  desk1.send(JSON.stringify({ type: 'send', conversation_id: conversation, client_id: 'a-2', body: { kind: 'text', text: '在的' } }));
  await until(() => messages(visitor, 'a-2').length === 1 && messages(desk2, 'a-2').length === 1, 'the answer at the visitor and in the other agent tab');
  await until(() => desk1.frames.some((f) => f.type === 'ack' && f.client_id === 'a-2'), 'the ack');
  const ack = desk1.frames.find((f) => f.type === 'ack' && f.client_id === 'a-2');
  const stored = messages(visitor, 'a-2')[0].message;
  assert.deepEqual([ack.seq, ack.at_ms], [stored.seq, stored.at_ms], 'the ack carries what was stored');
  // A later frame to the writing tab shows nothing was queued behind the ack: a second question.
  visitor.send(JSON.stringify({ type: 'send', client_id: 'v-3', body: { kind: 'text', text: '好的' } }));
  await until(() => messages(desk1, 'v-3').length === 1, 'the next question in the writing tab');
  assert.deepEqual(messages(desk1, 'a-2'), [], "the agent's writing tab got the ack only");
  assert.equal(messages(desk2, 'a-2').length, 1);
  [desk1, desk2, visitor].forEach((ws) => ws.close());
});
