// The workbench's lists as an agent works them: each conversation shows the visitor's name, one
// line of the newest message with its time, the unread count (the Desk's, so a reload keeps it),
// its channel, plugin and session groups and, while the visitor waits for an answer, for how long,
// amber then red at the site's thresholds. Real Worker in workerd, the console in Chromium,
// visitors over the public socket protocol (the session opened by the socket's first frame).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { launchBrowser, root, seedDemo, startEdge } from './harness.mjs';

const SITE = 'worklist';
const SHOT_DIR = path.join(root, 'tests', 'artifacts');
const agents = [{ id: 'alice', name: '小艾 Alice', password: 'alice-demo-pass', max_sessions: 1 }];

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  await seedDemo(edge, SITE, {
    name: '列表测试商城',
    greeting: '',
    agents,
    groups: [{ id: 'presale', name: '售前', agents: ['alice'], strategy: 'load', accept: 'pending' }],
    routing: { fallback_group: 'presale' },
    workbench: {
      session_groups: [{ id: 'vip', name: 'VIP 客户', conditions: [{ on: 'visitor', field: 'vip', equals: 'true' }] }],
      wait_warn_secs: 2,
      wait_alert_secs: 6,
    },
  });
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

/** A shopper: a socket whose first frame opens the session; `say` sends a text and waits for its ack. */
function shopper(session) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/ws`);
    const acks = new Map();
    let n = 0;
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'open', session })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'session') ws.session = f.session;
      if (f.type === 'ready') resolve(ws);
      if (f.type === 'ack') acks.get(f.client_id)?.();
    });
    ws.say = (text) => new Promise((done) => {
      const id = `s${n += 1}-${Math.random().toString(16).slice(2)}`;
      acks.set(id, done);
      ws.send(JSON.stringify({ type: 'send', client_id: id, body: { kind: 'text', text } }));
    });
  });
}

async function console_(viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${edge.base}/console/?site=${SITE}`);
  await page.getByTestId('login-agent').fill('alice');
  await page.getByTestId('login-password').fill(agents[0].password);
  await page.getByTestId('login-submit').click();
  await page.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  return page;
}

const item = (page, list, id) => page.locator(`[data-testid=list-${list}] [data-conversation="${id}"]`);
const hhmm = (d = new Date()) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

test('each list item says who, what and when, how many unread, and how long the visitor has waited', async () => {
  const page = await console_();
  // A VIP visitor writes two lines: offered to Alice (she accepts by hand).
  const vip = await shopper({ page_url: 'https://shop.example/p/1', custom_fields: { vip: 'true' } });
  await vip.say('\n 请问这款蓝牙耳机有货吗？\n 想今天下单');
  const a = vip.session.conversation_id;
  const pending = item(page, 'pending', a);
  await pending.getByTestId('preview').filter({ hasText: '请问这款蓝牙耳机有货吗？' }).waitFor();
  assert.equal(await pending.getByTestId('preview').textContent(), '请问这款蓝牙耳机有货吗？', 'the first line only');
  assert.match(await pending.getByTestId('when').textContent(), /^\d\d:\d\d$/);
  assert.equal(await pending.getByTestId('group').textContent(), 'VIP 客户');
  assert.equal(await pending.getByTestId('unread').textContent(), '1');
  // The wait turns amber after 2 s and red after 6 s (the site's thresholds).
  await pending.locator('[data-testid=waiting][data-level=warn]').waitFor({ timeout: 15_000 });
  await pending.locator('[data-testid=waiting][data-level=alert]').waitFor({ timeout: 15_000 });
  assert.match(await pending.getByTestId('waiting').textContent(), /^等待 \d+秒$/);

  // Alice is full (one chat): the next visitor waits in the queue, and his news reach the board.
  const other = await shopper({ page_url: 'https://shop.example/p/2' });
  await other.say('发票怎么开？');
  const b = other.session.conversation_id;
  const queued = item(page, 'queued', b);
  await queued.getByTestId('preview').filter({ hasText: '发票怎么开？' }).waitFor();
  await queued.getByTestId('waiting').waitFor();
  await other.say('在吗？');
  await queued.getByTestId('preview').filter({ hasText: '在吗？' }).waitFor();
  assert.equal(await queued.getByTestId('group').count(), 0, 'not a VIP');
  await page.screenshot({ path: path.join(SHOT_DIR, 'console-worklist-desktop.png') });

  // Alice accepts: the item moves to her chats, read.
  await pending.click();
  await page.getByTestId('accept').click();
  const mine = item(page, 'mine', a);
  await mine.waitFor();
  assert.equal(await mine.getByTestId('unread').count(), 0, 'read once opened');
  // The visitor writes again while Alice reads the queued chat: one unread, waiting again.
  await queued.click();
  await vip.say('还有白色的吗');
  await mine.getByTestId('preview').filter({ hasText: '还有白色的吗' }).waitFor();
  await mine.getByTestId('waiting').waitFor();
  assert.equal(await mine.getByTestId('unread').textContent(), '1');
  // A reload keeps the count: the Desk counts what the agents have not read.
  await page.reload();
  await page.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  await item(page, 'mine', a).getByTestId('unread').filter({ hasText: '1' }).waitFor();
  assert.equal(await item(page, 'mine', a).getByTestId('preview').textContent(), '还有白色的吗');
  await page.screenshot({ path: path.join(SHOT_DIR, 'console-worklist-desktop-unread.png') });

  // Alice answers: her answer is the news, nobody waits, nothing unread; a reload agrees.
  await item(page, 'mine', a).click();
  await page.getByTestId('reply-input').fill('有货的，白色也有');
  await page.getByTestId('reply-input').press('Enter');
  await item(page, 'mine', a).getByTestId('preview').filter({ hasText: '客服：有货的，白色也有' }).waitFor();
  assert.equal(await item(page, 'mine', a).getByTestId('waiting').count(), 0, 'answered: nobody waits');
  assert.equal(await item(page, 'mine', a).getByTestId('unread').count(), 0);
  assert.equal(await item(page, 'mine', a).getByTestId('when').textContent(), hhmm());
  await page.reload();
  await page.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  await item(page, 'mine', a).getByTestId('preview').filter({ hasText: '有货的' }).waitFor();
  assert.equal(await item(page, 'mine', a).getByTestId('unread').count(), 0);
  assert.equal(await item(page, 'mine', a).getByTestId('waiting').count(), 0);

  // A phone-sized console shows the same items, in one column that fits the screen: the lists,
  // then the picked conversation, its visitor's sidebar on demand, and back.
  const phone = await console_({ width: 390, height: 844 });
  await item(phone, 'queued', b).getByTestId('preview').filter({ hasText: '在吗？' }).waitFor();
  const width = () => phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(await width() <= 390, `the lists fit the phone (${await width()} px)`);
  await phone.screenshot({ path: path.join(SHOT_DIR, 'console-worklist-phone.png'), fullPage: true });
  await item(phone, 'queued', b).click();
  await phone.locator('[data-testid=message]', { hasText: '在吗？' }).waitFor();
  assert.equal(await phone.getByTestId('list-queued').isVisible(), false, 'the conversation takes the lists\' place');
  assert.ok(await width() <= 390, `the conversation fits the phone (${await width()} px)`);
  await phone.screenshot({ path: path.join(SHOT_DIR, 'console-conversation-phone.png') });
  await phone.getByTestId('show-profile').click();
  await phone.getByTestId('profile-name').waitFor();
  assert.equal(await phone.getByTestId('log').isVisible(), false);
  await phone.screenshot({ path: path.join(SHOT_DIR, 'console-sidebar-phone.png') });
  await phone.getByTestId('hide-profile').click();
  await phone.getByTestId('log').waitFor();
  await phone.getByTestId('back-to-lists').click();
  await phone.getByTestId('list-queued').waitFor();
  // On a desktop none of the phone's buttons show.
  assert.equal(await page.getByTestId('back-to-lists').isVisible(), false);
  vip.close();
  other.close();
  await phone.context().close();
  await page.context().close();
});

test('the waiting thresholds are site settings, checked where they are set', async () => {
  const res = await fetch(`${edge.base}/api/v1/sites/${SITE}/config`, { headers: { authorization: `Bearer ${edge.adminToken}` } });
  const config = await res.json();
  assert.deepEqual([config.workbench.wait_warn_secs, config.workbench.wait_alert_secs], [2, 6]);
  const bad = { ...config, workbench: { ...config.workbench, wait_warn_secs: 10, wait_alert_secs: 5 } };
  const put = await fetch(`${edge.base}/api/v1/sites/${SITE}/config`, {
    method: 'PUT', headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(bad),
  });
  const body = await put.json();
  assert.equal(put.status, 400, JSON.stringify(body));
  assert.match(body.error.message, /wait_alert_secs/);
});

test('a Worker run without TEST_CLOCK has no test clock, even for the admin token', async () => {
  const pin = (token) => fetch(`${edge.base}/api/v1/sites/${SITE}/test-clock`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ at_ms: 0 }),
  });
  assert.equal((await pin('not-the-admin-token')).status, 401);
  const res = await pin(edge.adminToken);
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, 'not_found');
  // The Desk's clock still runs: a new conversation's time is now, not 1970.
  const ws = await shopper({ page_url: 'https://shop.example/clock', locale: 'zh-CN' });
  const before = Date.now();
  await ws.say('现在几点');
  const stamp = await new Promise((resolve) => {
    ws.on('message', (data) => { const f = JSON.parse(String(data)); if (f.type === 'message') resolve(f.message.at_ms); });
    ws.send(JSON.stringify({ type: 'history', before_seq: 1_000_000 }));
  });
  assert.ok(Math.abs(stamp - before) < 60_000, `stamped ${stamp}, now ${before}`);
  ws.close();
});
