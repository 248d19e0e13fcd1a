// The agent console (workbench) end to end: real Worker in workerd, headless Chromium, one
// browser context for the shopper and one per agent.
//
// The shopper answers the pre-chat form and types text through the real widget. This suite was
// written while the widget had no UI for images, cards, the rating or the leave-message form, so
// for those the shopper uses a real
// visitor socket (tests/e2e/ws-client.js, opened in a second tab of the shopper's browser context) on a session from
// `POST /sessions` with the same identity token: a verified visitor shares its conversation
// across sessions, so both sockets speak for the same shopper in the same conversation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, root, seedDemo, startEdge, widget } from './harness.mjs';

const KEY = Buffer.alloc(32, 7).toString('base64');
const SHOT_DIR = path.join(root, 'tests', 'artifacts');
const WS_CLIENT = path.join(root, 'tests', 'e2e', 'ws-client.js');

const agents = [
  { id: 'alice', name: '小艾 Alice', password: 'alice-demo-pass', max_sessions: 5, admin: true },
  { id: 'bob', name: '小波 Bob', password: 'bob-demo-pass', max_sessions: 5 },
  { id: 'carol', name: '小卡 Carol', password: 'carol-demo-pass', max_sessions: 3 },
];

function site(extra = {}) {
  return {
    name: 'Console Shop',
    greeting: '您好！',
    groups: [
      { id: 'presale', name: '售前', agents: ['alice', 'bob'], strategy: 'load', accept: 'pending' },
      { id: 'aftersale', name: '售后', agents: ['carol'], strategy: 'load', accept: 'auto' },
    ],
    agents,
    // The shop pages of these tests live on the edge's own origin.
    allowed_origins: [edge.base],
    identity: { keys: [KEY], verification_fields: ['full_name', 'phone'], auto_link: true, accept_ecb: true, accept_v2: true },
    pre_chat: [{ name: 'topic', label: '咨询类型', kind: 'select', options: ['订单', '售后'], required: false }],
    routing: { fallback_group: 'presale', prompts: { welcome: '您好，很高兴为您服务！' } },
    ...extra,
  };
}

function ecb(payload) {
  const c = crypto.createCipheriv('aes-256-ecb', Buffer.from(KEY, 'base64'), null);
  return Buffer.concat([c.update(JSON.stringify(payload), 'utf8'), c.final()]).toString('hex').toUpperCase();
}

let edge;
let browser;
let png;
const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  // A real PNG to upload: Chromium paints a small "product photo".
  const painter = await browser.newPage({ viewport: { width: 160, height: 120 } });
  await painter.setContent('<body style="margin:0;background:linear-gradient(135deg,#ff9a8b,#ff6a88 55%,#ff99ac);display:grid;place-items:center;height:120px;font:bold 28px sans-serif;color:#fff">👟 SHOE</body>');
  png = await painter.screenshot({ type: 'png' });
  await painter.close();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

async function agentPage(siteId, agent, { viewport = { width: 1440, height: 900 }, locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  await page.goto(`${edge.base}/console/?site=${siteId}`);
  const a = agents.find((x) => x.id === agent);
  await page.getByTestId('login-agent').fill(a.id);
  await page.getByTestId('login-password').fill(a.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me').waitFor();
  // The lists are current (the agent's own and the site's board), not a "0" still loading.
  await page.locator('[data-testid=lists][aria-busy=false]').waitFor({ state: 'attached' });
  await page.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  return page;
}

/** A page on the edge's origin with a visitor socket (DeskClient) on a fresh session. */
async function visitorPage(siteId, request = {}, context = null) {
  // A page served by the edge itself (a WebSocket from a page Playwright fulfilled by `route`
  // does not connect in Chromium).
  const page = await (context ?? await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  await page.addScriptTag({ path: WS_CLIENT });
  const session = await page.evaluate(async ({ siteId, request }) => {
    const res = await fetch(`/api/v1/sites/${siteId}/sessions`, {
      // The host page is this one, as the loader would say.
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host_origin: location.origin, ...request }),
    });
    const s = await res.json();
    if (!res.ok) return s;
    window.frames_ = [];
    window.shopper = new window.DeskClient(siteId, s.token);
    const hook = () => window.shopper.ws.addEventListener('message', (e) => window.frames_.push(JSON.parse(e.data)));
    hook();
    return s;
  }, { siteId, request });
  assert.ok(session.token, `session refused: ${JSON.stringify(session)}`);
  await page.waitForFunction(() => window.shopper.ready);
  return { page, session };
}

/** Sends any message body on the visitor socket and waits for its ack. */
async function visitorSend(page, body) {
  const id = `t${crypto.randomBytes(6).toString('hex')}`;
  await page.evaluate(({ id, body }) => window.shopper.ws.send(JSON.stringify({ type: 'send', client_id: id, body })), { id, body });
  await page.waitForFunction((id) => window.shopper.acked.has(id), id);
}

async function visitorUpload(page, siteId, token, name, bytes) {
  return page.evaluate(async ({ siteId, token, name, bytes }) => {
    const res = await fetch(`/api/v1/sites/${siteId}/uploads?name=${encodeURIComponent(name)}`, {
      method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(bytes),
    });
    return res.json();
  }, { siteId, token, name, bytes: [...bytes] });
}

function waitFrame(page, predicate, arg) {
  return page.waitForFunction(([src, arg]) => window.frames_.some((f) => new Function('f', 'arg', `return (${src})(f, arg)`)(f, arg)), [predicate.toString(), arg]);
}

const conversation = (page, list, id) => page.locator(`[data-testid=list-${list}] [data-conversation="${id}"]`);

test('full loop: accept, text/image/file/card both ways, transfer with history, close, rating, figures', async () => {
  await seedDemo(edge, 'cons', site());
  const contacts = await fetch(`${edge.base}/api/v1/sites/cons/contacts`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contacts: [{ id: 'crm-1001', name: '张三', phone: '159-1234-5678', owner_agent: 'alice', customer_id: 'cust-88', customer_owner: 'bob' }] }),
  });
  assert.equal(contacts.status, 200);
  const alice = await agentPage('cons', 'alice');
  const bob = await agentPage('cons', 'bob');

  // The shopper, verified by the shop's token, asks through the real widget.
  const identity = ecb({ full_name: '张三', phone: '15912345678' });
  const shopper = await (await browser.newContext()).newPage();
  await shopper.route(`${edge.base}/shop/order-1001.html`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html><head><meta charset="utf-8"><title>订单 1001 · Console Shop</title></head><body><h1>订单 1001</h1>
    <script src="/w.js" data-site="cons" data-identity="${identity}" async></script></body></html>` }));
  await shopper.goto(`${edge.base}/shop/order-1001.html`, { waitUntil: 'domcontentloaded' });
  const w = widget(shopper);
  await w.getByTestId('cw-launcher').click();
  // The site asks a pre-chat question first.
  await w.getByTestId('cw-pre-topic').selectOption('订单');
  await w.getByTestId('cw-pre-submit').click();
  await w.getByTestId('cw-input').fill('你好，我的订单 1001 什么时候发货？');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=sent]').first().waitFor();

  // The same shopper's second session carries what the widget cannot set yet: custom fields,
  // page, pre-chat answers.
  const { page: socket, session } = await visitorPage('cons', {
    identity,
    custom_fields: { vipNo: 'vip12138', vipName: '金卡会员' },
    page_url: `${edge.base}/shop/order-1001.html`,
    page_title: '订单 1001 · Console Shop',
    pre_chat: { topic: '订单' },
  }, shopper.context());
  const conv = session.conversation_id;

  // Alice gets it in her pending list (presale accepts by hand), with an alert, and accepts.
  const pending = conversation(alice, 'pending', conv);
  await pending.waitFor();
  await alice.getByTestId('new-chat-alert').waitFor();
  assert.equal(await alice.locator('[data-testid=list-pending] [data-testid=count]').textContent(), '1');
  await pending.click();
  await alice.locator('[data-testid=message][data-author=visitor]', { hasText: '订单 1001' }).waitFor();
  await alice.getByTestId('accept').click();
  await conversation(alice, 'mine', conv).waitFor();
  assert.equal(await alice.locator('[data-testid=list-pending] [data-testid=count]').textContent(), '0');

  // The sidebar: verified by name + phone, custom fields, CRM contact and owner, page, device, pre-chat.
  const side = alice.getByTestId('sidebar');
  await side.getByTestId('profile-verified').getByText('已验证').waitFor();
  assert.equal(await side.getByTestId('profile-verified-by').locator('dd').textContent(), 'full_name + phone');
  assert.match(await side.getByTestId('profile-phone').textContent(), /15912345678/);
  assert.match(await side.getByTestId('profile-custom').textContent(), /vip12138/);
  assert.match(await side.getByTestId('profile-custom').textContent(), /金卡会员/);
  assert.match(await side.getByTestId('profile-contact').textContent(), /crm-1001/);
  assert.match(await side.getByTestId('contact-owner').textContent(), /alice/);
  assert.match(await side.getByTestId('profile-page').textContent(), /订单 1001/);
  assert.match(await side.getByTestId('profile-device').textContent(), /Chrome/);
  assert.match(await side.getByTestId('profile-pre-chat').textContent(), /订单/);
  // The shopper moves on (a single-page app's navigation) and the page sets a field: the open
  // sidebar follows at once, without a click or a reload. The widget's first post (the field, with
  // the page it knew then) is held back, so a newer post sent alongside it would land first and
  // be overwritten: the widget must send one post at a time, the newest state last.
  let held = 0;
  await shopper.context().route('**/api/v1/sites/cons/sessions', async (route) => {
    const body = JSON.parse(route.request().postData() || '{}');
    if (body.custom_fields?.cartItems && !body.page_url?.endsWith('/shop/returns')) {
      held += 1;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await route.continue();
  });
  await shopper.evaluate(() => {
    document.title = '退货申请 · Console Shop';
    history.pushState({}, '', '/shop/returns');
    window.ChatWidget('setCustomField', { cartItems: '2' });
  });
  await side.getByTestId('profile-page').filter({ hasText: '退货申请' }).waitFor();
  await side.getByTestId('profile-custom').filter({ hasText: 'cartItems' }).waitFor();
  await alice.waitForTimeout(1500);
  assert.equal(held, 1, 'the first post was held back');
  assert.match(await side.getByTestId('profile-page').textContent(), /退货申请/, 'the newest page is the one kept');

  // Text both ways: the agent's reply shows in the real widget.
  await alice.getByTestId('reply-input').fill('您好张三，我来帮您查一下 😊');
  await alice.getByTestId('reply-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '我来帮您查一下' }).waitFor();

  // The shopper sends an image, a file and an order card (visitor socket).
  const img = await visitorUpload(socket, 'cons', session.token, 'shoe.png', png);
  await visitorSend(socket, { kind: 'image', upload_id: img.upload_id, name: img.name, size: img.size, content_type: img.content_type });
  const doc = await visitorUpload(socket, 'cons', session.token, 'receipt.pdf', pdf);
  await visitorSend(socket, { kind: 'file', upload_id: doc.upload_id, name: doc.name, size: doc.size, content_type: doc.content_type });
  await visitorSend(socket, { kind: 'card', list: 'orders', id: '1001', title: '跑步鞋 Air 42码', price: '¥399.00', status: '待发货', url: 'https://shop.example/orders/1001' });
  const log = alice.getByTestId('log');
  await log.locator('[data-author=visitor][data-kind=image] img').waitFor();
  await log.locator('[data-author=visitor][data-kind=file] a[data-testid=msg-file]', { hasText: 'receipt.pdf' }).waitFor();
  await log.locator('[data-author=visitor] [data-testid=msg-card]', { hasText: '跑步鞋 Air 42码' }).waitFor();
  // The thumbnail opens full size.
  await log.locator('[data-author=visitor][data-kind=image] [data-testid=msg-image]').click();
  await alice.getByTestId('lightbox').locator('img').waitFor();
  await alice.getByTestId('lightbox').click();
  await alice.getByTestId('lightbox').waitFor({ state: 'detached' });
  // The file link downloads the shopper's bytes.
  const href = await log.locator('a[data-testid=msg-file]').getAttribute('href');
  const downloaded = Buffer.from(await (await fetch(`${edge.base}${href}`)).arrayBuffer());
  assert.deepEqual(downloaded, pdf);

  // The agent sends an image and a file (with progress) and a card; the shopper gets all three.
  await alice.getByTestId('upload-input').setInputFiles([
    { name: 'size-chart.png', mimeType: 'image/png', buffer: png },
    { name: 'invoice.pdf', mimeType: 'application/pdf', buffer: pdf },
  ]);
  await log.locator('[data-author=agent][data-kind=image] img').waitFor();
  await log.locator('[data-author=agent][data-kind=file]', { hasText: 'invoice.pdf' }).waitFor();
  await alice.getByTestId('card-toggle').click();
  await alice.getByTestId('card-title-input').fill('跑步鞋 Air 43码（换码）');
  await alice.getByTestId('card-id-input').fill('SKU-43');
  await alice.getByTestId('card-price-input').fill('¥399.00');
  await alice.getByTestId('card-url-input').fill('https://shop.example/p/air-43');
  await alice.getByTestId('card-send').click();
  await log.locator('[data-author=agent] [data-testid=msg-card]', { hasText: '43码' }).waitFor();
  await socket.waitForFunction(() => {
    const kinds = [...window.shopper.messages.values()].filter((m) => m.author.role === 'agent').map((m) => m.body.kind);
    return ['text', 'image', 'file', 'card'].every((k) => kinds.includes(k));
  });
  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '我来帮您查一下' }).waitFor();

  // Typing both ways.
  await socket.evaluate(() => window.shopper.ws.send(JSON.stringify({ type: 'typing', typing: true })));
  await alice.locator('[data-testid=visitor-typing]:not(.hidden)').waitFor();
  await alice.getByTestId('reply-input').pressSequentially('稍');
  await waitFrame(socket, (f) => f.type === 'typing' && f.from === 'agent' && f.typing);
  await alice.getByTestId('reply-input').fill('');

  await alice.screenshot({ path: path.join(SHOT_DIR, 'console-live.png') });

  // Transfer to Bob: the picker shows who is available.
  await alice.getByTestId('transfer').click();
  const toBob = alice.locator('[data-testid=transfer-agent][data-agent=bob]');
  assert.match(await toBob.textContent(), /在线 · 0\/5/);
  await alice.screenshot({ path: path.join(SHOT_DIR, 'console-transfer.png') });
  await toBob.click();
  await conversation(alice, 'mine', conv).waitFor({ state: 'detached' });

  // Bob continues with the whole history.
  await conversation(bob, 'mine', conv).click();
  const bobLog = bob.getByTestId('log');
  await bobLog.locator('[data-author=visitor]', { hasText: '订单 1001' }).waitFor();
  for (const kind of ['image', 'file', 'card']) {
    await bobLog.locator(`[data-author=visitor][data-kind=${kind}]`).waitFor();
    await bobLog.locator(`[data-author=agent][data-kind=${kind}]`).waitFor();
  }
  await bobLog.locator('[data-author=agent] .author', { hasText: '小艾 Alice' }).first().waitFor();
  await bob.getByTestId('reply-input').fill('我是小波，接着为您处理换码。');
  await bob.getByTestId('reply-send').click();
  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '接着为您处理换码' }).waitFor();

  // Bob closes; the shopper is asked to rate and rates 5; the closed list shows it.
  await bob.getByTestId('close').click();
  await waitFrame(socket, (f) => f.type === 'status' && f.state === 'closed');
  await socket.evaluate(() => window.shopper.ws.send(JSON.stringify({ type: 'rate', score: 5, comment: '很满意' })));
  await waitFrame(socket, (f) => f.type === 'rated' && f.score === 5);
  await bob.locator('[data-testid=list-closed] [data-testid=score]', { hasText: '★★★★★' }).waitFor();

  // Figures: Bob's own day, and the site view for Alice (admin).
  await bob.getByTestId('stats-toggle').click();
  await bob.locator('[data-testid=stat-csat]', { hasText: '5.0 (1)' }).waitFor();
  assert.equal(await bob.getByTestId('site-stats').count(), 0, 'not an admin');
  await alice.getByTestId('stats-toggle').click();
  await alice.locator('[data-testid=site-stats] tr[data-agent=bob]', { hasText: '5.0 (1)' }).waitFor();
  assert.equal(await alice.getByTestId('stat-accepted').textContent(), '1');
  await alice.screenshot({ path: path.join(SHOT_DIR, 'console-stats.png') });
  await Promise.all([alice, bob, shopper].map((p) => p.context().close()));
});

test('quick phrases: own and shared (admins), inserted into the composer, kept in the Desk', async () => {
  await seedDemo(edge, 'consph', site({ groups: [{ id: 'presale', name: '售前', agents: ['alice', 'bob'], accept: 'auto' }] }));
  const alice = await agentPage('consph', 'alice');
  const { page: shopper } = await visitorPage('consph');
  await shopper.evaluate(() => window.shopper.send('q1', '在吗'));
  const item = alice.locator('[data-testid=list-mine] [data-testid=conversation]');
  await item.click();
  await alice.getByTestId('phrases-toggle').click();
  await alice.getByTestId('phrase-new').fill('亲，稍等，我帮您查询一下');
  await alice.getByTestId('phrase-add').click();
  await alice.getByTestId('phrase').filter({ hasText: '我帮您查询一下' }).waitFor();
  await alice.getByTestId('phrase-new').fill('全站：七天无理由退换');
  await alice.locator('[data-testid=phrases] input[type=checkbox]').check();
  await alice.getByTestId('phrase-add').click();
  await alice.getByTestId('phrase').filter({ hasText: '七天无理由' }).waitFor();
  await alice.getByTestId('phrase').filter({ hasText: '我帮您查询一下' }).click();
  assert.equal(await alice.getByTestId('reply-input').inputValue(), '亲，稍等，我帮您查询一下');
  await alice.getByTestId('reply-input').press('Enter');
  await shopper.waitForFunction(() => [...window.shopper.messages.values()].some((m) => m.body.text === '亲，稍等，我帮您查询一下'));

  // Bob sees the shared phrase but not Alice's own, and may not delete the shared one.
  const bob = await agentPage('consph', 'bob');
  const items = await bob.evaluate(() => new Promise((resolve) => {
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/consph/agents/ws`);
    const { token } = JSON.parse(sessionStorage.getItem('console:session'));
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'ready') ws.send(JSON.stringify({ type: 'phrases' }));
      if (f.type === 'phrases') {
        const shared = f.items.find((p) => p.shared);
        ws.send(JSON.stringify({ type: 'delete_phrase', id: shared.id }));
        ws.onmessage = (e2) => { const g = JSON.parse(e2.data); if (g.type === 'error') { ws.close(); resolve({ items: f.items, error: g.code }); } };
      }
    };
  }));
  assert.deepEqual(items.items.map((p) => [p.text, p.shared]), [['全站：七天无理由退换', true]]);
  assert.equal(items.error, 'forbidden');
  await Promise.all([alice, bob, shopper].map((p) => p.context().close()));
});

test('bot-first site: the agent reads the bot list and picks a conversation up by hand', async () => {
  await seedDemo(edge, 'consbot', site({
    groups: [{ id: 'service', name: '客服', agents: ['carol'], accept: 'auto' }],
    routing: { fallback_group: 'service' },
    bot: { enabled: true, greeting: '我是机器人小助手', fallback_reply: '机器人：请问还有什么可以帮您？' },
  }));
  const carol = await agentPage('consbot', 'carol');
  const { page: shopper, session } = await visitorPage('consbot');
  await shopper.evaluate(() => window.shopper.send('b1', '看看新款跑鞋'));
  await shopper.waitForFunction(() => [...window.shopper.messages.values()].some((m) => m.author.role === 'system' && m.body.text.includes('机器人')));
  const item = conversation(carol, 'bot', session.conversation_id);
  await item.click();
  await carol.locator('[data-testid=log] [data-author=visitor]', { hasText: '看看新款跑鞋' }).waitFor();
  assert.equal(await carol.getByTestId('reply-input').count(), 0, 'read only until picked up');
  // Written while the agent reads: shown live.
  await shopper.evaluate(() => window.shopper.send('b2', '有 42 码吗'));
  await carol.locator('[data-testid=log] [data-author=visitor]', { hasText: '有 42 码吗' }).waitFor();
  await carol.getByTestId('pick-up').click();
  await conversation(carol, 'mine', session.conversation_id).waitFor();
  // The bot list is the board's, which comes in its own frame after the agent's own list: wait for
  // it rather than read it at once (that read failed once in a full run).
  await carol.locator('[data-testid=list-bot] [data-testid=count]').filter({ hasText: /^0$/ }).waitFor();
  assert.equal(await conversation(carol, 'bot', session.conversation_id).count(), 0);
  await carol.getByTestId('reply-input').fill('有的，人工客服小卡为您服务');
  await carol.getByTestId('reply-input').press('Enter');
  await shopper.waitForFunction(() => [...window.shopper.messages.values()].some((m) => m.author.role === 'agent' && m.body.text.includes('小卡')));
  await Promise.all([carol, shopper].map((p) => p.context().close()));
});

test('an agent who goes offline is offline for routing at once; the left message appears in the console', async () => {
  await seedDemo(edge, 'consleft', site({ groups: [{ id: 'service', name: '客服', agents: ['carol'], accept: 'auto' }], routing: { fallback_group: 'service' } }));
  const carol = await agentPage('consleft', 'carol');
  await carol.getByTestId('presence').selectOption('offline');
  // Offline for routing: wait until the board says so before the visitor writes.
  await carol.locator('.dot-offline').first().waitFor();
  const { page: shopper } = await visitorPage('consleft');
  await shopper.evaluate(() => window.shopper.send('l1', '有人吗？'));
  await waitFrame(shopper, (f) => f.type === 'leave_message_form');
  await shopper.evaluate(() => window.shopper.ws.send(JSON.stringify({ type: 'leave_message', fields: { name: '李四', phone: '13800000000', message: '请明天上午回电' } })));
  await carol.locator('[data-testid=list-left] [data-testid=left-message]', { hasText: '请明天上午回电' }).waitFor();
  assert.equal(await carol.locator('[data-testid=list-left] [data-testid=count]').textContent(), '1');
  await Promise.all([carol, shopper].map((p) => p.context().close()));
});

test('an agent reload resumes without losing or doubling a message, and keeps the chosen status', async () => {
  await seedDemo(edge, 'consreload', site({ groups: [{ id: 'service', name: '客服', agents: ['alice'], accept: 'auto' }], routing: { fallback_group: 'service' } }));
  const alice = await agentPage('consreload', 'alice', { locale: 'en-US' });
  const { page: shopper, session } = await visitorPage('consreload');
  await shopper.evaluate(() => window.shopper.send('r1', 'first question'));
  await conversation(alice, 'mine', session.conversation_id).click();
  await alice.locator('[data-testid=log] [data-author=visitor]', { hasText: 'first question' }).waitFor();
  await alice.getByTestId('presence').selectOption('away');
  await alice.getByTestId('reply-input').fill('first answer');
  await alice.getByTestId('reply-input').press('Enter');
  await alice.locator('[data-testid=log] [data-author=agent]', { hasText: 'first answer' }).locator('xpath=.').waitFor();
  await shopper.waitForFunction(() => [...window.shopper.messages.values()].some((m) => m.body.text === 'first answer'));

  // The visitor writes while the console reloads.
  const reloading = alice.reload();
  await shopper.evaluate(() => window.shopper.send('r2', 'written during the reload'));
  await reloading;
  await alice.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  await conversation(alice, 'mine', session.conversation_id).click();
  const log = alice.getByTestId('log');
  await log.locator('[data-author=visitor]', { hasText: 'written during the reload' }).waitFor();
  for (const text of ['first question', 'first answer', 'written during the reload']) {
    assert.equal(await log.locator('[data-testid=message]', { hasText: text }).count(), 1, text);
  }
  assert.equal(await alice.getByTestId('presence').inputValue(), 'away');
  assert.equal(await alice.getByTestId('accept').count(), 0);
  await Promise.all([alice, shopper].map((p) => p.context().close()));
});

test('a visitor token is refused on the agent socket and for agent frames', async () => {
  await seedDemo(edge, 'conssec', site());
  const res = await fetch(`${edge.base}/api/v1/sites/conssec/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const visitor = await res.json();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  const outcome = await page.evaluate(({ token, conv }) => new Promise((resolve) => {
    const frames = [];
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/conssec/agents/ws`);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (e) => frames.push(JSON.parse(e.data));
    ws.onclose = (e) => resolve({ code: e.code, frames });
    // An agent frame on the visitor's own socket is not understood either.
    const vs = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/conssec/ws`);
    vs.onopen = () => vs.send(JSON.stringify({ type: 'auth', token }));
    vs.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'ready') vs.send(JSON.stringify({ type: 'accept', conversation_id: conv }));
      if (f.type === 'error') window.visitorSocketError = f.code;
    };
  }), { token: visitor.token, conv: visitor.conversation_id });
  assert.equal(outcome.code, 4401);
  assert.deepEqual(outcome.frames.map((f) => [f.type, f.code]), [['error', 'unauthorized']]);
  await page.waitForFunction(() => window.visitorSocketError);
  assert.equal(await page.evaluate(() => window.visitorSocketError), 'bad_request');
  // Uploading into a conversation by name is an agent's right; a visitor's token cannot name one.
  const up = await fetch(`${edge.base}/api/v1/sites/conssec/uploads?name=a.png&conversation=c0000000000000000`, {
    method: 'POST', headers: { authorization: `Bearer ${visitor.token}` }, body: png,
  });
  assert.equal(up.status, 403);
  await page.context().close();
});
