// The sockets' edges, through the real Worker: a client's close is answered with a close frame
// (a clean close, not 1006 after a timeout), a frame over the 64 KiB cap is refused naming its
// message, and the widget and the console stop a text over the limit before sending it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { launchBrowser, seedDemo, startEdge, widget } from './harness.mjs';
import { agentSocket } from './agent-socket.mjs';

const SITE = 'wsock';
const CONFIG = {
  name: '测试商城',
  greeting: '欢迎光临测试商城',
  agents: [{ id: 'amy', name: 'Amy 小美', password: 'amy-password-1', max_sessions: 5 }],
  groups: [{ id: 'presale', name: '售前', agents: ['amy'], strategy: 'load', accept: 'auto' }],
  routing: { fallback_group: 'presale' },
};

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, SITE, CONFIG);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

const post = async (path, body) => {
  const res = await fetch(`${edge.base}/api/v1/sites/${SITE}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(JSON.stringify(json));
  return json;
};

/** Opens a socket from Node; with `auth`, resolves once the Desk says `ready`. Frames are kept in `frames`. */
function open(path, auth) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/${path}`);
    ws.frames = [];
    ws.onerror = (e) => reject(e.error ?? new Error('socket error'));
    ws.onopen = () => (auth ? ws.send(JSON.stringify(auth)) : resolve(ws));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      ws.frames.push(f);
      if (f.type === 'ready') resolve(ws);
    };
  });
}

/** The `n`th frame matching `pred` (counting every frame the socket got), or an error listing them after `ms`. */
function frame(ws, pred, n = 1, ms = 5_000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = ws.frames.filter(pred);
      if (found.length < n) return false;
      clearTimeout(timer);
      ws.removeEventListener('message', check);
      resolve(found[n - 1]);
      return true;
    };
    const timer = setTimeout(() => {
      ws.removeEventListener('message', check);
      reject(new Error(`no such frame within ${ms} ms; got ${JSON.stringify(ws.frames).slice(0, 500)}`));
    }, ms);
    // `onmessage` was set first, so `frames` already holds the frame when this runs.
    if (!check()) ws.addEventListener('message', check);
  });
}

/** Closes from the client with 1000 and reports how the close ended (waits up to 15 s to see a timeout's 1006). */
function closeAndWatch(ws) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const timer = setTimeout(() => resolve({ code: 'none', wasClean: false, ms: Date.now() - t0 }), 15_000);
    ws.onclose = (e) => {
      clearTimeout(timer);
      resolve({ code: e.code, wasClean: e.wasClean, ms: Date.now() - t0 });
    };
    ws.close(1000, 'bye');
  });
}

test('a visitor, an agent and an unauthenticated socket closed by the client get a close frame back at once', async () => {
  const session = await post('/sessions', {});
  const login = await post('/agents/login', { agent: 'amy', password: 'amy-password-1' });
  const sockets = {
    visitor: await open('ws', { type: 'auth', token: session.token, last_seq: 0 }),
    agent: await open('agents/ws', { type: 'auth', token: login.token }),
    unauthenticated: await open('ws'),
  };
  const results = Object.fromEntries(await Promise.all(
    Object.entries(sockets).map(async ([name, ws]) => [name, await closeAndWatch(ws)]),
  ));
  const late = Object.entries(results).filter(([, r]) => !(r.code === 1000 && r.wasClean && r.ms < 2_000))
    .map(([name, r]) => `${name}: closed with ${r.code}, clean ${r.wasClean}, after ${r.ms} ms`);
  assert.deepEqual(late, []);
});

test('a send frame over the 64 KiB cap is rejected with its client id, wherever the id sits in the frame', async () => {
  const session = await post('/sessions', {});
  const ws = await open('ws', { type: 'auth', token: session.token, last_seq: 0 });
  const text = 'x'.repeat(70_000);
  ws.send(JSON.stringify({ type: 'send', client_id: 'big-1', body: { kind: 'text', text } }));
  const refusal = (f) => f.type === 'rejected' || f.type === 'error';
  const first = await frame(ws, refusal);
  assert.deepEqual([first.type, first.client_id, first.code], ['rejected', 'big-1', 'payload_too_large']);
  // The id after the 70 KB body, and a nested "client_id" key that must not be taken for it.
  ws.send(`{"type":"send","body":{"kind":"text","text":"${text}","client_id":"inner"},"client_id":"big-2"}`);
  const second = await frame(ws, refusal, 2);
  assert.deepEqual([second.type, second.client_id, second.code], ['rejected', 'big-2', 'payload_too_large']);
  // Without a readable id the refusal stays a plain error.
  ws.send(JSON.stringify({ type: 'send', body: { kind: 'text', text } }));
  const third = await frame(ws, refusal, 3);
  assert.deepEqual([third.type, third.code], ['error', 'payload_too_large']);
  ws.close(1000);
});

test('the widget keeps a text over the limit, says why and sends nothing', async () => {
  const amy = await agentSocket(browser, edge, SITE, 'amy', 'amy-password-1');
  const page = await (await browser.newContext()).newPage();
  const name = `shop-${crypto.randomBytes(4).toString('hex')}.html`;
  await page.route(`${edge.base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html lang="zh-CN"><head><meta charset="utf-8"><title>测试商城</title></head><body>
    <script src="${edge.base}/w.js" data-site="${SITE}" data-locale="zh-CN" async></script></body></html>` }));
  await page.goto(`${edge.base}/t/${name}`);
  const w = widget(page);
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-greeting').waitFor();
  const frameOf = () => page.frames().find((f) => f.url().includes('/widget/'));
  const visitorLines = w.locator('[data-testid=cw-message][data-author=visitor]');

  // 5,001 CJK characters, then 5,001 emoji (10,002 UTF-16 units): as a paste past maxlength would.
  for (const long of ['字'.repeat(5_001), '😀'.repeat(5_001)]) {
    await frameOf().evaluate((v) => { document.querySelector('[data-testid=cw-input]').value = v; }, long);
    await w.getByTestId('cw-input').press('Enter');
    await w.getByTestId('cw-notice').filter({ hasText: '5000' }).filter({ hasText: '过长' }).waitFor({ timeout: 5_000 });
    const kept = await w.getByTestId('cw-input').inputValue();
    assert.ok(kept === long, `the typed text is kept (the box holds ${[...kept].length} characters)`);
    assert.equal(await visitorLines.count(), 0, 'no line was sent');
  }

  // A short message goes through and is the only one the agent ever gets.
  await w.getByTestId('cw-input').fill('好的');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=sent]', { hasText: '好的' }).waitFor();
  await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '好的');
  assert.deepEqual((await amy.messages()).filter((m) => m.author.role === 'visitor').map((m) => m.body.text), ['好的']);
  assert.equal(await visitorLines.count(), 1);
  await amy.close();
  await page.context().close();
});

test('the console keeps a reply over the limit, says why and sends nothing', async () => {
  const session = await post('/sessions', {});
  const visitor = await open('ws', { type: 'auth', token: session.token, last_seq: 0 });
  visitor.send(JSON.stringify({ type: 'send', client_id: 'hello-1', body: { kind: 'text', text: '在吗' } }));
  await frame(visitor, (f) => f.type === 'ack' && f.client_id === 'hello-1');
  const consolePage = await (await browser.newContext()).newPage();
  await consolePage.goto(`${edge.base}/console/?site=${SITE}`);
  await consolePage.getByTestId('login-agent').fill('amy');
  await consolePage.getByTestId('login-password').fill('amy-password-1');
  await consolePage.getByTestId('login-submit').click();
  await consolePage.locator(`[data-testid=conversation][data-conversation="${session.conversation_id}"]`).click();
  await consolePage.locator('[data-testid=message][data-author=visitor]', { hasText: '在吗' }).waitFor();
  const reply = '字'.repeat(5_001);
  await consolePage.getByTestId('reply-input').evaluate((el, v) => { el.value = v; }, reply);
  await consolePage.getByTestId('reply-input').press('Enter');
  await consolePage.getByTestId('notice').filter({ hasText: '5000' }).waitFor({ timeout: 5_000 });
  const kept = await consolePage.getByTestId('reply-input').inputValue();
  assert.ok(kept === reply, `the reply is kept (the box holds ${[...kept].length} characters)`);
  assert.equal(await consolePage.locator('[data-testid=message][data-author=agent]').count(), 0, 'no reply line');
  // A short reply goes through and is the only one the visitor ever gets.
  await consolePage.getByTestId('reply-input').fill('您好');
  await consolePage.getByTestId('reply-input').press('Enter');
  await frame(visitor, (f) => f.type === 'message' && f.message.author.role === 'agent');
  const replies = visitor.frames.filter((f) => f.type === 'message' && f.message.author.role === 'agent');
  assert.deepEqual(replies.map((f) => f.message.body.text), ['您好']);
  visitor.close(1000);
  await consolePage.context().close();
});
