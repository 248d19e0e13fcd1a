// The agents' board under a burst: list changes close together go out as one update (at most one
// board is built every 250 ms, so a burst costs the Desk a few boards a second, not one per new
// conversation; `tests/bench/queue.mjs` measures what that saves), and a change that had to wait
// still reaches the agents when nothing else happens on the site (the Desk's alarm sends it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { frameSocket, seedDemo, startEdge, until } from './harness.mjs';

const SITE = 'board-burst';
const AGENT = { id: 'amy', name: 'Amy', password: 'amy-password-1', max_sessions: 1 };
let edge;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, SITE, {
    name: '看板测试', greeting: '', agents: [AGENT],
    groups: [{ id: 'all', name: '全部', agents: ['amy'], strategy: 'load', accept: 'auto' }],
    routing: { fallback_group: 'all' },
    rate_limits: { sessions_per_ip: 1000, logins_per_ip: 100 },
  });
});

after(async () => {
  await edge?.stop();
});

const socket = (p, first) => frameSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/${p}`, first);

test('a burst of queued conversations reaches the board, the last of them with no traffic after it', async () => {
  const res = await fetch(`${edge.base}/api/v1/sites/${SITE}/agents/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'amy', password: AGENT.password }),
  });
  const { token } = await res.json();
  const amy = await socket('agents/ws', { type: 'auth', token });
  amy.send(JSON.stringify({ type: 'board' }));
  await until(() => amy.frames.some((f) => f.type === 'board'), 'the first board');

  // Amy takes one chat; the next five wait in the queue. They all open and write at once.
  const visitors = await Promise.all(Array.from({ length: 6 }, () => socket('ws', { type: 'open', session: {} })));
  visitors.forEach((v, i) => v.send(JSON.stringify({ type: 'send', client_id: `c${i}`, body: { kind: 'text', text: `第${i}位顾客` } })));
  await until(() => visitors.every((v) => v.frames.some((f) => f.type === 'ack')), 'every message stored');
  const queued = visitors.map((v, i) => (v.frames.some((f) => f.type === 'status' && f.state === 'queued') ? `第${i}位顾客` : null)).filter(Boolean);
  assert.equal(queued.length, 5);

  // Nothing more happens on the site. The board amy asks for now is the one the Desk last pushed:
  // the queue of five has reached the agents, the updates that had to wait included.
  await new Promise((r) => setTimeout(r, 1000));
  const asked = amy.frames.length;
  amy.send(JSON.stringify({ type: 'board' }));
  await until(() => amy.frames.slice(asked).some((f) => f.type === 'board'), 'the board');
  const board = amy.frames.slice(asked).find((f) => f.type === 'board').board;
  assert.deepEqual(board.queued.map((c) => c.last.text).sort(), queued.sort());
  [amy, ...visitors].forEach((ws) => ws.close());
});
