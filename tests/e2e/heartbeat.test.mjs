// Dead connections: a WebSocket that stops answering without closing (a phone changing networks,
// a laptop lid, a proxy idling out) is noticed by the heartbeat, and the widget and the console
// reconnect and resend. A small TCP proxy in front of the Worker "blackholes" the WebSockets open
// at that moment: nothing is forwarded either way and nothing is closed, while new connections
// pass. The pages load through the proxy; the other side (agent socket, visitor socket) talks to
// the Worker directly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { launchBrowser, root, seedDemo, startEdge, widget } from './harness.mjs';
import { agentSocket } from './agent-socket.mjs';

const WS_CLIENT = path.join(root, 'tests', 'e2e', 'ws-client.js');
/** How long a dead socket may go unnoticed once something should have revealed it. */
const NOTICE_MS = 15_000;

const AGENTS = [
  { id: 'amy', name: 'Amy 小美', password: 'amy-password-1', max_sessions: 5 },
  { id: 'ben', name: 'Ben 小本', password: 'ben-password-1', max_sessions: 5 },
];

function site(agent) {
  return {
    name: '心跳商城', greeting: '欢迎光临', agents: AGENTS,
    groups: [{ id: 'service', name: '客服', agents: [agent], strategy: 'load', accept: 'auto' }],
    routing: { fallback_group: 'service' },
  };
}

/**
 * A TCP proxy to the Worker. `blackhole()` freezes every WebSocket connection open at that
 * moment: bytes either way are dropped and neither side is closed (a browser closing its end
 * later is not passed on either, as on a dead network). Plain HTTP connections are left alone:
 * an idle keep-alive connection the browser reuses for a later fetch would hang that fetch, which
 * is another failure than the one under test.
 */
async function startProxy(target) {
  const conns = new Set();
  let websockets = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const conn = { client, upstream, ws: false, dead: false };
    conns.add(conn);
    client.on('data', (d) => {
      if (!conn.ws && /^upgrade:\s*websocket/im.test(d.toString('latin1'))) {
        conn.ws = true;
        websockets += 1;
      }
      if (!conn.dead) upstream.write(d);
    });
    upstream.on('data', (d) => { if (!conn.dead) client.write(d); });
    const end = () => {
      if (conn.dead) return;
      conns.delete(conn);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', end);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    /** WebSocket connections seen so far. */
    websockets: () => websockets,
    /** Freezes the WebSockets open now; returns how many. */
    blackhole() {
      const open = [...conns].filter((c) => c.ws && !c.dead);
      for (const c of open) c.dead = true;
      return open.length;
    },
    close() {
      for (const c of conns) {
        c.client.destroy();
        c.upstream.destroy();
      }
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

let edge;
let proxy;
let browser;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, 'hbw', site('amy'));
  await seedDemo(edge, 'hbc', site('ben'));
  proxy = await startProxy(edge.port);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await edge?.stop();
});

/** A shop page served on the proxy's origin, so the widget iframe and its socket go through it. */
async function shop(siteId) {
  const page = await (await browser.newContext()).newPage();
  await page.route(`${proxy.base}/t/shop.html`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html lang="zh-CN"><head><meta charset="utf-8"><title>心跳商城</title></head><body><h1>心跳商城</h1>
    <script src="${proxy.base}/w.js" data-site="${siteId}" data-locale="zh-CN" async></script></body></html>` }));
  await page.goto(`${proxy.base}/t/shop.html`);
  const frame = () => page.frames().find((f) => f.url().includes('/widget/'));
  return { page, w: widget(page), frame };
}

const visitorLine = (w, text, status) => w.locator(`[data-testid=cw-message][data-author=visitor][data-status=${status}]`, { hasText: text });

test('widget: a message sent into a dead socket is delivered once after the online event; a missed agent reply shows after becoming visible', async () => {
  const amy = await agentSocket(browser, edge, 'hbw', 'amy', 'amy-password-1');
  const { page, w, frame } = await shop('hbw');
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-greeting').waitFor();
  await w.getByTestId('cw-input').fill('在吗？');
  await w.getByTestId('cw-input').press('Enter');
  await visitorLine(w, '在吗？', 'sent').waitFor();
  const first = await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '在吗？');
  const conversation = first.message.conversation_id;

  // The network goes silent: the socket still looks open, so the line waits as "sending".
  assert.equal(proxy.blackhole(), 1);
  await w.getByTestId('cw-input').fill('断网时发的');
  await w.getByTestId('cw-input').press('Enter');
  await visitorLine(w, '断网时发的', 'sending').waitFor();
  // The browser says it is back online: the widget checks at once, finds the socket dead,
  // reconnects and resends.
  await frame().evaluate(() => window.dispatchEvent(new Event('online')));
  await visitorLine(w, '断网时发的', 'sent').waitFor({ timeout: NOTICE_MS });
  await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '断网时发的');
  assert.equal((await amy.messages()).filter((m) => m.body.text === '断网时发的').length, 1, 'relayed once');

  // Silent again while the agent answers; the page becomes visible and the widget catches up.
  assert.equal(proxy.blackhole(), 1);
  await amy.send({ type: 'send', conversation_id: conversation, client_id: 'hb-reply-1', body: { kind: 'text', text: '我在，请讲' } });
  await amy.waitFor((f) => f.type === 'ack' && f.client_id === 'hb-reply-1');
  await frame().evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '我在，请讲' }).waitFor({ timeout: NOTICE_MS });
  assert.equal(await w.locator('[data-testid=cw-message]', { hasText: '断网时发的' }).count(), 1);
  await Promise.all([amy.close(), page.context().close()]);
});

test('console: a reply sent into a dead socket reaches the visitor once, with no browser event to help', async () => {
  // The visitor is a real visitor socket straight to the Worker.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${edge.base}/api/v1/health`);
  await visitor.addScriptTag({ path: WS_CLIENT });
  const session = await visitor.evaluate(async () => {
    const s = await (await fetch('/api/v1/sites/hbc/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    window.shopper = new window.DeskClient('hbc', s.token);
    return s;
  });
  await visitor.waitForFunction(() => window.shopper.ready);

  // Ben's console loads through the proxy.
  const ben = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await ben.goto(`${proxy.base}/console/?site=hbc`);
  await ben.getByTestId('login-agent').fill('ben');
  await ben.getByTestId('login-password').fill('ben-password-1');
  await ben.getByTestId('login-submit').click();
  await ben.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  await visitor.evaluate(() => window.shopper.send('hb-q1', '有人吗'));
  await ben.locator(`[data-testid=list-mine] [data-conversation="${session.conversation_id}"]`).click();
  await ben.locator('[data-testid=log] [data-author=visitor]', { hasText: '有人吗' }).waitFor();

  // Silence: the reply goes into a socket that looks open; only the check after a send can
  // reveal it.
  const before = proxy.websockets();
  assert.equal(proxy.blackhole(), 1);
  await ben.getByTestId('reply-input').fill('您好，我是小本');
  await ben.getByTestId('reply-input').press('Enter');
  await visitor.waitForFunction(() => [...window.shopper.messages.values()].some((m) => m.body.text === '您好，我是小本'), null, { timeout: NOTICE_MS });
  assert.ok(proxy.websockets() > before, 'the console reconnected');
  await ben.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  const replies = await visitor.evaluate(() => [...window.shopper.messages.values()].filter((m) => m.body.text === '您好，我是小本').length);
  assert.equal(replies, 1, 'delivered once');
  assert.equal(await ben.locator('[data-testid=log] [data-author=agent]', { hasText: '您好，我是小本' }).count(), 1);
  await Promise.all([visitor.context().close(), ben.context().close()]);
});
