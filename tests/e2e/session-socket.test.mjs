// A visitor's session opened in the socket's first frame (`open`), through the real Worker: the
// answer is the session `POST sessions` gives, then the socket is signed in; a refusal says why and
// closes for good; the address's session limit counts these opens too; and the widget opens its
// chat with this one connection, no HTTP call before it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { launchBrowser, seedDemo, startEdge, widget } from './harness.mjs';
import { agentSocket } from './agent-socket.mjs';

const SITE = 'wopen';
const agents = [{ id: 'amy', name: 'Amy 小美', password: 'amy-password-1', max_sessions: 50 }];
const CONFIG = {
  name: '测试商城',
  greeting: '欢迎光临测试商城',
  agents,
  groups: [{ id: 'presale', name: '售前', agents: ['amy'], strategy: 'load', accept: 'auto' }],
  routing: { fallback_group: 'presale', entries: [{ id: 'vip', group: 'presale' }] },
};

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, SITE, { ...CONFIG, allowed_origins: [edge.base, 'https://shop.example'] });
  const identity = { keys: [crypto.randomBytes(32).toString('base64')], verification_fields: ['full_name', 'phone'], accept_v2: true, require_identity: true };
  await seedDemo(edge, 'wopen-members', { ...CONFIG, allowed_origins: [edge.base], identity });
  await seedDemo(edge, 'wopen-limit', { ...CONFIG, rate_limits: { sessions_per_ip: 3 } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

/**
 * Opens a visitor socket and sends `first`; resolves with the socket once it is `ready` or closed.
 * Every frame is kept in `ws.frames`, the close in `ws.closed` ({ code, reason }).
 */
function visitor(site, first, origin) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${site}/ws`, origin ? { origin } : {});
    ws.frames = [];
    const timer = setTimeout(() => reject(new Error(`no ready nor close in 10 s; got ${JSON.stringify(ws.frames)}`)), 10_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify(first)));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      ws.frames.push(f);
      if (f.type === 'ready') { clearTimeout(timer); resolve(ws); }
    });
    ws.on('close', (code, reason) => { ws.closed = { code, reason: String(reason) }; clearTimeout(timer); resolve(ws); });
  });
}

/** Resolves once `check()` holds (polled), or fails after 5 s. */
async function until(check) {
  for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > 5_000) throw new Error(`not within 5 s: ${check}`);
  }
}

const types = (ws) => ws.frames.map((f) => f.type);

test('an open frame answers with the session, then ready; the visitor writes, the agent reads; its token signs in and resumes later', async () => {
  const amy = await agentSocket(browser, edge, SITE, 'amy', 'amy-password-1');
  const ws = await visitor(SITE, { type: 'open', session: { page_url: 'https://shop.example/p/42', page_title: '蓝牙耳机', locale: 'zh-CN' } });
  assert.deepEqual(types(ws).slice(0, 2), ['session', 'ready']);
  const { session } = ws.frames[0];
  assert.match(session.token, /^v_/);
  assert.equal(session.verified, false);
  assert.equal(session.config.greeting, '欢迎光临测试商城');
  assert.equal(ws.frames[1].principal, session.visitor_id);
  ws.send(JSON.stringify({ type: 'send', client_id: 'o-1', body: { kind: 'text', text: '这款有货吗' } }));
  await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '这款有货吗');
  ws.close(1000);

  // The token works as one from POST sessions: `auth` replays the conversation.
  const again = await visitor(SITE, { type: 'auth', token: session.token, last_seq: 0 });
  await until(() => again.frames.some((f) => f.type === 'message'));
  const replayed = again.frames.filter((f) => f.type === 'message').map((f) => f.message.body.text);
  assert.ok(replayed.includes('这款有货吗'), `replayed: ${replayed}`);
  again.close(1000);
  // And a later page's `open` with it as the resume token is the same visitor, same conversation.
  const resumed = await visitor(SITE, { type: 'open', session: { resume_token: session.token } });
  assert.equal(resumed.frames[0].type, 'session');
  assert.deepEqual([resumed.frames[0].session.visitor_id, resumed.frames[0].session.conversation_id], [session.visitor_id, session.conversation_id]);
  // A second `open` on a signed-in socket is refused; the socket goes on.
  resumed.send(JSON.stringify({ type: 'open', session: {} }));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(resumed.frames.filter((f) => f.type === 'error').map((f) => f.code), ['bad_request']);
  assert.equal(resumed.closed, undefined);
  resumed.close(1000);
  await amy.close();
});

test('a refused open says why and closes for good: identity required, a page the site does not allow, an unknown entry', async () => {
  const cases = [
    ['wopen-members', { type: 'open', session: {} }, undefined, 'identity_required'],
    // Our own widget page (the socket's origin is the edge) embedded by a shop the site does not list.
    [SITE, { type: 'open', session: { host_origin: 'https://evil.example' } }, edge.base, 'origin_not_allowed'],
    [SITE, { type: 'open', session: { entry: 'no-such-entry' } }, undefined, 'unknown_entry'],
  ];
  for (const [site, first, origin, code] of cases) {
    const ws = await visitor(site, first, origin);
    assert.deepEqual(ws.frames.map((f) => [f.type, f.code]), [['error', code]], `${code}: frames`);
    assert.deepEqual(ws.closed, { code: 4403, reason: code }, `${code}: close`);
  }
  // The allowed shop's page opens.
  const ok = await visitor(SITE, { type: 'open', session: { host_origin: 'https://shop.example' } }, edge.base);
  assert.deepEqual(types(ok).slice(0, 2), ['session', 'ready']);
  ok.close(1000);
});

test('opens over sockets count against the address\'s session limit, as POST sessions does', async () => {
  const outcomes = [];
  for (let i = 0; i < 5; i += 1) {
    const ws = await visitor('wopen-limit', { type: 'open', session: {} });
    outcomes.push(ws.frames[0].type === 'session' ? 'session' : ws.frames[0].code);
    ws.close(1000);
  }
  assert.deepEqual(outcomes, ['session', 'session', 'session', 'rate_limited', 'rate_limited']);
  // The HTTP door shares the same bucket.
  const res = await fetch(`${edge.base}/api/v1/sites/wopen-limit/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 429);
});

test('the widget opens its chat over one connection: the socket, no POST sessions before it', async () => {
  const amy = await agentSocket(browser, edge, SITE, 'amy', 'amy-password-1');
  const context = await browser.newContext();
  const page = await context.newPage();
  const calls = [];
  context.on('request', (r) => { if (r.url().includes('/api/v1/')) calls.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  page.on('websocket', (ws) => calls.push(`WS ${new URL(ws.url()).pathname}`));
  const name = `shop-${crypto.randomBytes(4).toString('hex')}.html`;
  await page.route(`${edge.base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html lang="zh-CN"><head><meta charset="utf-8"><title>测试商城</title></head><body>
    <script src="${edge.base}/w.js" data-site="${SITE}" data-locale="zh-CN" async></script></body></html>` }));
  await page.goto(`${edge.base}/t/${name}`);
  const w = widget(page);
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-greeting').waitFor();
  await w.getByTestId('cw-input').fill('你好');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=sent]', { hasText: '你好' }).waitFor();
  await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '你好');
  assert.deepEqual(calls.filter((c) => c.includes('/sessions')), [], `API calls: ${calls.join(', ')}`);
  assert.ok(calls.includes(`WS /api/v1/sites/${SITE}/ws`), `API calls: ${calls.join(', ')}`);
  // The next page of the same shopper resumes the conversation (the token was kept).
  await page.reload();
  await widget(page).getByTestId('cw-launcher').click();
  await widget(page).locator('[data-testid=cw-message][data-author=visitor]', { hasText: '你好' }).waitFor();
  await amy.close();
  await context.close();
});
