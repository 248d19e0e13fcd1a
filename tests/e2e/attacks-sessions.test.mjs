// Attacks on the sockets and the sessions (issue 13, items 4, 5 and 6), each performed against the
// real Worker in workerd: a flood of sockets that never authenticate, a replayed `auth` on a long
// conversation, tokens used after their lifetime, after a log-out, a password change, a disabled or
// removed agent or a removed identity key, and a storage failure while a visitor reconnects.
//
// Under `wrangler dev` a client may send `CF-Connecting-IP` itself (Cloudflare sets it in
// production); the flood uses that to play attackers at other addresses than the real visitor.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { launchBrowser, seedDemo, startEdge, tempDir, widget } from './harness.mjs';

const AGENTS = [
  { id: 'amy', name: 'Amy 小美', password: 'amy-password-1', max_sessions: 5 },
  { id: 'bob', name: 'Bob 小博', password: 'bob-password-1', max_sessions: 5 },
];
const KEY_A = crypto.randomBytes(32).toString('base64');
const KEY_B = crypto.randomBytes(32).toString('base64');
const PERSON = { full_name: '张三', phone: '15912345678' };

function site(extra = {}) {
  return {
    name: '攻击测试',
    greeting: '',
    agents: AGENTS,
    groups: [{ id: 'presale', name: '售前', agents: ['amy', 'bob'], strategy: 'load', accept: 'auto' }],
    routing: { fallback_group: 'presale' },
    ...extra,
    rate_limits: { logins_per_ip: 100, ...extra.rate_limits },
  };
}

const SITES = {
  flood: site({ rate_limits: { sockets_per_ip: 100 } }),
  replay: site({ rate_limits: { messages_per_visitor: 1000, sockets_per_visitor: 3 } }),
  ttl: site({ sessions: { visitor_ttl_secs: 3, agent_idle_secs: 3 } }),
  revoke: site(),
  keys: site({
    allowed_origins: ['https://shop.example'],
    identity: { keys: [KEY_A], verification_fields: ['full_name', 'phone'], accept_ecb: false, accept_v2: true },
  }),
  store: site(),
};

let edge;
let browser;
const stateDir = tempDir('cw-attacks-sessions-');

before(async () => {
  edge = await startEdge({ stateDir });
  for (const [id, config] of Object.entries(SITES)) await seedDemo(edge, id, config);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

const url = (siteId, p) => `${edge.base}/api/v1/sites/${siteId}${p}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(siteId, p, body, headers = {}) {
  const res = await fetch(url(siteId, p), {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function putConfig(siteId, config) {
  const res = await fetch(url(siteId, '/config'), {
    method: 'PUT',
    headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  assert.equal(res.status, 200, `config of ${siteId}: ${await res.text()}`);
}

async function session(siteId, body = {}) {
  const res = await post(siteId, '/sessions', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function login(siteId, agent, password) {
  const res = await post(siteId, '/agents/login', { agent, password });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.token;
}

/**
 * Opens a socket. Resolves with `{ ws }` once open, or `{ status, code }` when the upgrade was
 * refused. `ws.frames` collects the JSON frames, `ws.closed` resolves with the close code.
 */
function connect(siteId, p, headers = {}) {
  return new Promise((resolve) => {
    const requestedAt = Date.now();
    const ws = new WebSocket(url(siteId, p).replace('http', 'ws'), { headers });
    ws.requestedAt = requestedAt;
    ws.frames = [];
    ws.closeCode = null;
    ws.closed = new Promise((r) => ws.on('close', (code) => { ws.closeCode = code; r(code); }));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === 'pong') return;
      const f = JSON.parse(text);
      if (f.type === 'error') ws.errorAt = Date.now();
      ws.frames.push(f);
    });
    ws.on('open', () => {
      ws.openedAt = Date.now();
      resolve({ ws });
    });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        req.destroy();
        let code = '';
        try { code = JSON.parse(body).error.code; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, code });
      });
    });
    ws.on('error', (err) => resolve({ status: 0, code: err.message }));
  });
}

/** The first frame matching `pred` (looking at every frame so far), or null after `ms`. */
function frameOf(ws, pred, ms = 5_000) {
  return new Promise((resolve) => {
    const found = ws.frames.find(pred);
    if (found) return resolve(found);
    const timer = setTimeout(() => { ws.off('message', check); resolve(null); }, ms);
    function check() {
      const f = ws.frames.find(pred);
      if (f) { clearTimeout(timer); ws.off('message', check); resolve(f); }
    }
    ws.on('message', check);
  });
}

/**
 * Sends an `auth` frame and waits for the outcome: `{ ready: true, ws }` or
 * `{ ready: false, code, error }` (close code, error frame's code).
 */
async function auth(siteId, p, frame) {
  const { ws, status, code } = await connect(siteId, p);
  if (!ws) return { ready: false, code: status, error: code };
  ws.send(JSON.stringify(frame));
  const outcome = await Promise.race([
    frameOf(ws, (f) => f.type === 'ready', 10_000).then((f) => (f ? 'ready' : 'timeout')),
    ws.closed.then(() => 'closed'),
  ]);
  if (outcome === 'ready') return { ready: true, ws };
  if (outcome === 'timeout') ws.terminate();
  await ws.closed;
  const error = ws.frames.find((f) => f.type === 'error')?.code ?? null;
  return { ready: false, code: ws.closeCode, error };
}

const visitorAuth = (siteId, token, lastSeq = 0) => auth(siteId, '/ws', { type: 'auth', token, last_seq: lastSeq });
const agentAuth = (siteId, token) => auth(siteId, '/agents/ws', { type: 'auth', token });

/** Authenticates, then closes: whether the token is still good, as the Desk says. */
async function tokenWorks(siteId, p, token) {
  const out = p === 'visitor' ? await visitorAuth(siteId, token) : await agentAuth(siteId, token);
  if (out.ready) {
    out.ws.close(1000);
    await out.ws.closed;
    return 'ready';
  }
  return `refused ${out.code} ${out.error}`;
}

/** How a live socket ended (or 'open' if it is still open after `ms`). */
async function endOf(ws, ms = 5_000) {
  const code = await Promise.race([ws.closed, sleep(ms).then(() => 'open')]);
  if (code === 'open') return 'open';
  return `${code} ${ws.frames.find((f) => f.type === 'error')?.code ?? '-'}`;
}

function hostPage(siteId) {
  const name = `shop-${crypto.randomBytes(4).toString('hex')}.html`;
  return {
    name,
    html: `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>攻击测试</title></head><body>
      <script src="${edge.base}/w.js" data-site="${siteId}" data-locale="zh-CN" async></script></body></html>`,
  };
}

/** A page with the widget of `siteId`, served from the edge's origin; `token` is stored first. */
async function widgetPage(siteId, token) {
  const page = await (await browser.newContext()).newPage();
  const { name, html } = hostPage(siteId);
  await page.route(`${edge.base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  if (token) {
    await page.goto(`${edge.base}/api/v1/health`);
    await page.evaluate(({ key, token }) => localStorage.setItem(key, token), { key: `cw:${siteId}:token`, token });
  }
  await page.goto(`${edge.base}/t/${name}`, { waitUntil: 'domcontentloaded' });
  const w = widget(page);
  await w.getByTestId('cw-launcher').click();
  return { page, w };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Amy's agent socket and a new visitor's socket on `site`, both signed in. */
async function signedInPair(site) {
  const agent = await agentAuth(site, await login(site, 'amy', 'amy-password-1'));
  assert.ok(agent.ready);
  const visitorSession = await session(site);
  const visitor = await visitorAuth(site, visitorSession.token);
  assert.ok(visitor.ready);
  return { agent, visitorSession, visitor };
}

// ---------------------------------------------------------------------------------------------
// Item 4: sockets that never authenticate, too many sockets, and the work one `auth` can cause.

test('4: 2,000 sockets that never authenticate: a real visitor still chats, the idle ones are refused past the per-address cap and closed after 10 s', async () => {
  const { agent, visitorSession, visitor } = await signedInPair('flood');
  let n = 0;
  const roundTrip = async (ws) => {
    const clientId = `rt-${n += 1}`;
    const t0 = performance.now();
    ws.send(JSON.stringify({ type: 'send', client_id: clientId, body: { kind: 'text', text: `在吗 ${n}` } }));
    assert.ok(await frameOf(ws, (f) => f.type === 'ack' && f.client_id === clientId), `ack of ${clientId}`);
    assert.ok(await frameOf(agent.ws, (f) => f.type === 'message' && f.message.client_id === clientId), `agent got ${clientId}`);
    return performance.now() - t0;
  };
  const quiet = [];
  for (let i = 0; i < 5; i += 1) quiet.push(await roundTrip(visitor.ws));

  // The flood: 2,000 sockets from 20 addresses, 100 each (the site's cap per address), 50 upgrades
  // at a time; none ever authenticates. Right after each address's 100, 5 more are tried.
  const FLOOD = 2_000;
  const ADDRESSES = 20;
  const PER_ADDRESS = SITES.flood.rate_limits.sockets_per_ip;
  const idle = [];
  const refused = {};
  const t0 = Date.now();
  for (let a = 0; a < ADDRESSES; a += 1) {
    const headers = { 'cf-connecting-ip': `203.0.113.${a + 1}` };
    let next = 0;
    const opener = async () => {
      while (next < PER_ADDRESS) {
        next += 1;
        const r = await connect('flood', '/ws', headers);
        if (!r.ws) throw new Error(`upgrade ${next} from ${headers['cf-connecting-ip']} refused: ${r.status} ${r.code}`);
        idle.push(r.ws);
      }
    };
    await Promise.all(Array.from({ length: 50 }, opener));
    for (let i = 0; i < 5; i += 1) {
      const r = await connect('flood', '/ws', headers);
      const key = r.ws ? 'accepted' : `${r.status} ${r.code}`;
      refused[key] = (refused[key] ?? 0) + 1;
      if (r.ws) idle.push(r.ws);
    }
  }
  const floodMs = Date.now() - t0;
  const closedDuringFlood = idle.filter((ws) => ws.closeCode !== null).length;

  // A real visitor arriving now, and the one already chatting, both chat normally.
  const late = await visitorAuth('flood', (await session('flood')).token);
  assert.ok(late.ready, `a new visitor connects during the flood (${late.code} ${late.error})`);
  const underFlood = [];
  for (let i = 0; i < 3; i += 1) underFlood.push(await roundTrip(visitor.ws));
  for (let i = 0; i < 2; i += 1) underFlood.push(await roundTrip(late.ws));

  // After the auth deadline every idle socket is told why and closed, while the real visitor keeps
  // chatting.
  const lastOpened = Math.max(...idle.map((ws) => ws.openedAt));
  const closing = (ws) => ws.readyState >= 2;
  while (Date.now() < lastOpened + 10_000 + 6_000 && !idle.every(closing)) {
    underFlood.push(await roundTrip(visitor.ws));
    await sleep(500);
  }
  const told = idle.filter((ws) => closing(ws) && ws.frames.some((f) => f.type === 'error' && f.code === 'auth_timeout'));
  // From the upgrade request: the Desk accepted the socket after that.
  const after = told.map((ws) => (ws.errorAt - ws.requestedAt) / 1000);
  const realSockets = [visitor.ws, late.ws, agent.ws].map((ws) => ws.readyState);
  await roundTrip(late.ws);
  for (const ws of [visitor.ws, late.ws, agent.ws]) ws.close(1000);
  // Under wrangler dev the connection of a socket the Durable Object closed ends when the object
  // hibernates (~10 s after its last event), so the close codes arrive then.
  while (Date.now() < lastOpened + 10_000 + 30_000 && idle.some((ws) => ws.closeCode === null)) await sleep(250);
  const closes = {};
  for (const ws of idle) {
    const key = ws.closeCode === null ? 'still open' : String(ws.closeCode);
    closes[key] = (closes[key] ?? 0) + 1;
  }
  console.log(`flood: ${idle.length} idle sockets from ${ADDRESSES} addresses in ${floodMs} ms (${closedDuringFlood} already closed at its end), `
    + `5 more per address: ${JSON.stringify(refused)}; ${told.length} told auth_timeout ${Math.min(...after).toFixed(1)}-${Math.max(...after).toFixed(1)} s `
    + `after their upgrade; idle sockets by close code ${JSON.stringify(closes)}; `
    + `visitor round trip quiet ${median(quiet).toFixed(0)} ms, under the flood ${median(underFlood).toFixed(0)} ms`);

  assert.deepEqual(
    { idle: idle.length, overCap: refused, told: told.length, closes },
    { idle: FLOOD, overCap: { '429 too_many_sockets': ADDRESSES * 5 }, told: FLOOD, closes: { 4408: FLOOD } },
    'every idle socket is told auth_timeout and closed with 4408; past the cap an address is refused',
  );
  assert.ok(after.every((s) => s >= 10 && s < 20), 'closed 10 s after the upgrade, not before');
  // The real visitors and the agent were never touched.
  assert.deepEqual(realSockets, [1, 1, 1]);
});

test('4: one visitor token cannot hold more sockets than the site allows', async () => {
  const { token } = await session('replay');
  const outcomes = [];
  const open = [];
  for (let i = 0; i < 5; i += 1) {
    const out = await visitorAuth('replay', token);
    outcomes.push(out.ready ? 'ready' : `${out.code} ${out.error}`);
    if (out.ready) open.push(out.ws);
  }
  assert.deepEqual(outcomes, ['ready', 'ready', 'ready', '4429 too_many_sockets', '4429 too_many_sockets']);
  // A socket that closes frees its place.
  open[0].close(1000);
  await open[0].closed;
  assert.equal(await tokenWorks('replay', 'visitor', token), 'ready');
  for (const ws of open) ws.close(1000);
});

test('4: a replayed auth with last_seq 0 on a long conversation sends the newest page, older pages on request, and the widget keeps working', async () => {
  const { agent, visitorSession, visitor: writer } = await signedInPair('replay');
  const COUNT = 250;
  for (let i = 1; i <= COUNT; i += 1) {
    writer.ws.send(JSON.stringify({ type: 'send', client_id: `m-${i}`, body: { kind: 'text', text: `第 ${i} 条消息` } }));
  }
  const lastAck = await frameOf(writer.ws, (f) => f.type === 'ack' && f.client_id === `m-${COUNT}`, 30_000);
  assert.ok(lastAck, 'every message was stored');
  await sleep(300);
  const newest = Math.max(...writer.ws.frames.filter((f) => f.type === 'message' || f.type === 'ack')
    .map((f) => (f.type === 'ack' ? f.seq : f.message.seq)));
  writer.ws.close(1000);

  // The replay attack: a fresh socket says it has seen nothing.
  const replay = await visitorAuth('replay', visitorSession.token, 0);
  assert.ok(replay.ready);
  await frameOf(replay.ws, (f) => f.type === 'message' && f.message.seq === newest);
  await sleep(300);
  const replayed = replay.ws.frames.filter((f) => f.type === 'message').map((f) => f.message.seq);
  const ready = replay.ws.frames.find((f) => f.type === 'ready');
  console.log(`replay: conversation of ${newest} messages, auth with last_seq 0 got ${replayed.length} `
    + `(seq ${replayed[0]}..${replayed.at(-1)}), ready ${JSON.stringify(ready)}`);
  assert.ok(replayed.length <= 100, `at most one page of 100 messages is replayed, got ${replayed.length}`);
  const from = newest - replayed.length + 1;
  assert.deepEqual(replayed, Array.from({ length: replayed.length }, (_, i) => from + i), 'the newest messages, in order');
  assert.equal(ready.skipped_to, from - 1, 'ready says where the replay starts');
  // Older messages come a page at a time, when asked for.
  replay.ws.send(JSON.stringify({ type: 'history', before_seq: from }));
  await frameOf(replay.ws, (f) => f.type === 'message' && f.message.seq === from - 1);
  await sleep(300);
  const older = replay.ws.frames.filter((f) => f.type === 'message').map((f) => f.message.seq).slice(replayed.length);
  assert.deepEqual(older, Array.from({ length: 100 }, (_, i) => from - 100 + i), 'the page before, in order');
  replay.ws.close(1000);

  // The widget of this visitor shows the newest page and goes on: its reply is stored, the agent's
  // reply shows, and its read receipt names the newest message.
  const { page, w } = await widgetPage('replay', visitorSession.token);
  await w.locator('[data-testid=cw-message]', { hasText: `第 ${COUNT} 条消息` }).waitFor();
  const shown = await w.locator('[data-testid=cw-message]').count();
  assert.ok(shown <= 101, `the widget shows the newest page (${shown} lines)`);
  agent.ws.send(JSON.stringify({
    type: 'send', conversation_id: visitorSession.conversation_id, client_id: 'reply-1', body: { kind: 'text', text: '您好，久等了' },
  }));
  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '您好，久等了' }).waitFor();
  const read = await frameOf(agent.ws, (f) => f.type === 'read' && f.from === 'visitor' && f.seq === newest + 1, 10_000);
  assert.ok(read, `the widget's read receipt names seq ${newest + 1}; got ${JSON.stringify(agent.ws.frames.filter((f) => f.type === 'read'))}`);
  await w.getByTestId('cw-input').fill('收到');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=sent]', { hasText: '收到' }).waitFor();
  assert.ok(await frameOf(agent.ws, (f) => f.type === 'message' && f.message.body.text === '收到'));
  await page.context().close();
  agent.ws.close(1000);
});

// ---------------------------------------------------------------------------------------------
// Item 5: tokens expire, and log-out, password changes, disabled or removed agents and removed
// identity keys end the sessions they should (live sockets too).

test('5: visitor and agent tokens expire after the site\'s lifetimes unless used; a live agent socket idle past it is refused', async () => {
  // The site's lifetimes are 3 s (visitor, sliding) and 3 s of agent inactivity.
  const idleVisitor = await session('ttl');
  const busyVisitor = await session('ttl');
  const idleAgent = await login('ttl', 'amy', 'amy-password-1');
  const busyAgent = await login('ttl', 'bob', 'bob-password-1');
  const liveBusy = await agentAuth('ttl', await login('ttl', 'amy', 'amy-password-1'));
  const liveIdle = await agentAuth('ttl', await login('ttl', 'bob', 'bob-password-1'));
  assert.ok(liveBusy.ready && liveIdle.ready);
  const t0 = Date.now();
  let boards = 0;
  while (Date.now() - t0 < 4_500) {
    assert.equal(await tokenWorks('ttl', 'visitor', busyVisitor.token), 'ready');
    assert.equal(await tokenWorks('ttl', 'agent', busyAgent), 'ready');
    liveBusy.ws.send(JSON.stringify({ type: 'board' }));
    boards += 1;
    await sleep(700);
  }
  const outcome = {
    idleVisitor: await tokenWorks('ttl', 'visitor', idleVisitor.token),
    busyVisitor: await tokenWorks('ttl', 'visitor', busyVisitor.token),
    idleAgent: await tokenWorks('ttl', 'agent', idleAgent),
    busyAgent: await tokenWorks('ttl', 'agent', busyAgent),
  };
  liveIdle.ws.send(JSON.stringify({ type: 'board' }));
  liveBusy.ws.send(JSON.stringify({ type: 'board' }));
  outcome.liveIdleAgentSocket = await endOf(liveIdle.ws, 3_000);
  outcome.liveBusyAgentSocket = await endOf(liveBusy.ws, 1_000);
  const resumed = await session('ttl', { resume_token: idleVisitor.token });
  outcome.expiredResumeIsNewVisitor = resumed.visitor_id !== idleVisitor.visitor_id;
  assert.deepEqual(outcome, {
    idleVisitor: 'refused 4401 unauthorized',
    busyVisitor: 'ready',
    idleAgent: 'refused 4401 unauthorized',
    busyAgent: 'ready',
    liveIdleAgentSocket: '4401 unauthorized',
    liveBusyAgentSocket: 'open',
    expiredResumeIsNewVisitor: true,
  });
  assert.ok(boards >= 5);
  liveBusy.ws.close(1000);
});

test('5: console log-out ends the agent token on the server', async () => {
  // Through the console: the token it held no longer opens a socket.
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/console/?site=revoke`);
  await page.getByTestId('login-agent').fill('amy');
  await page.getByTestId('login-password').fill('amy-password-1');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me').waitFor();
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('console:session')).token);
  assert.equal(await tokenWorks('revoke', 'agent', token), 'ready');
  await page.getByTestId('logout').click();
  await page.getByTestId('login-submit').waitFor();
  let after = '';
  for (let i = 0; i < 20 && after !== 'refused 4401 unauthorized'; i += 1) {
    after = await tokenWorks('revoke', 'agent', token);
    if (after === 'ready') await sleep(250);
  }
  assert.equal(after, 'refused 4401 unauthorized', 'the console\'s token after log-out');
  await page.context().close();

  // Through the endpoint: a live socket of the token is closed as well.
  const bobToken = await login('revoke', 'bob', 'bob-password-1');
  const live = await agentAuth('revoke', bobToken);
  assert.ok(live.ready);
  const res = await post('revoke', '/agents/logout', { token: bobToken });
  assert.deepEqual([res.status, await endOf(live.ws), await tokenWorks('revoke', 'agent', bobToken)],
    [200, '4401 unauthorized', 'refused 4401 unauthorized']);
});

test('5: a password change, a disabled agent and a removed agent end their sessions and close their sockets', async () => {
  const amyToken = await login('revoke', 'amy', 'amy-password-1');
  const bobToken = await login('revoke', 'bob', 'bob-password-1');
  const amy = await agentAuth('revoke', amyToken);
  const bob = await agentAuth('revoke', bobToken);
  assert.ok(amy.ready && bob.ready);

  // The same passwords again change nothing.
  await putConfig('revoke', SITES.revoke);
  assert.deepEqual([await endOf(amy.ws, 500), await endOf(bob.ws, 10)], ['open', 'open']);

  // Amy's password changes: Amy's sessions end, Bob's stay.
  const changed = site({ agents: [{ ...AGENTS[0], password: 'amy-new-password' }, AGENTS[1]] });
  await putConfig('revoke', changed);
  assert.deepEqual({
    amySocket: await endOf(amy.ws),
    amyToken: await tokenWorks('revoke', 'agent', amyToken),
    bobSocket: await endOf(bob.ws, 200),
    oldPassword: (await post('revoke', '/agents/login', { agent: 'amy', password: 'amy-password-1' })).status,
  }, { amySocket: '4401 unauthorized', amyToken: 'refused 4401 unauthorized', bobSocket: 'open', oldPassword: 401 });
  const amyAgain = await agentAuth('revoke', await login('revoke', 'amy', 'amy-new-password'));
  assert.ok(amyAgain.ready);

  // Bob is disabled, then Amy is removed.
  await putConfig('revoke', site({ agents: [{ id: 'amy', name: 'Amy 小美', max_sessions: 5 }, { ...AGENTS[1], disabled: true }] }));
  assert.deepEqual({
    bobSocket: await endOf(bob.ws),
    bobToken: await tokenWorks('revoke', 'agent', bobToken),
    bobLogin: (await post('revoke', '/agents/login', { agent: 'bob', password: 'bob-password-1' })).status,
    amySocket: await endOf(amyAgain.ws, 200),
  }, { bobSocket: '4401 unauthorized', bobToken: 'refused 4401 unauthorized', bobLogin: 401, amySocket: 'open' });
  await putConfig('revoke', site({ agents: [{ ...AGENTS[1], disabled: true }], groups: [{ id: 'presale', agents: ['bob'] }] }));
  assert.equal(await endOf(amyAgain.ws), '4401 unauthorized', 'a removed agent\'s socket');
  await putConfig('revoke', SITES.revoke);
});

test('5: removing an identity key ends the verified visitors\' sessions (guests stay)', async () => {
  const now = Math.floor(Date.now() / 1000);
  const v2 = (keyB64) => {
    const nonce = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64'), nonce);
    const payload = JSON.stringify({ ...PERSON, exp: now + 600, aud: 'keys' });
    return `v2.${Buffer.concat([nonce, c.update(payload, 'utf8'), c.final(), c.getAuthTag()]).toString('base64url')}`;
  };
  const verified = await session('keys', { identity: v2(KEY_A) });
  assert.equal(verified.verified, true);
  const guest = await session('keys');
  const verifiedWs = await visitorAuth('keys', verified.token);
  const guestWs = await visitorAuth('keys', guest.token);
  assert.ok(verifiedWs.ready && guestWs.ready);

  // A rotation starts: a second key is added, nothing ends.
  await putConfig('keys', { ...SITES.keys, identity: { ...SITES.keys.identity, keys: [KEY_A, KEY_B] } });
  assert.equal(await endOf(verifiedWs.ws, 500), 'open');
  // The old key is removed: sessions verified under it end.
  await putConfig('keys', { ...SITES.keys, identity: { ...SITES.keys.identity, keys: [KEY_B] } });
  assert.deepEqual({
    verifiedSocket: await endOf(verifiedWs.ws),
    verifiedToken: await tokenWorks('keys', 'visitor', verified.token),
    guestSocket: await endOf(guestWs.ws, 200),
    guestToken: await tokenWorks('keys', 'visitor', guest.token),
  }, { verifiedSocket: '4401 unauthorized', verifiedToken: 'refused 4401 unauthorized', guestSocket: 'open', guestToken: 'ready' });
  // Signing in again with the new key finds the same visitor.
  const again = await session('keys', { identity: v2(KEY_B) });
  assert.equal(again.visitor_id, verified.visitor_id);
  guestWs.ws.close(1000);
});

// ---------------------------------------------------------------------------------------------
// Item 6: a storage failure while a visitor reconnects is an internal error, never a log-out.

/** The Desk's SQLite file holding this visitor token (the state dir is only read while workerd is down). */
function deskDatabaseOf(token) {
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.sqlite')) files.push(p);
    }
  };
  walk(stateDir);
  return files.find((f) => {
    try {
      return execFileSync('sqlite3', [f, `SELECT count(*) FROM visitor_sessions WHERE token_hash = '${hash}'`]).toString().trim() === '1';
    } catch { return false; }
  });
}

/** Stops workerd, runs `sql` on the Desk's database, and starts it again on the same state and port. */
async function restartWith(db, sql) {
  const { port } = edge;
  await edge.stop();
  execFileSync('sqlite3', [db, sql]);
  edge = await startEdge({ stateDir, port });
}

test('6: a storage error while a visitor reconnects is reported as internal and retried; the widget keeps its session', async () => {
  const { page, w } = await widgetPage('store');
  await w.getByTestId('cw-input').fill('存储故障之前');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '存储故障之前' }).waitFor();
  const token = await page.evaluate(() => localStorage.getItem('cw:store:token'));
  assert.match(token, /^v_/);
  const other = await session('store');

  // The sessions table becomes unreadable (renamed under the Desk while workerd is down).
  const { port } = edge;
  await edge.stop();
  const db = deskDatabaseOf(token);
  assert.ok(db, 'found the Desk\'s database');
  execFileSync('sqlite3', [db, 'ALTER TABLE visitor_sessions RENAME TO visitor_sessions_away']);
  edge = await startEdge({ stateDir, port });
  const during = await visitorAuth('store', other.token);
  // The widget's socket reconnects by itself meanwhile (backoff up to 4 s).
  await sleep(9_000);
  const widgetToken = await page.evaluate(() => localStorage.getItem('cw:store:token'));
  console.log(`storage fault: auth answered ${JSON.stringify(during.ready ? 'ready' : { code: during.code, error: during.error })}, `
    + `widget token kept: ${widgetToken === token}`);
  assert.deepEqual({ close: during.code, error: during.error, widgetKeptToken: widgetToken === token },
    { close: 4500, error: 'internal', widgetKeptToken: true });

  // Storage is back: the same visitor, the same conversation.
  await restartWith(db, 'ALTER TABLE visitor_sessions_away RENAME TO visitor_sessions');
  assert.equal(await tokenWorks('store', 'visitor', other.token), 'ready');
  await w.getByTestId('cw-input').fill('存储恢复之后');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '存储恢复之后' }).waitFor({ timeout: 30_000 });
  assert.equal(await w.locator('[data-testid=cw-message][data-author=visitor]', { hasText: '存储故障之前' }).count(), 1);
  assert.equal(await page.evaluate(() => localStorage.getItem('cw:store:token')), token);
  await page.context().close();
});
