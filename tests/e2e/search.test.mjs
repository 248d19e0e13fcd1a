// Searching every conversation of a site from the workbench, as an agent does: Chinese substrings
// (one character or several), English words and prefixes, order numbers, the visitor's name and
// phone, and the filters (agent, channel, rating, dates); a hit opens the transcript. Real Worker
// in workerd (SQLite FTS5 in the Desk), the console in Chromium, visitors and agents over the
// public socket protocol.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { frameSocket, launchBrowser, root, seedDemo, startEdge, until } from './harness.mjs';

const SITE = 'searchshop';
const SHOT_DIR = path.join(root, 'tests', 'artifacts');
const KEY = Buffer.alloc(32, 9).toString('base64');
const agents = [
  { id: 'amy', name: 'Amy 小美', password: 'amy-search-pass', max_sessions: 10 },
  { id: 'ben', name: 'Ben 小本', password: 'ben-search-pass', max_sessions: 10 },
];

let edge;
let browser;
const convs = {};

const socket = (p, first) => frameSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/${p}`, first);

async function agentSocket(id) {
  const a = agents.find((x) => x.id === id);
  const res = await fetch(`${edge.base}/api/v1/sites/${SITE}/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: id, password: a.password }) });
  const { token } = await res.json();
  return socket('agents/ws', { type: 'auth', token });
}

/** A visitor who opens through `entry` and writes `text`; the agent's socket answers `answer`. */
async function chat({ entry, text, answer, agent, session = {} }) {
  const v = await socket('ws', { type: 'open', session: { entry, ...session } });
  const conversation = v.frames.find((f) => f.type === 'session').session.conversation_id;
  v.send(JSON.stringify({ type: 'send', client_id: `v-${crypto.randomUUID()}`, body: { kind: 'text', text } }));
  await until(() => agent.frames.some((f) => f.type === 'message' && f.message.conversation_id === conversation), `${text} at the agent`);
  agent.send(JSON.stringify({ type: 'send', conversation_id: conversation, client_id: `a-${crypto.randomUUID()}`, body: { kind: 'text', text: answer } }));
  await until(() => v.frames.some((f) => f.type === 'message' && f.message.body.text === answer), `${answer} at the visitor`);
  return { v, conversation };
}

function ecb(payload) {
  const c = crypto.createCipheriv('aes-256-ecb', Buffer.from(KEY, 'base64'), null);
  return Buffer.concat([c.update(JSON.stringify(payload), 'utf8'), c.final()]).toString('hex').toUpperCase();
}

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  await seedDemo(edge, SITE, {
    name: '搜索测试商城',
    greeting: '',
    agents,
    groups: [{ id: 'all', name: '全部', agents: ['amy', 'ben'], strategy: 'load', accept: 'auto' }],
    allowed_origins: [edge.base],
    identity: { keys: [KEY], verification_fields: ['full_name', 'phone'], accept_ecb: true, accept_v2: true },
    routing: { fallback_group: 'all', entries: [{ id: 'to-amy', agent: 'amy' }, { id: 'to-ben', agent: 'ben' }] },
  });
  const amy = await agentSocket('amy');
  const ben = await agentSocket('ben');
  const zhang = await chat({
    entry: 'to-amy', agent: amy, text: '我要退货，订单A1001号的耳机坏了', answer: '好的，请提供照片',
    session: { identity: ecb({ full_name: '张三', phone: '13800000001' }) },
  });
  convs.zhang = zhang.conversation;
  const shoes = await chat({ entry: 'to-ben', agent: ben, text: 'Do you have Blue Shoes in size 42?', answer: 'Yes, we do.' });
  convs.shoes = shoes.conversation;
  const invoice = await chat({ entry: 'to-amy', agent: amy, text: '发票怎么开？', answer: '在订单页申请即可', session: { channel: 'mobile_web' } });
  convs.invoice = invoice.conversation;
  // Amy closes the invoice chat; the visitor gives it five stars.
  amy.send(JSON.stringify({ type: 'close', conversation_id: convs.invoice }));
  await until(() => invoice.v.frames.some((f) => f.type === 'status' && f.state === 'closed'), 'closed');
  invoice.v.send(JSON.stringify({ type: 'rate', score: 5, comment: '很快' }));
  await until(() => invoice.v.frames.some((f) => f.type === 'rated'), 'rated');
  for (const ws of [zhang.v, shoes.v, invoice.v, amy, ben]) ws.close();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

async function consolePage(viewport = { width: 1440, height: 900 }) {
  const page = await (await browser.newContext({ viewport, locale: 'zh-CN' })).newPage();
  await page.goto(`${edge.base}/console/?site=${SITE}`);
  await page.getByTestId('login-agent').fill('amy');
  await page.getByTestId('login-password').fill(agents[0].password);
  await page.getByTestId('login-submit').click();
  await page.locator('[data-testid=online]', { hasText: '●' }).waitFor();
  return page;
}

/** Types `text` into the search box, submits, and returns the conversations found, in order. */
async function search(page, text) {
  await page.getByTestId('search-input').fill(text);
  await page.getByTestId('search-input').press('Enter');
  return found(page);
}

async function found(page) {
  await page.locator('[data-testid=search-results][aria-busy=false]').waitFor();
  return page.locator('[data-testid=search-hit]').evaluateAll((els) => els.map((e) => e.dataset.conversation));
}

test('message text finds its conversations: Chinese substrings of any length, English words and prefixes, order numbers; name and phone find the visitor', async () => {
  const page = await consolePage();
  assert.deepEqual(await search(page, '退货'), [convs.zhang]);
  assert.match(await page.getByTestId('snippet').first().textContent(), /我要退货/);
  assert.deepEqual(await search(page, '货'), [convs.zhang], 'one character');
  assert.deepEqual(await search(page, '耳机坏了'), [convs.zhang]);
  assert.deepEqual(await search(page, '退 耳机'), [convs.zhang], 'two terms, both present');
  assert.deepEqual(await search(page, '退货 发票'), [], 'two terms, never in one conversation');
  assert.deepEqual(await search(page, 'blue sh'), [convs.shoes], 'a prefix of the last word');
  assert.deepEqual(await search(page, 'SHOES'), [convs.shoes], 'any case');
  assert.deepEqual(await search(page, 'a1001'), [convs.zhang], 'an order number');
  assert.deepEqual(await search(page, '申请'), [convs.invoice], "an agent's words too");
  assert.deepEqual(await search(page, '张三'), [convs.zhang], 'the name');
  assert.deepEqual(await search(page, '13800000'), [convs.zhang], 'part of the phone');
  assert.deepEqual(await search(page, '%'), [], 'a wildcard is a character, not everything');
  assert.deepEqual(await search(page, '" OR *'), [], 'query syntax is only text');
  await page.getByTestId('search-none').waitFor();
  // An empty search lists every conversation, newest first.
  assert.deepEqual(await search(page, ''), [convs.invoice, convs.shoes, convs.zhang]);
  await page.context().close();
});

test('filters narrow a search; a hit opens the transcript, read-only when someone else holds it', async () => {
  const page = await consolePage();
  await search(page, '');
  await page.getByTestId('search-filters').click();
  await page.getByTestId('search-agent').selectOption('ben');
  assert.deepEqual(await found(page), [convs.shoes]);
  assert.equal(await page.getByTestId('hit-agent').textContent(), 'Ben 小本');
  await page.getByTestId('search-agent').selectOption('');
  await page.getByTestId('search-rating').selectOption('5');
  assert.deepEqual(await found(page), [convs.invoice]);
  assert.equal(await page.locator('[data-testid=search-hit] [data-testid=score]').textContent(), '★★★★★');
  await page.getByTestId('search-rating').selectOption('');
  await page.getByTestId('search-channel').selectOption('mobile_web');
  assert.deepEqual(await found(page), [convs.invoice]);
  await page.getByTestId('search-channel').selectOption('');
  const day = (offset) => { const d = new Date(Date.now() + offset * 86_400_000); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; };
  await page.getByTestId('search-from').fill(day(1));
  assert.deepEqual(await found(page), [], 'nothing starts tomorrow');
  await page.getByTestId('search-from').fill(day(0));
  await page.getByTestId('search-to').fill(day(0));
  assert.equal((await found(page)).length, 3, 'all three started today');
  await page.screenshot({ path: path.join(SHOT_DIR, 'console-search-desktop.png') });

  // Ben's chat opens read-only for Amy, with its messages.
  await page.getByTestId('search-input').fill('blue');
  await page.getByTestId('search-input').press('Enter');
  await found(page);
  await page.locator(`[data-testid=search-hit][data-conversation="${convs.shoes}"]`).click();
  await page.locator('[data-testid=message][data-author=visitor]', { hasText: 'Do you have Blue Shoes in size 42?' }).waitFor();
  await page.locator('[data-testid=message][data-author=agent]', { hasText: 'Yes, we do.' }).waitFor();
  assert.equal(await page.getByTestId('reply-input').count(), 0, 'no reply box in a chat Ben holds');
  // Its transcript downloads as text: who wrote what, and when.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  assert.equal(download.suggestedFilename(), `chat-${convs.shoes}.txt`);
  const text = fs.readFileSync(await download.path(), 'utf8');
  assert.match(text, new RegExp(`^会话记录 ${convs.shoes} · 访客 `));
  assert.match(text, /\n\[\d{4}-\d\d-\d\d \d\d:\d\d\] 访客 [0-9A-F]{4}: Do you have Blue Shoes in size 42\?\n/);
  assert.match(text, /\n\[\d{4}-\d\d-\d\d \d\d:\d\d\] 客服 Ben 小本: Yes, we do\.\n/);
  // Back to the lists.
  await page.getByTestId('search-clear').click();
  await page.getByTestId('list-mine').waitFor();
  await page.context().close();

  const phone = await consolePage({ width: 390, height: 844 });
  await search(phone, '退货');
  await phone.screenshot({ path: path.join(SHOT_DIR, 'console-search-phone.png'), fullPage: true });
  await phone.context().close();
});

test('a message is found by a search sent the moment it reaches the agent (the index is written in batches, and always before a search)', async () => {
  const ben = await agentSocket('ben');
  const { v, conversation } = await chat({ entry: 'to-ben', agent: ben, text: '你好', answer: '您好，请讲' });
  // Within a second of the chat's first lines: no batch is due, only the search writes one.
  v.send(JSON.stringify({ type: 'send', client_id: 'v-just-now', body: { kind: 'text', text: '保修卡丢了还能修吗' } }));
  await until(() => ben.frames.some((f) => f.type === 'message' && f.message.client_id === 'v-just-now'), 'the message at the agent');
  ben.send(JSON.stringify({ type: 'search', query: { text: '保修卡', offset: 0, n: 41 } }));
  await until(() => ben.frames.some((f) => f.type === 'search_results' && f.n === 41), 'the results');
  const results = ben.frames.find((f) => f.type === 'search_results' && f.n === 41);
  assert.deepEqual(results.hits.map((h) => h.conversation_id), [conversation]);
  v.close();
  ben.close();
});
