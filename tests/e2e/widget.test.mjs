// The widget as shoppers use it, in headless Chromium against the real Worker: every kind of
// message, cards, forms, entries, history and reconnects, mobile, locales, keyboard, accessibility
// and themes. The agent side is a real agent socket (tests/e2e/agent-socket.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { facade, launchBrowser, root, seedDemo, startEdge, tempDir, widget } from './harness.mjs';
import { agentSocket } from './agent-socket.mjs';

const KEY = crypto.randomBytes(32).toString('base64');
const MB = 1024 * 1024;
const SHOTS = path.join(root, 'target', 'screenshots');
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAH0lEQVR42mP8z8Dwn4EIwDiqkL4KGRkZGUYVDlMFAF9+BxGlnFsDAAAAAElFTkSuQmCC', 'base64');

const AGENTS = [
  { id: 'amy', name: 'Amy 小美', password: 'amy-password-1', max_sessions: 5 },
  { id: 'ben', name: 'Ben 小本', password: 'ben-password-1', max_sessions: 5 },
];
const GROUPS = [
  { id: 'presale', name: '售前', agents: ['amy'], strategy: 'load', accept: 'auto' },
  { id: 'aftersale', name: '售后', agents: ['ben'], strategy: 'load', accept: 'auto' },
];

/** The test shop; its pages live on the edge's origin (`base`), the one origin it allows. */
function shopConfig(extra = {}, base = edge.base) {
  return {
    name: '测试商城', greeting: '欢迎光临测试商城', agents: AGENTS, groups: GROUPS, allowed_origins: [base], card_image_origins: ['https://shop.example'],
    identity: { keys: [KEY], verification_fields: ['full_name', 'phone'], accept_ecb: true, accept_v2: true },
    uploads: { max_image_bytes: 2 * MB, max_file_bytes: 2 * MB, link_ttl_secs: 900 },
    card_buttons: [{ list: 'orders', name: '我的订单', icon: 'order' }],
    routing: { fallback_group: 'presale', entries: [{ id: 'after-sale', group: 'aftersale' }, { id: 'vip', agent: 'amy' }] },
    ...extra,
  };
}

function ecb(payload) {
  const key = Buffer.from(KEY, 'base64');
  const c = crypto.createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([c.update(JSON.stringify(payload), 'utf8'), c.final()]).toString('hex').toUpperCase();
}

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge);
  for (const [site, config] of Object.entries({
    wshop: shopConfig(),
    wform: shopConfig({
      pre_chat: [
        { name: 'name', label: '您的称呼', kind: 'text', required: true },
        { name: 'phone', label: '手机号', kind: 'phone', required: true },
      ],
      routing: { fallback_group: 'presale', visitor_picks_group: ['presale', 'aftersale'] },
    }),
    woff: shopConfig(),
    wtheme: shopConfig(),
    wkeep: shopConfig(),
    wlimit: shopConfig({ rate_limits: { sessions_per_ip: 60, logins_per_ip: 10, messages_per_visitor: 2 } }),
    wrule: shopConfig({
      pre_chat: [{ name: 'topic', label: '咨询类型', kind: 'select', required: true, options: ['买东西', '退货'] }],
      routing: { fallback_group: 'presale', rules: [{ name: '退货走售后', pre_chat_field: 'topic', equals: '退货', group: 'aftersale' }] },
    }),
  })) {
    await seedDemo(edge, site, config);
  }
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

/** A shop page with the snippet pasted as a site owner would; `head` runs before the loader. */
async function shop({ site = 'wshop', attrs = '', head = '', viewport, base = edge.base, options = {}, init, route } = {}) {
  const context = await browser.newContext({ ...(viewport ? { viewport } : {}), ...options });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  if (route) await page.route(...route);
  const name = `shop-${crypto.randomBytes(4).toString('hex')}.html`;
  await page.route(`${base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>测试商城</title></head>
    <body style="margin:0;font-family:sans-serif"><main style="padding:24px;height:2000px"><h1>测试商城</h1><p>商品列表</p></main>
    <script>window.ChatWidget = window.ChatWidget || function(){(ChatWidget.q=ChatWidget.q||[]).push(arguments)};
    window.events = []; ['ready','open','close','message','unread','error'].forEach(function (n) { ChatWidget('on', n, function (d) { window.events.push([n, d]); }); });
    ${head}</script>
    <script src="${base}/w.js" data-site="${site}" ${attrs.includes('data-locale') ? attrs : `data-locale="zh-CN" ${attrs}`} async></script></body></html>` }));
  await page.goto(`${base}/t/${name}`);
  return { page, w: widget(page), frame: () => page.frames().find((f) => f.url().includes('/widget/')) };
}

async function openChat(w) {
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-window').waitFor();
  await w.getByTestId('cw-greeting').waitFor();
}

const visitorLines = (w) => w.locator('[data-testid=cw-message][data-author=visitor]');

test('a shopper sends text, emoji, an image and a 1 MB PDF; the agent gets each; an over-limit file is refused before upload', async () => {
  const amy = await agentSocket(browser, edge, 'wshop', 'amy', 'amy-password-1');
  const { page, w, frame } = await shop();
  await openChat(w);
  await w.getByTestId('cw-input').fill('你好，在吗？');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '你好，在吗？' }).waitFor();

  // Emoji from the built-in picker go in at the cursor.
  await w.getByTestId('cw-input').fill('好的');
  await w.getByTestId('cw-emoji').click();
  await w.getByTestId('cw-emoji-panel').waitFor();
  await w.getByTestId('cw-emoji-option').nth(19).click();
  assert.equal(await w.getByTestId('cw-input').inputValue(), '好的👍');
  await w.getByTestId('cw-send').click();
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '好的👍' }).waitFor();

  // An image: preview in the log, the agent gets an image message.
  await w.getByTestId('cw-image-input').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG });
  const image = w.locator('[data-testid=cw-message][data-status=sent] [data-testid=cw-image] img');
  await image.waitFor();
  assert.match(await image.getAttribute('src'), /^(blob:|\/api\/v1\/sites\/wshop\/uploads\/)/);
  await w.getByTestId('cw-image').click();
  await w.getByTestId('cw-lightbox').waitFor();
  await w.getByTestId('cw-lightbox').click();

  // A 1 MB PDF: a progress bar while it uploads, then a download link; the agent downloads it.
  await frame().evaluate(() => {
    window.sawProgress = false;
    new MutationObserver(() => { if (document.querySelector('[data-testid=cw-progress]')) window.sawProgress = true; })
      .observe(document.body, { subtree: true, childList: true });
  });
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MB - 16, 0x20), Buffer.from('\n%%EOF\n')]);
  await w.getByTestId('cw-file-input').setInputFiles({ name: '发票.pdf', mimeType: 'application/pdf', buffer: pdf });
  const file = w.locator('[data-testid=cw-message][data-status=sent] [data-testid=cw-file]');
  await file.waitFor();
  assert.match(await file.textContent(), /发票\.pdf · 1\.0 MB/);
  assert.equal(await frame().evaluate(() => window.sawProgress), true, 'a progress bar was shown');

  const got = await amy.waitFor((f) => f.type === 'message' && f.message.body.kind === 'file');
  assert.equal(got.message.body.name, '发票.pdf');
  const download = await amy.download(got.message.body.upload_id);
  assert.deepEqual(download, { status: 200, type: 'application/pdf', size: pdf.length });
  const kinds = (await amy.messages()).filter((m) => m.author.role === 'visitor').map((m) => m.body.kind === 'text' ? m.body.text : m.body.kind);
  assert.deepEqual(kinds, ['你好，在吗？', '好的👍', 'image', 'file']);

  // Over the site's 2 MB cap: a clear message, nothing uploaded, nothing sent.
  await w.getByTestId('cw-file-input').setInputFiles({ name: 'big.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(3 * MB, 0x20) });
  await w.getByTestId('cw-notice').filter({ hasText: '2 MB' }).waitFor();
  await w.getByTestId('cw-file-input').setInputFiles({ name: 'run.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await w.getByTestId('cw-notice').filter({ hasText: 'run.exe' }).waitFor();
  assert.equal(await visitorLines(w).count(), 4);
  await page.waitForTimeout(300);
  assert.equal((await amy.messages()).filter((m) => m.author.role === 'visitor').length, 4);

  // The agent's reply, typing and read receipt reach the shopper.
  const conv = got.message.conversation_id;
  await amy.send({ type: 'typing', conversation_id: conv, typing: true });
  await w.getByTestId('cw-typing').waitFor();
  await amy.send({ type: 'read', conversation_id: conv, seq: got.message.seq });
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=read]').nth(3).waitFor();
  await amy.send({ type: 'send', conversation_id: conv, client_id: 'amy-1', body: { kind: 'text', text: '收到，马上为您处理' } });
  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '收到，马上为您处理' }).waitFor();
  await w.getByTestId('cw-typing').waitFor({ state: 'detached' });
  await w.getByTestId('cw-avatar').waitFor();
  assert.equal(await w.getByTestId('cw-title').textContent(), 'Amy 小美');
  await page.screenshot({ path: path.join(SHOTS, 'desktop-open.png') });

  // Window closed: a reply raises the badge and the page hears `unread`; opening clears it.
  await w.getByTestId('cw-close').click();
  await amy.send({ type: 'send', conversation_id: conv, client_id: 'amy-2', body: { kind: 'text', text: '还有其他问题吗？' } });
  await w.getByTestId('cw-unread').filter({ hasText: '1' }).waitFor();
  await page.waitForFunction(() => window.events.some(([n, d]) => n === 'unread' && d.count === 1));
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-unread').waitFor({ state: 'detached' });
  const heard = (await page.evaluate(() => window.events)).map(([n]) => n);
  for (const name of ['ready', 'open', 'close', 'message', 'unread']) assert.ok(heard.includes(name), `event ${name}: ${heard}`);

  // The agent closes: the shopper rates the service.
  await amy.send({ type: 'close', conversation_id: conv });
  await w.getByTestId('cw-rate').waitFor();
  await w.getByTestId('cw-star-5').click();
  await w.getByTestId('cw-rate-comment').fill('很专业');
  await w.getByTestId('cw-rate-submit').click();
  await w.getByTestId('cw-rated').waitFor();
  await amy.close();
  await page.context().close();
});

test('images pasted into the composer or dropped on the window are sent too', async () => {
  const amy = await agentSocket(browser, edge, 'wshop', 'amy', 'amy-password-1');
  const { w, frame } = await shop();
  await openChat(w);
  await frame().evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = (name) => { const dt = new DataTransfer(); dt.items.add(new File([bytes], name, { type: 'image/png' })); return dt; };
    document.querySelector('[data-testid=cw-input]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data('pasted.png'), bubbles: true, cancelable: true }));
    document.querySelector('[data-testid=cw-window]').dispatchEvent(new DragEvent('drop', { dataTransfer: data('dropped.png'), bubbles: true, cancelable: true }));
  }, PNG.toString('base64'));
  await w.locator('[data-testid=cw-message][data-status=sent] [data-testid=cw-image]').nth(1).waitFor();
  await amy.waitFor((f) => f.type === 'message' && f.message.body.name === 'dropped.png');
  const names = (await amy.messages()).filter((m) => m.body.kind === 'image').map((m) => m.body.name).sort();
  assert.deepEqual(names, ['dropped.png', 'pasted.png']);
  await amy.close();
});

test('a verified shopper sends an order card; a guest gets no card button and the Desk refuses a guest card', async () => {
  const cards = `ChatWidget('setCards', 'orders', [
    { id: 'A1001', title: '蓝牙耳机 Pro', price: '¥199.00', status: '已发货', url: 'https://shop.example/orders/A1001', image: 'https://shop.example/p/1.png' },
    { id: 'A1002', title: '坏链接', url: 'javascript:alert(1)' }]);`;
  const guest = await shop({ head: cards });
  await openChat(guest.w);
  await guest.w.getByTestId('cw-input').waitFor();
  assert.equal(await guest.w.getByTestId('cw-cards-orders').count(), 0, 'guests never see card buttons');
  await guest.page.context().close();

  const amy = await agentSocket(browser, edge, 'wshop', 'amy', 'amy-password-1');
  const token = ecb({ full_name: '李四', phone: '13800000001' });
  const verified = await shop({ attrs: `data-identity="${token}"`, head: cards });
  await openChat(verified.w);
  await verified.w.getByTestId('cw-cards-orders').click();
  await verified.w.getByTestId('cw-card-picker').waitFor();
  assert.equal(await verified.w.getByTestId('cw-card-option').count(), 1, 'a card with a javascript: link is dropped');
  await verified.w.getByTestId('cw-card-option').click();
  const card = verified.w.locator('[data-testid=cw-message][data-status=sent] [data-testid=cw-card]');
  await card.waitFor();
  assert.equal(await card.getAttribute('href'), 'https://shop.example/orders/A1001');
  const got = await amy.waitFor((f) => f.type === 'message' && f.message.body.kind === 'card');
  assert.deepEqual({ ...got.message.body }, { kind: 'card', list: 'orders', id: 'A1001', title: '蓝牙耳机 Pro', image: 'https://shop.example/p/1.png', price: '¥199.00', status: '已发货', url: 'https://shop.example/orders/A1001' });
  await amy.close();

  // The shopper logs out of the shop: the widget forgets the verified chat on this browser.
  const tokens = () => verified.frame().evaluate(() => Object.entries(localStorage).filter(([k]) => k.endsWith(':token')).map(([, v]) => v));
  const before = await tokens();
  await verified.page.evaluate(() => new Promise((resolve) => { window.ChatWidget('on', 'logout', resolve); window.ChatWidget('logout'); }));
  await verified.w.getByTestId('cw-input').waitFor();
  await verified.w.getByTestId('cw-card').waitFor({ state: 'detached' });
  assert.equal(await verified.w.locator('[data-testid=cw-message][data-author=visitor]').count(), 0, 'it starts over as a new guest');
  assert.equal(await verified.w.getByTestId('cw-cards-orders').count(), 0);
  // The new guest session lands a moment after the 'logout' event: wait for its token.
  await verified.frame().waitForFunction((old) => {
    const stored = Object.entries(localStorage).filter(([k]) => k.endsWith(':token')).map(([, v]) => v);
    return stored.length === 1 && stored[0].startsWith('v_') && stored[0] !== old;
  }, before[0]);
  const after = await tokens();
  assert.ok(after.length === 1 && after[0].startsWith('v_') && after[0] !== before[0], 'a new guest session replaced the verified one');
  await verified.page.context().close();

  // A guest's own socket cannot send a card either: a typed refusal naming the message.
  const refused = await verified.page.context().browser().newContext().then((c) => c.newPage());
  await refused.goto(`${edge.base}/api/v1/health`);
  const frames = await refused.evaluate(async () => {
    // The host page is this one (the shop allows the edge's origin), as the loader would say.
    const body = JSON.stringify({ host_origin: location.origin });
    const s = await (await fetch('/api/v1/sites/wshop/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/wshop/ws`);
    const seen = [];
    await new Promise((resolve) => {
      ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: s.token, last_seq: 0 }));
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data);
        seen.push(f);
        if (f.type === 'ready') ws.send(JSON.stringify({ type: 'send', client_id: 'g1', body: { kind: 'card', id: 'A1', title: 'x' } }));
        if (f.type === 'rejected') resolve();
      };
    });
    return seen;
  });
  assert.deepEqual(frames.filter((f) => f.type === 'rejected').map((f) => [f.client_id, f.code]), [['g1', 'card_not_allowed']]);
  await refused.context().close();
});

test('identify while the guest session is still on its way: the verified session wins, whichever answer lands last', async () => {
  // The shop's page mints the token after the widget has started as a guest (the demo shop does
  // exactly this). The guest session's answer (the `session` frame of its socket's `open`) is held
  // back until after the verified one, with everything behind it.
  const context = await browser.newContext();
  let guestAnswered;
  let guestOpening;
  const guestDone = new Promise((resolve) => { guestAnswered = resolve; });
  // The identity comes only once the guest's answer is being held (else there is no race to
  // test, and a guest socket closed before the Desk read its `open` would never be answered).
  const guestSent = new Promise((resolve) => { guestOpening = resolve; });
  await context.routeWebSocket(/\/api\/v1\/sites\/wshop\/ws$/, (ws) => {
    const server = ws.connectToServer();
    let guest = false;
    let behind = Promise.resolve();
    ws.onMessage((message) => {
      const f = JSON.parse(message);
      if (f.type === 'open' && !f.session.identity) guest = true;
      server.send(message);
    });
    server.onMessage((message) => {
      const held = guest && JSON.parse(message).type === 'session';
      if (held) guestOpening();
      behind = behind.then(async () => {
        if (held) await new Promise((r) => setTimeout(r, 1500));
        try { ws.send(message); } catch { /* the page closed this socket meanwhile */ }
        if (held) guestAnswered();
      });
    });
  });
  const page = await context.newPage();
  const name = `race-${crypto.randomBytes(4).toString('hex')}.html`;
  await page.route(`${edge.base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html lang="zh-CN"><head><meta charset="utf-8"><title>测试商城</title></head><body>
    <script>window.ChatWidget = window.ChatWidget || function(){(ChatWidget.q=ChatWidget.q||[]).push(arguments)};
    ChatWidget('setCards', 'orders', [{ id: 'A2001', title: '保温杯', url: 'https://shop.example/orders/A2001' }]);</script>
    <script src="${edge.base}/w.js" data-site="wshop" data-locale="zh-CN" async></script></body></html>` }));
  await page.goto(`${edge.base}/t/${name}`);
  const w = widget(page);
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-window').waitFor();
  await guestSent;
  await page.evaluate((t) => window.ChatWidget('identify', t), ecb({ full_name: '赵六', phone: '13800000006' }));
  await guestDone;
  await w.getByTestId('cw-cards-orders').waitFor();
  await page.waitForTimeout(500);
  assert.equal(await w.getByTestId('cw-cards-orders').count(), 1, 'the late guest answer did not undo the verified session');
  // The connection is the verified visitor's too: the Desk accepts the card (it refuses guests').
  await w.getByTestId('cw-cards-orders').click();
  await w.getByTestId('cw-card-option').click();
  await w.locator('[data-testid=cw-message][data-status=sent] [data-testid=cw-card]').waitFor();
  await context.close();
});

test('the pre-chat form checks the answers, then the picked group decides the agent', async () => {
  const ben = await agentSocket(browser, edge, 'wform', 'ben', 'ben-password-1');
  const amy = await agentSocket(browser, edge, 'wform', 'amy', 'amy-password-1');
  const { w } = await shop({ site: 'wform' });
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-pre-chat').waitFor();
  assert.equal(await w.getByTestId('cw-input').count(), 0, 'no composer before the form is answered');
  await w.getByTestId('cw-pre-submit').click();
  assert.deepEqual(await w.locator('.cw-error').allTextContents(), ['请选择一项', '此项必填', '此项必填']);
  await w.getByTestId('cw-pre-name').fill('王五');
  await w.getByTestId('cw-pre-phone').fill('not a phone');
  await w.locator('[data-testid=cw-group][data-group=aftersale]').click();
  await w.getByTestId('cw-pre-submit').click();
  assert.deepEqual(await w.locator('.cw-error').allTextContents(), ['请输入正确的电话号码']);
  await w.getByTestId('cw-pre-phone').fill('139 0000 0002');
  await w.getByTestId('cw-pre-submit').click();
  await w.getByTestId('cw-input').fill('我要退货');
  await w.getByTestId('cw-input').press('Enter');
  await ben.waitFor((f) => f.type === 'message' && f.message.body.text === '我要退货');
  assert.equal((await amy.messages()).length, 0, 'the presale agent never got it');
  await Promise.all([ben.close(), amy.close()]);
});

test('a pre-chat answer routes by the site\'s rules', async () => {
  const ben = await agentSocket(browser, edge, 'wrule', 'ben', 'ben-password-1');
  const { w } = await shop({ site: 'wrule' });
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-pre-topic').selectOption('退货');
  await w.getByTestId('cw-pre-submit').click();
  await w.getByTestId('cw-input').fill('耳机坏了想退');
  await w.getByTestId('cw-input').press('Enter');
  await ben.waitFor((f) => f.type === 'message' && f.message.body.text === '耳机坏了想退');
  await ben.close();
});

test('a refused message shows as failed with a retry, and the retry sends it once', async () => {
  const { w } = await shop({ site: 'wlimit' });
  await openChat(w);
  for (const text of ['一', '二', '三']) {
    await w.getByTestId('cw-input').fill(text);
    await w.getByTestId('cw-input').press('Enter');
  }
  const third = visitorLines(w).filter({ hasText: '三' });
  await third.and(w.locator('[data-status=failed]')).waitFor();
  await w.getByTestId('cw-notice').waitFor();
  // The bucket refills (2 per 6 s); the retry goes through and the line is stored once.
  await new Promise((r) => setTimeout(r, 3_500));
  await third.getByTestId('cw-retry').click();
  await third.and(w.locator('[data-status=sent]')).waitFor();
  assert.equal(await visitorLines(w).count(), 3);
});

test('the Desk itself refuses pre-chat answers and groups the site does not accept', async () => {
  const post = async (body) => {
    const res = await fetch(`${edge.base}/api/v1/sites/wform/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return [res.status, (await res.json()).error?.code];
  };
  assert.deepEqual(await post({ pre_chat: { name: '王五', phone: '12' } }), [422, 'pre_chat_invalid']);
  assert.deepEqual(await post({ pre_chat: { name: '王五', phone: '13900000002', age: '30' } }), [422, 'pre_chat_invalid']);
  assert.deepEqual(await post({ pre_chat: { phone: '13900000002' } }), [422, 'pre_chat_invalid']);
  assert.deepEqual(await post({ group: 'vip-only' }), [422, 'pre_chat_invalid']);
  assert.deepEqual(await post({ pre_chat: { name: '王五', phone: '13900000002' }, group: 'aftersale' }), [200, undefined]);
});

test('with every agent offline the shopper leaves a message, and agents list it', async () => {
  const { w } = await shop({ site: 'woff' });
  await openChat(w);
  await w.getByTestId('cw-input').fill('有人吗？');
  await w.getByTestId('cw-input').press('Enter');
  await w.getByTestId('cw-leave-form').waitFor();
  // The offline prompt is in the log and the header says nobody is online (no queue number:
  // there is no queue to move up in while nobody is online).
  await w.locator('[data-testid=cw-message][data-author=system]').first().waitFor();
  await w.getByTestId('cw-status').filter({ hasText: '客服暂时不在线' }).waitFor();
  await w.getByTestId('cw-leave-submit').click();
  assert.ok((await w.locator('.cw-error').count()) > 0, 'required fields are asked for');
  const inputs = await w.locator('[data-testid^=cw-leave-]:is(input, textarea)').evaluateAll((els) => els.map((e) => e.dataset.testid));
  for (const id of inputs) {
    await w.getByTestId(id).fill(id.endsWith('phone') ? '13700000003' : `留言-${id}`);
  }
  await w.getByTestId('cw-leave-submit').click();
  await w.getByTestId('cw-leave-sent').waitFor();
  const amy = await agentSocket(browser, edge, 'woff', 'amy', 'amy-password-1');
  await amy.send({ type: 'list_left_messages' });
  const list = await amy.waitFor((f) => f.type === 'left_messages' && f.items.length > 0);
  assert.equal(Object.keys(list.items[0].fields).length, inputs.length);
  await amy.close();
});

test('entry buttons reach their designated group; an unknown entry says so and offers the general chat', async () => {
  const ben = await agentSocket(browser, edge, 'wshop', 'ben', 'ben-password-1');
  const { w } = await shop({ head: "ChatWidget('openEntry', 'after-sale');" });
  await w.getByTestId('cw-window').waitFor();
  await w.getByTestId('cw-input').fill('售后问题');
  await w.getByTestId('cw-input').press('Enter');
  await ben.waitFor((f) => f.type === 'message' && f.message.body.text === '售后问题');
  await ben.close();

  const lost = await shop({ attrs: 'data-entry="no-such-entry"' });
  await lost.w.getByTestId('cw-launcher').click();
  const failed = lost.w.getByTestId('cw-failed');
  await failed.waitFor();
  assert.equal(await failed.getAttribute('data-code'), 'unknown_entry');
  assert.match(await failed.textContent(), /该咨询入口不存在/);
  await lost.w.getByTestId('cw-failed-action').click();
  await lost.w.getByTestId('cw-input').waitFor();
  assert.ok((await lost.page.evaluate(() => window.events)).some(([n, d]) => n === 'error' && d.code === 'unknown_entry'));
});

test('a reload keeps the history; a connection lost mid-typing loses and doubles nothing', async () => {
  const stateDir = tempDir('cw-widget-');
  let own = await startEdge({ stateDir });
  try {
    await seedDemo(own, 'wshop', shopConfig({}, own.base));
    const { page, w } = await shop({ base: own.base });
    await openChat(w);
    for (const text of ['第一条', '第二条']) {
      await w.getByTestId('cw-input').fill(text);
      await w.getByTestId('cw-input').press('Enter');
    }
    await visitorLines(w).filter({ hasText: '第二条' }).and(w.locator('[data-status=sent]')).waitFor();
    await page.reload();
    await openChat(w);
    await visitorLines(w).filter({ hasText: '第二条' }).waitFor();
    assert.deepEqual(await visitorLines(w).allTextContents().then((t) => t.map((s) => s.replace(/\d\d:\d\d.*/, ''))), ['第一条', '第二条']);

    // The Worker goes away while the shopper types: the text stays, the message waits, then goes once.
    const port = own.port;
    await w.getByTestId('cw-input').fill('断线时写的');
    await own.stop();
    await w.getByTestId('cw-status').filter({ hasText: '正在重连' }).waitFor();
    assert.equal(await w.getByTestId('cw-input').inputValue(), '断线时写的');
    await w.getByTestId('cw-input').press('Enter');
    await visitorLines(w).filter({ hasText: '断线时写的' }).and(w.locator('[data-status=sending]')).waitFor();
    own = await startEdge({ stateDir, port });
    await visitorLines(w).filter({ hasText: '断线时写的' }).and(w.locator('[data-status=sent]')).waitFor({ timeout: 30_000 });
    await page.reload();
    await openChat(w);
    await visitorLines(w).filter({ hasText: '断线时写的' }).waitFor();
    assert.equal(await visitorLines(w).count(), 3, 'nothing lost, nothing doubled');
    await page.context().close();
  } finally {
    await own.stop();
  }
});

test('one widget however often the snippet is pasted, and it survives single-page-app navigation', async () => {
  const { page, w } = await shop({ head: '' });
  await w.getByTestId('cw-launcher').waitFor();
  await page.evaluate((base) => {
    const again = document.createElement('script');
    again.src = `${base}/w.js`;
    again.dataset.site = 'wshop';
    document.body.appendChild(again);
    return new Promise((resolve) => { again.onload = resolve; });
  }, edge.base);
  assert.equal(await page.locator('iframe[data-testid=cw-frame]').count(), 1);
  await openChat(w);
  await w.getByTestId('cw-input').fill('看看这个商品');
  await w.getByTestId('cw-input').press('Enter');
  await visitorLines(w).and(w.locator('[data-status=sent]')).waitFor();
  // A router replaces the whole page body: the widget is put back and keeps the conversation.
  await page.evaluate(() => {
    history.pushState({}, '', '/t/product-42.html');
    document.body.innerHTML = '<main><h1>商品 42</h1></main>';
  });
  await page.locator('iframe[data-testid=cw-frame]').waitFor();
  await openChat(w);
  await visitorLines(w).filter({ hasText: '看看这个商品' }).waitFor();
  assert.equal(await page.locator('iframe[data-testid=cw-frame]').count(), 1);
  await page.context().close();
});

test('keyboard only: open, write, send; Tab stays in the window; Escape closes it', async () => {
  const { page, w, frame } = await shop({ attrs: 'data-locale="en"' });
  await w.getByTestId('cw-launcher').focus();
  await page.keyboard.press('Enter');
  await w.getByTestId('cw-input').waitFor();
  await w.getByTestId('cw-greeting').waitFor();
  assert.equal(await frame().evaluate(() => document.activeElement?.dataset.testid), 'cw-input');
  await page.keyboard.type('Hello from the keyboard');
  await page.keyboard.press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: 'Hello from the keyboard' }).waitFor();
  for (let i = 0; i < 14; i += 1) {
    await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
    assert.equal(await frame().evaluate(() => !!document.activeElement?.closest('.cw-window')), true, `focus left the window after ${i + 1} presses`);
  }
  await page.keyboard.press('Escape');
  await w.getByTestId('cw-window').waitFor({ state: 'detached' });
  assert.equal(await frame().evaluate(() => document.activeElement?.dataset.testid), 'cw-launcher');
  await page.context().close();
});

test('zh-CN and en: every visible string follows data-locale', async () => {
  for (const [locale, label, placeholder, lang] of [['zh-CN', '在线咨询', '输入消息', 'zh-CN'], ['en', 'Chat with us', 'Type a message', 'en']]) {
    const { page, w } = await shop({ attrs: `data-locale="${locale}"` });
    assert.equal(await w.getByTestId('cw-launcher').getAttribute('aria-label'), label);
    await openChat(w);
    assert.match(await w.getByTestId('cw-input').getAttribute('placeholder'), new RegExp(placeholder));
    assert.equal(await w.locator('.cw').getAttribute('lang'), lang);
    const text = await w.getByTestId('cw-window').evaluate((el) => el.innerText + [...el.querySelectorAll('[aria-label],[placeholder],[title]')].map((e) => e.getAttribute('aria-label') || e.getAttribute('placeholder') || e.getAttribute('title')).join(' '));
    if (locale === 'en') assert.doesNotMatch(text.replace('欢迎光临测试商城', '').replace('测试商城', ''), /[\u4e00-\u9fff]/, 'no Chinese left in the English widget');
    await page.context().close();
  }
});

test('axe-core finds no serious or critical violation, closed and open, light and dark', async () => {
  const axe = fs.readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  for (const theme of ['{}', '{"dark":true,"primary":"#f5c518"}']) {
    const { page, w, frame } = await shop({ attrs: `data-theme='${theme}'` });
    await w.getByTestId('cw-launcher').waitFor();
    await frame().evaluate(axe);
    const scan = () => frame().evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`));
    assert.deepEqual(await scan(), [], `closed, theme ${theme}`);
    await openChat(w);
    await w.getByTestId('cw-input').fill('检查无障碍');
    await w.getByTestId('cw-input').press('Enter');
    await visitorLines(w).and(w.locator('[data-status=sent]')).waitFor();
    await w.getByTestId('cw-emoji').click();
    assert.deepEqual(await scan(), [], `open, theme ${theme}`);
    if (theme !== '{}') await page.screenshot({ path: path.join(SHOTS, 'desktop-dark-open.png') });
    await page.context().close();
  }
});

test('theme tokens change the rendering live', async () => {
  const { page, w } = await shop();
  const launcher = w.getByTestId('cw-launcher');
  await launcher.waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'desktop-closed.png') });
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(20, 86, 240)');
  await page.evaluate(() => window.ChatWidget('setTheme', { primary: '#ffcc00', shape: 'bar', label: '在线咨询', position: 'left', offsetX: 30 }));
  await w.getByTestId('cw-launcher-label').filter({ hasText: '在线咨询' }).waitFor();
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(255, 204, 0)');
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).color), 'rgb(0, 0, 0)', 'dark text on a light theme colour');
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).borderRadius), '22px');
  // The loader moves the iframe to the left and sizes it to the wider bar.
  await page.waitForFunction(() => document.querySelector('iframe[data-testid=cw-frame]').style.left === '0px');
  const box = await page.locator('iframe[data-testid=cw-frame]').boundingBox();
  assert.ok(box.x === 0 && box.width > 120, JSON.stringify(box));
  await page.evaluate(() => window.ChatWidget('setTheme', { dark: true, title: '金牌客服', icon: 'headset', shape: 'rounded' }));
  await openChat(w);
  assert.equal(await w.getByTestId('cw-title').textContent(), '金牌客服');
  assert.equal(await w.getByTestId('cw-window').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(28, 29, 33)');
  await page.context().close();
});

test('dark "auto" follows the system scheme (readable either way); sound chimes for an agent message while the window is closed', async () => {
  // A site of its own: amy's chat slots on wshop are taken by the tests before this one.
  const amy = await agentSocket(browser, edge, 'wtheme', 'amy', 'amy-password-1');
  // Counts the oscillators the widget starts (two per chime) and the audio context's state.
  const init = () => {
    window.chimes = [];
    const create = window.AudioContext && window.AudioContext.prototype.createOscillator;
    if (create) window.AudioContext.prototype.createOscillator = function () { window.chimes.push(this.state); return create.call(this); };
  };
  const { page, w, frame } = await shop({ site: 'wtheme', attrs: `data-theme='{"dark":"auto","sound":true}'`, options: { colorScheme: 'dark' }, init });
  await openChat(w);
  const bg = () => w.getByTestId('cw-window').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(await bg(), 'rgb(28, 29, 33)', 'dark when the system is dark');
  await w.getByTestId('cw-input').fill('晚上好');
  await w.getByTestId('cw-input').press('Enter');
  const got = await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '晚上好');
  const conv = got.message.conversation_id;
  await visitorLines(w).and(w.locator('[data-status=sent]')).waitFor();

  // Every text colour passes axe's contrast check in the automatic dark scheme too.
  await frame().evaluate(fs.readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
  const scan = () => frame().evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`));
  assert.deepEqual(await scan(), [], 'auto, dark scheme');
  // Error, failed-message and price colours switch with the scheme too (they show only on errors
  // and cards, so they are probed directly).
  const tones = () => frame().evaluate(() => ['cw-error', 'cw-failed-mark', 'cw-card-price'].map((c) => {
    const probe = document.createElement('span');
    probe.className = c;
    document.querySelector('[data-testid=cw-window]').append(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  }));
  assert.deepEqual(await tones(), ['rgb(255, 143, 107)', 'rgb(255, 143, 107)', 'rgb(255, 156, 143)']);
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(await bg(), 'rgb(255, 255, 255)', 'light when the system turns light');
  assert.deepEqual(await scan(), [], 'auto, light scheme');
  assert.deepEqual(await tones(), ['rgb(196, 50, 10)', 'rgb(196, 50, 10)', 'rgb(180, 35, 24)']);

  // Closed window: an agent message brings the badge and the chime.
  await page.keyboard.press('Escape');
  await w.getByTestId('cw-window').waitFor({ state: 'hidden' });
  assert.deepEqual(await frame().evaluate(() => window.chimes), [], 'no chime for the visitor\'s own message');
  await amy.send({ type: 'send', conversation_id: conv, client_id: 'amy-chime-1', body: { kind: 'text', text: '您好，在的' } });
  await w.getByTestId('cw-unread').filter({ hasText: '1' }).waitFor();
  await frame().waitForFunction(() => window.chimes.length === 2);
  assert.deepEqual(await frame().evaluate(() => window.chimes), ['running', 'running'], 'the shopper clicked in the widget, so the chime may play');

  // With sound off the badge still counts, silently.
  await page.evaluate(() => window.ChatWidget('setTheme', { sound: false }));
  await amy.send({ type: 'send', conversation_id: conv, client_id: 'amy-chime-2', body: { kind: 'text', text: '请问有什么可以帮您？' } });
  await w.getByTestId('cw-unread').filter({ hasText: '2' }).waitFor();
  await page.waitForTimeout(300);
  assert.equal(await frame().evaluate(() => window.chimes.length), 2, 'no chime with sound off');
  await Promise.all([amy.close(), page.context().close()]);
});

test('mobile 390×844: the window takes the whole screen, inputs do not zoom, the page does not scroll behind', async () => {
  const { page, w } = await shop({ viewport: { width: 390, height: 844 } });
  await w.getByTestId('cw-launcher').waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'mobile-closed.png') });
  await openChat(w);
  const frameBox = await page.locator('iframe[data-testid=cw-frame]').boundingBox();
  assert.deepEqual([frameBox.width, frameBox.height], [390, 844]);
  const windowBox = await w.getByTestId('cw-window').boundingBox();
  assert.deepEqual([windowBox.width, windowBox.height], [390, 844]);
  assert.equal(await w.getByTestId('cw-launcher').isVisible(), false);
  assert.equal(await w.getByTestId('cw-input').evaluate((el) => getComputedStyle(el).fontSize), '16px');
  assert.ok((await w.getByTestId('cw-close').boundingBox()).height >= 44, 'the close button is easy to hit');
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).overflow), 'hidden');
  await w.getByTestId('cw-input').fill('手机上发的');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '手机上发的' }).waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'mobile-open.png') });
  await w.getByTestId('cw-close').click();
  await page.waitForFunction(() => getComputedStyle(document.documentElement).overflow !== 'hidden');
  await page.context().close();
});

test('until the shopper reaches for it the page holds only the loader\'s launcher (no iframe, no wasm); the pointer over it loads the widget, which takes its place', async () => {
  const requests = [];
  const { page, w } = await shop();
  page.on('request', (r) => requests.push(r.url()));
  const launcher = facade(page);
  await launcher.waitFor();
  await page.waitForLoadState('load');
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(await page.locator('iframe[data-testid=cw-frame]').count(), 0, 'no iframe before intent');
  assert.ok(!requests.some((u) => u.includes('/widget/') || u.endsWith('.wasm')), requests.join('\n'));
  assert.equal(await launcher.getAttribute('aria-label'), '在线咨询');
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(20, 86, 240)');
  assert.deepEqual(await page.evaluate(() => window.events.map((e) => e[0])), ['ready'], 'ready once the launcher is up');
  // The pointer goes over it: the widget loads, hidden, and then replaces it in the same place.
  const before = await launcher.boundingBox();
  await launcher.hover();
  await w.locator('[data-testid=cw-launcher]').waitFor();
  await page.locator('chat-widget').waitFor({ state: 'detached' });
  const after = await w.locator('[data-testid=cw-launcher]').boundingBox();
  // (Within a pixel: the pointer over either lifts it by one.)
  for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(after[k] - before[k]) <= 1, `${k}: ${JSON.stringify({ before, after })}`);
  await w.locator('[data-testid=cw-launcher]').click();
  await w.getByTestId('cw-window').waitFor();
  assert.deepEqual(await page.evaluate(() => window.events.map((e) => e[0])), ['ready', 'open'], 'ready fired once');
  await page.context().close();
});

test('a click on the loader\'s launcher opens the chat; calls made before the widget exists reach it in order; setTheme redraws the launcher before it loads', async () => {
  // The first look (before the queued setTheme) answers last: the later one must stay drawn.
  const { page, w } = await shop({
    head: "ChatWidget('setCustomField', { vipNo: 'v-1' }); ChatWidget('setTheme', { shape: 'bar', label: '联系客服' });",
    route: [`${edge.base}/api/v1/sites/wshop/launcher.js?*`, async (route) => {
      if (new URL(route.request().url()).searchParams.get('n') === '1') await new Promise((r) => setTimeout(r, 700));
      await route.continue();
    }],
  });
  const launcher = facade(page);
  await new Promise((r) => setTimeout(r, 1000));
  await page.locator('chat-widget .cw-label', { hasText: '联系客服' }).waitFor();
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).borderRadius), '22px');
  await page.evaluate(() => window.ChatWidget('setTheme', { primary: '#ffcc00' }));
  await page.waitForFunction(() => {
    const b = document.querySelector('chat-widget')?.shadowRoot?.querySelector('button');
    return b && getComputedStyle(b).backgroundColor === 'rgb(255, 204, 0)';
  });
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).color), 'rgb(0, 0, 0)', 'dark text on a light colour, as the widget picks it');
  assert.equal(await page.locator('iframe[data-testid=cw-frame]').count(), 0);
  // A click with no hover before it (a keyboard's Enter, a tap).
  await launcher.dispatchEvent('click');
  await w.getByTestId('cw-window').waitFor();
  await w.getByTestId('cw-input').fill('先设置的字段到了吗');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '先设置的字段到了吗' }).waitFor();
  // The widget got the calls made before it existed: its launcher is the yellow bar.
  assert.equal(await w.locator('.cw-shape-bar').count(), 1);
  assert.equal(await w.locator('.cw-launcher').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(255, 204, 0)');
  await page.context().close();
});

test('a returning visitor with a conversation going gets the widget after the page\'s load (an agent\'s message while away shows as unread); after the conversation ends, the launcher waits again', async () => {
  const context = await browser.newContext();
  // One browser (one localStorage for the shop's origin) across page views.
  const page = await context.newPage();
  const name = `keep-${crypto.randomBytes(4).toString('hex')}.html`;
  await page.route(`${edge.base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><head><meta charset="utf-8"><title>回访</title></head><body><h1>商品</h1>
    <script src="${edge.base}/w.js" data-site="wkeep" data-locale="zh-CN" async></script></body></html>` }));
  const visit = async () => { await page.goto(`${edge.base}/t/${name}`, { waitUntil: 'load' }); return widget(page); };
  const amy = await agentSocket(browser, edge, 'wkeep', 'amy', 'amy-password-1');
  let w = await visit();
  await facade(page).click();
  await w.getByTestId('cw-input').fill('我先走开一下');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '我先走开一下' }).waitFor();
  // A first-party flag on the shop's own origin, not a token.
  await page.waitForFunction(() => localStorage.getItem('cw:wkeep:keep') === '1');
  const got = await amy.waitFor((f) => f.type === 'message' && f.message.body.text === '我先走开一下');
  // The next page: the widget comes by itself after the page's load, and the agent's answer shows.
  w = await visit();
  await page.locator('iframe[data-testid=cw-frame]').waitFor({ state: 'attached' });
  const timing = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
  assert.ok(timing > 0, 'the page had loaded');
  await w.locator('[data-testid=cw-launcher]').waitFor();
  await amy.send({ type: 'send', conversation_id: got.message.conversation_id, client_id: 'back-1', body: { kind: 'text', text: '您回来啦' } });
  await w.getByTestId('cw-unread').filter({ hasText: '1' }).waitFor();
  // The shopper leaves; the agent ends the conversation meanwhile. The next page still loads the
  // widget (the flag is as the shopper left it), which finds nothing going and drops the flag...
  await page.goto('about:blank');
  await amy.send({ type: 'close', conversation_id: got.message.conversation_id });
  const id = JSON.stringify(got.message.conversation_id);
  await amy.waitFor({ toString: () => `(f) => (f.type === 'conversation_removed' && f.conversation_id === ${id}) || (f.type === 'conversation_updated' && f.conversation.conversation_id === ${id} && f.conversation.state === 'closed')` });
  await visit();
  await page.waitForFunction(() => localStorage.getItem('cw:wkeep:keep') === null);
  // ...so the page after it waits for the shopper again.
  await visit();
  await facade(page).waitFor();
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(await page.locator('iframe[data-testid=cw-frame]').count(), 0);
  await amy.close();
  await context.close();
});

test('a page the site does not allow gets no launcher that could never open (the widget is refused there, as before)', async () => {
  const page = await (await browser.newContext()).newPage();
  // Another origin: a web server of its own on this machine.
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><body><h1>别人的网站</h1><script src="${edge.base}/w.js" data-site="wshop" async></script></body></html>`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const elsewhere = `http://127.0.0.1:${server.address().port}`;
  const looks = [];
  page.on('request', (r) => { if (r.url().includes('/launcher.js')) looks.push(r.url()); });
  await page.goto(`${elsewhere}/t/other.html`, { waitUntil: 'load' });
  await page.locator('iframe[data-testid=cw-frame]').waitFor({ state: 'attached' });
  assert.equal(looks.length, 1, 'the look was asked for, and refused (origin_not_allowed)');
  assert.equal(await page.locator('chat-widget').count(), 0);
  await page.context().close();
  server.close();
});

test('the loader\'s launcher looks like the widget\'s: each shape, closed and under the pointer (pixel comparison)', async () => {
  const compare = async (page, a, b) => page.evaluate(async ([x, y]) => {
    const load = (b64) => new Promise((resolve) => { const i = new Image(); i.onload = () => resolve(i); i.src = `data:image/png;base64,${b64}`; });
    const [p, q] = await Promise.all([load(x), load(y)]);
    const pixels = (img) => { const c = document.createElement('canvas'); c.width = img.width; c.height = img.height; const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, img.width, img.height).data; };
    const [u, v] = [pixels(p), pixels(q)];
    let differ = 0;
    for (let i = 0; i < u.length; i += 4) if (Math.abs(u[i] - v[i]) + Math.abs(u[i + 1] - v[i + 1]) + Math.abs(u[i + 2] - v[i + 2]) > 24) differ += 1;
    return { differ, total: u.length / 4, same: p.width === q.width && p.height === q.height };
  }, [a.toString('base64'), b.toString('base64')]);
  for (const shape of ['circle', 'rounded', 'bar']) {
    const { page, w } = await shop({ attrs: `data-theme='${JSON.stringify({ shape, label: '在线咨询', primary: '#0f7b6c' })}'`, viewport: { width: 600, height: 400 } });
    // The widget is held back while the loader's launcher is photographed under the pointer.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route(`${edge.base}/widget/**`, async (route) => { await held; await route.continue(); });
    const clip = { x: 600 - 260, y: 400 - 110, width: 260, height: 110 };
    await facade(page).waitFor();
    await page.mouse.move(5, 5);
    const closedFacade = await page.screenshot({ clip });
    await facade(page).hover();
    await new Promise((r) => setTimeout(r, 300));
    const hoverFacade = await page.screenshot({ clip });
    await page.mouse.move(5, 5);
    release();
    await w.locator('[data-testid=cw-launcher]').waitFor();
    await page.locator('chat-widget').waitFor({ state: 'detached' });
    await new Promise((r) => setTimeout(r, 300));
    const closedWidget = await page.screenshot({ clip });
    await w.locator('[data-testid=cw-launcher]').hover();
    await new Promise((r) => setTimeout(r, 300));
    const hoverWidget = await page.screenshot({ clip });
    for (const [state, a, b] of [['closed', closedFacade, closedWidget], ['hover', hoverFacade, hoverWidget]]) {
      fs.writeFileSync(path.join(SHOTS, `facade-${shape}-${state}.png`), a);
      fs.writeFileSync(path.join(SHOTS, `widget-${shape}-${state}.png`), b);
      const diff = await compare(page, a, b);
      assert.ok(diff.same && diff.differ / diff.total <= 0.01, `${shape} ${state}: ${JSON.stringify(diff)}`);
    }
    await page.context().close();
  }
});
