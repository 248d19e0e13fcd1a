// The 报表 page against a known month: October 2026 is replayed through the real Desk (visitors
// over the public socket protocol, agents over theirs, the Desk's clock pinned at each step with
// the test clock that only a Worker started with TEST_CLOCK=1 has), then the owner reads the
// figures in the console and every one is checked against values worked out by hand below.
// Real Worker in workerd, the console in Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { launchBrowser, root, seedDemo, startEdge } from './harness.mjs';

const SITE = 'report-shop';
const SHOT_DIR = path.join(root, 'tests', 'artifacts');
const agents = [
  { id: 'alice', name: '小艾 Alice', password: 'alice-report-pass', role: 'admin' },
  { id: 'bob', name: '小博 Bob', password: 'bob-report-pass' },
];

let edge;
let browser;

/** Unix ms of a local time (the site's UTC+8) in October 2026. */
const at = (day, h, m = 0, s = 0) => Date.UTC(2026, 9, day, h, m, s) - 8 * 3_600_000;

async function post(pathname, body, token = edge.adminToken) {
  const res = await fetch(`${edge.base}/api/v1/sites/${SITE}/${pathname}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Pins the Desk's clock. */
async function clock(atMs) {
  const res = await post('test-clock', { at_ms: atMs });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** A socket that keeps its frames; `next(pred)` resolves with the first (past or future) match. */
function socket(url, first) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.frames = [];
    const waiting = [];
    let n = 0;
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify(first)));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      ws.frames.push(f);
      for (const w of waiting.splice(0)) if (!w(f)) waiting.push(w);
      if (f.type === 'ready') resolve(ws);
      if (f.type === 'error' && !ws.frames.some((x) => x.type === 'ready')) reject(new Error(JSON.stringify(f)));
    });
    ws.next = (pred, what = 'a frame') => new Promise((done, fail) => {
      const found = ws.frames.find(pred);
      if (found) return done(found);
      const timer = setTimeout(() => fail(new Error(`no ${what}; frames: ${JSON.stringify(ws.frames.slice(-5))}`)), 10_000);
      waiting.push((f) => (pred(f) ? (clearTimeout(timer), done(f), true) : false));
    });
    ws.id = () => `t${n += 1}-${Math.random().toString(16).slice(2)}`;
  });
}

/** A shopper whose socket opens the session; `say` waits for the Desk's ack. */
async function shopper(session) {
  const ws = await socket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/ws`, { type: 'open', session });
  ws.conversation = ws.frames.find((f) => f.type === 'session').session.conversation_id;
  ws.say = async (text) => {
    const id = ws.id();
    ws.send(JSON.stringify({ type: 'send', client_id: id, body: { kind: 'text', text } }));
    await ws.next((f) => f.type === 'ack' && f.client_id === id, `ack of ${text}`);
  };
  return ws;
}

/** An agent signed in through the login API and its socket (presence online). */
async function agent(id) {
  const a = agents.find((x) => x.id === id);
  const login = await fetch(`${edge.base}/api/v1/sites/${SITE}/agents/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agent: a.id, password: a.password }),
  });
  const { token } = await login.json();
  const ws = await socket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/agents/ws`, { type: 'auth', token });
  ws.holds = (conversation) => ws.next((f) => f.type === 'conversation_updated' && f.conversation.conversation_id === conversation
    && f.conversation.state === 'active', `${id} holding ${conversation}`);
  ws.say = async (conversation, text) => {
    const cid = ws.id();
    ws.send(JSON.stringify({ type: 'send', conversation_id: conversation, client_id: cid, body: { kind: 'text', text } }));
    await ws.next((f) => f.type === 'ack' && f.client_id === cid, `ack of ${text}`);
  };
  ws.presence = async (status) => {
    ws.send(JSON.stringify({ type: 'presence', status }));
    // The Desk has read it once it answers a later frame.
    ws.send(JSON.stringify({ type: 'stats' }));
    const seen = ws.frames.filter((f) => f.type === 'stats').length;
    await ws.next((f) => f.type === 'stats' && ws.frames.filter((x) => x.type === 'stats').length > seen, 'stats');
  };
  ws.closeConversation = async (conversation, visitor) => {
    ws.send(JSON.stringify({ type: 'close', conversation_id: conversation }));
    await visitor.next((f) => f.type === 'status' && f.state === 'closed', 'the close');
  };
  return ws;
}

const page = (p, extra = {}) => ({ page_url: `https://shop.example${p}`, page_title: p, locale: 'zh-CN', ...extra });

before(async () => {
  edge = await startEdge({ vars: { TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  await seedDemo(edge, SITE, {
    name: '报表测试商城',
    greeting: '',
    agents,
    groups: [
      { id: 'presale', name: '售前', agents: ['alice', 'bob'], strategy: 'load', accept: 'auto' },
      { id: 'aftersale', name: '售后', agents: ['bob'], strategy: 'load', accept: 'auto' },
    ],
    routing: {
      fallback_group: 'presale',
      rules: [{ name: '订单页', group: 'aftersale', conditions: [{ on: 'page_url', contains: '/orders' }] }],
      service_hours: { utc_offset_minutes: 480, weekly: Array(7).fill(['00:00-24:00']) },
    },
  });
  await clock(at(1, 8));
  await replayOctober();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

/**
 * October, by hand (local times):
 * - 10-01 09:00 alice signs in. c1 09:10 (from Baidu's 双11 campaign, 蓝牙耳机): alice gets it at
 *   09:10, answers 09:10:30 (30 s), they write twice more, she closes it 09:20 (600 s); ★5.
 * - c2 10:00 (the same shopper, back from Google, 蓝牙耳机): alice gets it at 10:00, answers 10:01 (60 s); bob signs in
 *   10:05; alice hands it to bob 10:06; bob answers 10:07, the shopper 10:08; bob closes 10:15
 *   (900 s from 10:00); ★3. alice away 12:00-13:00; both sign out 18:00.
 * - 10-02 bob signs in 09:00. c3 14:00 on /orders (售后): bob answers 14:00:10 (10 s), closes 14:30
 *   (1800 s); ★4. bob away 19:00. c4 20:00 (跑鞋): nobody online, it waits; the shopper leaves a
 *   message 20:05: missed. bob signs out 21:00.
 * - 10-15 c5 11:00 on a phone (蓝牙耳机): it waits; alice signs in 11:02 and gets it, answers 11:04
 *   (120 s from 11:02); still going at 12:00, when the report is read.
 */
async function replayOctober() {
  await clock(at(1, 9));
  const alice = await agent('alice');
  await clock(at(1, 9, 10));
  const v1 = await shopper(page('/p/earbuds?utm_source=baidu&utm_campaign=%E5%8F%8C11', {
    referrer: 'https://www.baidu.com/s?wd=%E8%80%B3%E6%9C%BA',
    landing_url: 'https://shop.example/p/earbuds?utm_source=baidu&utm_campaign=%E5%8F%8C11',
    custom_fields: { product: '蓝牙耳机' },
  }));
  await v1.say('这款蓝牙耳机有货吗');
  await alice.holds(v1.conversation);
  await clock(at(1, 9, 10, 30));
  await alice.say(v1.conversation, '有货的，今天下单明天到');
  await clock(at(1, 9, 11));
  await v1.say('好的');
  await clock(at(1, 9, 12));
  await alice.say(v1.conversation, '不客气');
  await clock(at(1, 9, 20));
  await alice.closeConversation(v1.conversation, v1);
  v1.send(JSON.stringify({ type: 'rate', score: 5, comment: '很快' }));
  await v1.next((f) => f.type === 'rated', 'rated');

  await clock(at(1, 10));
  // The same shopper again (his browser kept the token), this time from Google.
  const token = v1.frames.find((f) => f.type === 'session').session.token;
  const v2 = await shopper(page('/p/earbuds', { resume_token: token, referrer: 'https://www.google.com/', landing_url: 'https://shop.example/p/earbuds', custom_fields: { product: '蓝牙耳机' } }));
  assert.notEqual(v2.conversation, v1.conversation);
  await v2.say('蓝牙耳机怎么退货');
  await alice.holds(v2.conversation);
  await clock(at(1, 10, 1));
  await alice.say(v2.conversation, '七天内可以无理由退货');
  await clock(at(1, 10, 5));
  const bob = await agent('bob');
  await clock(at(1, 10, 6));
  alice.send(JSON.stringify({ type: 'transfer', conversation_id: v2.conversation, to_agent: 'bob' }));
  await bob.holds(v2.conversation);
  await clock(at(1, 10, 7));
  await bob.say(v2.conversation, '您好，我是售后小博');
  await clock(at(1, 10, 8));
  await v2.say('好的');
  await clock(at(1, 10, 15));
  await bob.closeConversation(v2.conversation, v2);
  v2.send(JSON.stringify({ type: 'rate', score: 3, comment: '' }));
  await v2.next((f) => f.type === 'rated', 'rated');

  await clock(at(1, 12));
  await alice.presence('away');
  await clock(at(1, 13));
  await alice.presence('online');
  await clock(at(1, 18));
  await alice.presence('offline');
  await bob.presence('offline');
  for (const ws of [alice, bob, v1, v2]) ws.close();

  await clock(at(2, 9));
  const bob2 = await agent('bob');
  await clock(at(2, 14));
  const v3 = await shopper(page('/orders'));
  await v3.say('我想退货');
  await bob2.holds(v3.conversation);
  await clock(at(2, 14, 0, 10));
  await bob2.say(v3.conversation, '请提供订单号');
  await clock(at(2, 14, 30));
  await bob2.closeConversation(v3.conversation, v3);
  v3.send(JSON.stringify({ type: 'rate', score: 4, comment: '' }));
  await v3.next((f) => f.type === 'rated', 'rated');
  await clock(at(2, 19));
  await bob2.presence('away');
  await clock(at(2, 20));
  const v4 = await shopper(page('/p/shoes', { custom_fields: { product: '跑鞋' } }));
  await v4.say('尺码偏大吗');
  await v4.next((f) => f.type === 'leave_message_form', 'the leave-message form');
  await clock(at(2, 20, 5));
  v4.send(JSON.stringify({ type: 'leave_message', fields: { name: '王五', phone: '13800000000', message: '尺码偏大吗' } }));
  await v4.next((f) => f.type === 'status' && f.state === 'closed', 'the close after the left message');
  await clock(at(2, 21));
  await bob2.presence('offline');
  for (const ws of [bob2, v3, v4]) ws.close();

  await clock(at(15, 11));
  const v5 = await shopper(page('/p/earbuds', { channel: 'mobile_web', custom_fields: { product: '蓝牙耳机' } }));
  await v5.say('蓝牙耳机什么时候发货');
  await v5.next((f) => f.type === 'status' && f.state === 'queued', 'the queue');
  await clock(at(15, 11, 2));
  const alice3 = await agent('alice');
  await alice3.holds(v5.conversation);
  await clock(at(15, 11, 4));
  await alice3.say(v5.conversation, '今天下午发货');
  await clock(at(15, 12));
  alice3.close();
  v5.close();
  conversations.push(v1.conversation, v2.conversation, v3.conversation, v4.conversation, v5.conversation);
}

const conversations = [];

async function shoot(p, name) {
  await p.screenshot({ path: path.join(SHOT_DIR, name), fullPage: true });
}

/** Signs `who` in to the workbench and opens the reports from it (a tab of their own, as an
 * agent does); returns both pages, the reports showing October. */
async function openReports({ viewport = { width: 1440, height: 900 }, colorScheme = 'light', who = agents[0], expect = '5' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, locale: 'zh-CN', acceptDownloads: true });
  const desk = await context.newPage();
  await desk.goto(`${edge.base}/console/?site=${SITE}`);
  await desk.getByTestId('login-agent').fill(who.id);
  await desk.getByTestId('login-password').fill(who.password);
  await desk.getByTestId('login-submit').click();
  await desk.locator('[data-testid=lists][aria-busy=false]').waitFor({ state: 'attached' });
  const [p] = await Promise.all([desk.waitForEvent('popup'), desk.getByTestId('open-reports').click()]);
  await p.getByTestId('report').waitFor();
  await p.getByTestId('report-from').fill('2026-10-01');
  await p.getByTestId('report-to').fill('2026-10-31');
  await p.getByTestId('report-to').dispatchEvent('change');
  await p.locator('[data-testid=r-conversations]', { hasText: expect }).waitFor();
  return { p, desk };
}

const cells = (p, table) => p.locator(`[data-testid=${table}] tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));

test('the month\'s figures, replayed through the Desk, are the ones worked out by hand', async () => {
  const { p } = await openReports();
  const tile = (id) => p.getByTestId(id).textContent();
  assert.equal(await tile('r-conversations'), '5');
  assert.equal(await tile('r-served'), '4');
  // First responses 30 s, 60 s, 10 s, 120 s: the median (rank 2 of 4) and p90 (rank 4).
  assert.equal(await tile('r-first-median'), '30秒');
  assert.equal(await tile('r-first-p90'), '2分00秒');
  // Ended after an agent: 600 s, 900 s, 1800 s.
  assert.equal(await tile('r-handling'), '18分20秒');
  assert.equal(await tile('r-missed'), '1');
  assert.equal(await tile('r-left'), '1');
  assert.equal(await tile('r-transfers'), '1');
  assert.equal(await tile('r-csat'), '4.00 ★');

  const days = (await cells(p, 'table-time')).filter((r) => r[1] !== '0');
  assert.deepEqual(days.map((r) => r.slice(0, 4)), [
    ['2026-10-01', '2', '2', '30秒'],
    ['2026-10-02', '2', '1', '10秒'],
    ['2026-10-15', '1', '1', '2分00秒'],
  ]);
  // Messages of shoppers and agents: 4 + 4 on the 1st, 2 + 1 on the 2nd, 2 on the 15th.
  assert.deepEqual(days.map((r) => r[6]), ['4.00', '1.50', '2.00']);

  const byAgent = await cells(p, 'table-split');
  assert.deepEqual(byAgent.map((r) => r.slice(0, 6)), [
    ['小艾 Alice', '2', '2', '30秒', '2分00秒', '10分00秒'],
    ['小博 Bob', '2', '2', '10秒', '1分00秒', '22分30秒'],
    ['（无）', '1', '0', '–', '–', '–'],
  ]);
  // Alice: 09:00-12:00 and 13:00-18:00 on the 1st, 11:02-12:00 on the 15th; away an hour. Bob:
  // 10:05-18:00 on the 1st, 09:00-19:00 on the 2nd, then away until 21:00.
  assert.deepEqual(await cells(p, 'table-presence'), [['小艾 Alice', '8时58分', '1时00分'], ['小博 Bob', '17时55分', '2时00分']]);

  const topics = await cells(p, 'table-topics');
  assert.deepEqual(topics.map((r) => r.slice(0, 4)), [['蓝牙耳机', '3', '0', '↑'], ['退货', '2', '0', '↑']]);
  assert.deepEqual((await cells(p, 'table-pages')).map((r) => r.slice(0, 3)), [['/p/earbuds', '3', '0'], ['/orders', '1', '0'], ['/p/shoes', '1', '1']]);
  assert.deepEqual((await cells(p, 'table-products')).map((r) => r.slice(0, 2)), [['蓝牙耳机', '3'], ['跑鞋', '1']]);
  const sources = await cells(p, 'table-sources');
  assert.deepEqual(sources.map((r) => r.slice(0, 5)), [
    ['direct', '3', '1', '1', '4.00'],
    ['baidu / 双11', '1', '0', '1', '5.00'],
    ['www.google.com', '1', '0', '1', '3.00'],
  ]);

  // The charts draw the same numbers: a bar per day, the 1st's as tall as the 2nd's.
  const bars = await p.locator('[data-testid=chart-volume] rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.dataset.value)));
  assert.equal(bars.length, 31);
  assert.deepEqual([bars[0], bars[1], bars[14]], [2, 2, 1]);
  assert.deepEqual(await p.locator('[data-testid=chart-csat] rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.dataset.value))), [0, 0, 1, 1, 1]);
  await shoot(p, 'reports-desktop.png');
  await p.context().close();
});

test('each table saves as CSV with what it shows; a hot question opens its conversations in the workbench', async () => {
  const { p, desk } = await openReports();
  const [download] = await Promise.all([p.waitForEvent('download'), p.locator('[data-testid=table-split] [data-testid=csv]').click()]);
  assert.equal(download.suggestedFilename(), 'report-agents-2026-10-01_2026-10-31.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.equal(lines[0], '客服,会话数,已接待,首次响应（中位）,首次响应（P90）,平均处理时长,消息数/会话,未接入,留言,转接,评价数,满意度,实名访客');
  assert.equal(lines[1], '小艾 Alice,2,2,30秒,2分00秒,10分00秒,3.00,0,0,0,1,5.00,0%');
  assert.equal(lines.length, 4);

  // 退货: c3 then c2, newest first; the first opens its transcript on the workbench.
  const row = p.locator('[data-testid=topic][data-word=退货]');
  await row.locator('summary').click();
  const ids = await row.getByTestId('topic-conversation').evaluateAll((bs) => bs.map((b) => b.dataset.conversation));
  assert.deepEqual(ids, [conversations[2], conversations[1]]);
  await row.getByTestId('topic-conversation').first().click();
  await desk.locator('[data-testid=message]', { hasText: '我想退货' }).waitFor();

  // c2's shopper came back from Google; the sidebar says so, and lists his first chat (c1) with
  // what it was about.
  const earbuds = p.locator('[data-testid=topic][data-word=蓝牙耳机]');
  await earbuds.locator('summary').click();
  await earbuds.locator(`[data-testid=topic-conversation][data-conversation="${conversations[1]}"]`).click();
  await desk.locator('[data-testid=message]', { hasText: '蓝牙耳机怎么退货' }).waitFor();
  assert.equal(await desk.locator('[data-testid=profile-came-from] dd').textContent(),
    'www.google.com (https://www.google.com/ → https://shop.example/p/earbuds)');
  const past = desk.getByTestId('past-conversation');
  assert.equal(await past.count(), 1);
  assert.match(await past.textContent(), /已结束 · \d+ 条消息 ★★★★★这款蓝牙耳机有货吗/);
  await desk.screenshot({ path: path.join(SHOT_DIR, 'reports-opened-in-workbench.png') });
  await p.context().close();
});

test('an agent who is not an admin sees his own conversations; the days are checked before asking', async () => {
  // Bob's own month: c2 and c3.
  const { p: b } = await openReports({ who: agents[1], expect: '2' });
  assert.equal(await b.getByTestId('report-agent').count(), 0, 'no agent filter for an agent');
  assert.deepEqual((await cells(b, 'table-split')).map((r) => r.slice(0, 2)), [['小博 Bob', '2']]);
  assert.deepEqual((await cells(b, 'table-presence')).map((r) => r[0]), ['小博 Bob']);
  // A range that ends before it starts is refused on the page, before it is asked.
  await b.getByTestId('report-from').fill('2026-11-02');
  await b.getByTestId('report-from').dispatchEvent('change');
  assert.equal(await b.getByTestId('report-error').textContent(), 'to is before from');
  // The Desk answers an agent's token with his own figures whatever he asks for.
  const token = await b.evaluate(() => JSON.parse(sessionStorage.getItem('console:session')).token);
  const asked = await post('reports', { from: '2026-10-01', to: '2026-10-31', agent: 'alice' }, token);
  assert.equal(asked.status, 200);
  assert.deepEqual([asked.body.query.agent, asked.body.total.conversations], ['bob', 2]);
  assert.equal((await post('reports', { from: '2026-10-31', to: '2026-10-01' }, token)).body.error.code, 'bad_request');
  assert.equal((await post('reports', { from: '2026-10-01', to: '2026-10-31' }, 'a_not-a-token')).status, 401);
  await b.context().close();
});

test('screenshots of the report page: 390 px phone and dark', async () => {
  const { p: phone } = await openReports({ viewport: { width: 390, height: 844 } });
  await shoot(phone, 'reports-phone.png');
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page fits a phone (${width} px)`);
  await phone.context().close();
  const { p: dark } = await openReports({ colorScheme: 'dark' });
  const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(23, 24, 26)');
  await shoot(dark, 'reports-dark.png');
  await dark.context().close();
});
