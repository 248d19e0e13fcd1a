// The WeChat mini-program channel against real workerd: WeChat's URL check and message pushes
// (encrypted JSON in 安全模式 and plain XML, built and encrypted by @wecom/crypto, a library this
// project did not write), refused when forged or replayed, each user one visitor whose messages
// reach the site's agents; an entry in the button's session-from reaches the VIP agent with the
// user's nickname and fields; agents' replies go out through a WeChat API simulator with one
// cached access token, renewed when WeChat stops accepting it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { encrypt, getSignature } from '@wecom/crypto';
import WebSocket from 'ws';
import { agentSocket } from './agent-socket.mjs';
import { launchBrowser, seedDemo, startEdge } from './harness.mjs';
import { startWechatSim } from './wechat-sim.mjs';

const SITE = 'wxshop';
const SAFE = { app_id: 'wx0123456789abcdef', secret: '0123456789abcdef0123456789abcdef', token: 'AAAAA', key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const PLAIN = { app_id: 'wxfedcba9876543210', secret: 'fedcba9876543210fedcba9876543210', token: 'plainTok' };

let edge;
let browser;
let sim;

const config = {
  name: 'WeChat shop',
  agents: [
    { id: 'kf', name: '客服小李', password: 'kf-password-1', max_sessions: 8 },
    { id: 'vip1', name: 'VIP 专员', password: 'vip1-password', max_sessions: 5 },
    { id: 'boss', name: '店长', password: 'boss-password-1', max_sessions: 5, role: 'owner' },
  ],
  groups: [
    { id: 'general', name: '普通', agents: ['kf'], strategy: 'load' },
    { id: 'vip', name: 'VIP', agents: ['vip1'], strategy: 'load' },
  ],
  routing: { fallback_group: 'general', entries: [{ id: 'vip', group: 'vip' }] },
  mini_programs: [
    { app_id: SAFE.app_id, name: '商城小程序', app_secret: SAFE.secret, token: SAFE.token, encoding_aes_key: SAFE.key, format: 'json', mode: 'safe', card_page: 'pages/goods/detail?id={id}' },
    { app_id: PLAIN.app_id, name: '会员小程序', app_secret: PLAIN.secret, token: PLAIN.token, format: 'xml', mode: 'plain' },
  ],
};

before(async () => {
  sim = await startWechatSim({ [SAFE.app_id]: SAFE.secret, [PLAIN.app_id]: PLAIN.secret });
  edge = await startEdge({ vars: { WECHAT_API_BASE: sim.base } });
  await seedDemo(edge, SITE, config);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
  await sim?.stop();
});

const url = (appId, query) => `${edge.base}/api/v1/sites/${SITE}/wechat/${appId}?${new URLSearchParams(query)}`;
// Pushes are stamped with the time (a push more than five minutes off is refused as a replay).
let clock = Math.floor(Date.now() / 1000);

/** A push as WeChat sends it in 安全模式: the JSON message encrypted for the AppID, signed. */
function safePush(message, { appId = SAFE.app_id, timestamp = String(clock += 1), nonce = String(crypto.randomInt(1e9)) } = {}) {
  const ciphered = encrypt(SAFE.key, message, appId);
  const query = {
    signature: getSignature(SAFE.token, timestamp, nonce, ''),
    timestamp,
    nonce,
    openid: JSON.parse(message).FromUserName,
    encrypt_type: 'aes',
    msg_signature: getSignature(SAFE.token, timestamp, nonce, ciphered),
  };
  return { query, body: JSON.stringify({ ToUserName: 'gh_shop', Encrypt: ciphered }), message };
}

/** Posts a push; one WeChat took (`success`) starts the user's reply window on the simulator too. */
async function post(appId, { query, body, message }) {
  const res = await fetch(url(appId, query), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = { status: res.status, text: await res.text() };
  if (answer.text === 'success' && message) {
    const m = JSON.parse(message);
    sim.userAction(m.FromUserName, m.Event === 'user_enter_tempsession' ? 'enter' : 'message');
  }
  return answer;
}

// MsgId is a 64-bit integer, past a JS number's precision: written as WeChat writes it, digits.
const text = (from, content, msgId) =>
  JSON.stringify({ ToUserName: 'gh_shop', FromUserName: from, CreateTime: clock, MsgType: 'text', Content: content }).replace(/}$/, `,"MsgId":${msgId}}`);
const frame = (src) => ({ toString: () => src });
// A 1x1 PNG, as WeChat would serve it at PicUrl.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** What the simulator received with this text, waiting up to 10 s for it. */
async function delivered(words, touser) {
  const match = (s) => s.body.text?.content === words && (!touser || s.body.touser === touser);
  for (let i = 0; i < 100 && !sim.state.sent.some(match); i += 1) await new Promise((r) => setTimeout(r, 100));
  return sim.state.sent.find(match);
}

test('the URL check answers echostr for the Token, and refuses a wrong signature or a stale one', async () => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = '1514711492';
  const good = await fetch(url(SAFE.app_id, { signature: getSignature(SAFE.token, timestamp, nonce, ''), timestamp, nonce, echostr: '4375120948345356249' }));
  assert.equal(good.status, 200);
  assert.equal(await good.text(), '4375120948345356249');
  const bad = await fetch(url(SAFE.app_id, { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441697', timestamp, nonce, echostr: 'x' }));
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).error.code, 'wechat_bad_signature');
  // A check captured an hour ago (here: WeChat's own documented example, of 2024) is refused.
  const stale = await fetch(url(SAFE.app_id, { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504', nonce, echostr: 'x' }));
  assert.equal(stale.status, 401);
  assert.equal((await stale.json()).error.code, 'wechat_replayed');
  const unknown = await fetch(url('wx9999999999999999', { signature: 'x', timestamp, nonce, echostr: 'x' }));
  assert.equal((await unknown.json()).error.code, 'unknown_mini_program');
});

test('an encrypted push reaches an agent once, however often WeChat retries it; forged ones store nothing', async () => {
  const kf = await agentSocket(browser, edge, SITE, 'kf', 'kf-password-1');
  const push = safePush(text('oUser1', '小程序里的第一条消息', '6988312519123456789'));
  assert.deepEqual(await post(SAFE.app_id, push), { status: 200, text: 'success' });
  const first = await kf.waitFor((f) => f.type === 'message' && f.message.body.text === '小程序里的第一条消息');
  // WeChat retries a push it thinks was lost: answered `success`, stored once.
  assert.deepEqual(await post(SAFE.app_id, push), { status: 200, text: 'success' });
  assert.deepEqual(await post(SAFE.app_id, push), { status: 200, text: 'success' });

  // Forged: a msg_signature that is not the Token's; a message encrypted for another AppID; a
  // plain push to a mini-program in 安全模式.
  const forged = safePush(text('oUser1', '伪造的消息', '2'));
  forged.query.msg_signature = '0'.repeat(40);
  const forgedAnswer = await post(SAFE.app_id, forged);
  assert.equal(forgedAnswer.status, 401);
  assert.equal(JSON.parse(forgedAnswer.text).error.code, 'wechat_bad_signature');
  const other = safePush(text('oUser1', '别的小程序的消息', '3'), { appId: 'wx1111111111111111' });
  const otherAnswer = await post(SAFE.app_id, other);
  assert.equal(otherAnswer.status, 400);
  assert.equal(JSON.parse(otherAnswer.text).error.code, 'wechat_undecryptable');
  const timestamp = String(clock += 1);
  const plain = { query: { signature: getSignature(SAFE.token, timestamp, '1', ''), timestamp, nonce: '1' }, body: text('oUser1', '明文', '4') };
  assert.equal((await post(SAFE.app_id, plain)).status, 401, 'a 安全模式 mini-program takes encrypted pushes only');

  const later = safePush(text('oUser1', '第二条', '6988312519123456790'));
  assert.equal((await post(SAFE.app_id, later)).status, 200);
  await kf.waitFor((f) => f.type === 'message' && f.message.body.text === '第二条');
  const texts = (await kf.messages()).filter((m) => m.conversation_id === first.message.conversation_id).map((m) => m.body.text);
  assert.deepEqual(texts, ['小程序里的第一条消息', '第二条'], 'each once, nothing forged');
  const conversations = await kf.frames();
  const summary = conversations.flatMap((f) => f.type === 'conversation_updated' ? [f.conversation] : f.type === 'conversations' ? f.conversations : [])
    .find((c) => c.conversation_id === first.message.conversation_id);
  assert.equal(summary?.visitor_name.startsWith('微信用户'), true, JSON.stringify(summary));
  await kf.close();
});

test('images both ways: a user\'s image reaches the agent from R2 (after WeChat had its answer, and after its link expired; a link that fails leaves the link); an agent\'s image goes out as WeChat media, uploaded once', async () => {
  const kf = await agentSocket(browser, edge, SITE, 'kf', 'kf-password-1');
  const png = PNG;
  sim.state.pictures.set('u6.png', png);
  const image = (picUrl, msgId) => JSON.stringify({ ToUserName: 'gh_shop', FromUserName: 'oUser6', CreateTime: clock, MsgType: 'image', PicUrl: picUrl, MediaId: `media-${msgId}` }).replace(/}$/, `,"MsgId":${msgId}}`);
  const push = safePush(image(`${sim.base}/pic/u6.png`, '6001000000000000001'));
  assert.equal((await post(SAFE.app_id, push)).text, 'success');
  // WeChat retries (it did not see the answer): nothing is fetched or shown twice.
  assert.equal((await post(SAFE.app_id, safePush(image(`${sim.base}/pic/u6.png`, '6001000000000000001')))).text, 'success');
  const got = await kf.waitFor((f) => f.type === 'message' && f.message.body.kind === 'image' && f.message.client_id === 'wx6001000000000000001');
  assert.equal(got.message.author.role, 'visitor');
  assert.equal(got.message.body.content_type, 'image/png');
  assert.equal(got.message.body.size, png.length);
  // WeChat's link expires; the agent still gets the image, from R2.
  sim.state.pictures.delete('u6.png');
  const fetched = await kf.download(got.message.body.upload_id);
  assert.deepEqual(fetched, { status: 200, type: 'image/png', size: png.length });
  // A link that does not answer with an image: the message carries the link, nothing is lost.
  assert.equal((await post(SAFE.app_id, safePush(image(`${sim.base}/pic/gone.png`, '6001000000000000002')))).text, 'success');
  const fallback = await kf.waitFor((f) => f.type === 'message' && f.message.client_id === 'wx6001000000000000002');
  assert.deepEqual(fallback.message.body, { kind: 'text', text: `[图片] ${sim.base}/pic/gone.png` });
  assert.equal((await kf.messages()).filter((m) => m.client_id === 'wx6001000000000000001').length, 1, 'the retried image is shown once');
  // A link that fails while WeChat still keeps the image under its MediaId: fetched with media/get.
  sim.state.userMedia.set('media-6001000000000000004', png);
  assert.equal((await post(SAFE.app_id, safePush(image(`${sim.base}/pic/expired.png`, '6001000000000000004')))).text, 'success');
  const recovered = await kf.waitFor((f) => f.type === 'message' && f.message.client_id === 'wx6001000000000000004');
  assert.equal(recovered.message.body.kind, 'image');
  assert.deepEqual(await kf.download(recovered.message.body.upload_id), { status: 200, type: 'image/png', size: png.length });
  // A mini-program page the user shares arrives as a card.
  const page = JSON.stringify({ ToUserName: 'gh_shop', FromUserName: 'oUser6', CreateTime: clock, MsgType: 'miniprogrampage', Title: '春季新款运动鞋', AppId: SAFE.app_id, PagePath: 'pages/item/item?id=42', ThumbUrl: `${sim.base}/pic/thumb.png`, ThumbMediaId: 'thumb-1' }).replace(/}$/, ',"MsgId":6001000000000000003}');
  assert.equal((await post(SAFE.app_id, safePush(page))).text, 'success');
  const card = await kf.waitFor((f) => f.type === 'message' && f.message.client_id === 'wx6001000000000000003');
  assert.equal(card.message.body.kind, 'card');
  assert.equal(card.message.body.title, '春季新款运动鞋');
  assert.equal(card.message.body.id, 'pages/item/item?id=42');
  // The agent answers with an image: it is uploaded to WeChat as temporary media (once, however
  // often it is sent) and sent by its media id.
  const upload = await kf.page.evaluate(async ({ site, conv, token, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const res = await fetch(`/api/v1/sites/${site}/uploads?name=reply.png&conversation=${conv}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: bytes });
    return res.json();
  }, { site: SITE, conv: got.message.conversation_id, token: kf.token, b64: png.toString('base64') });
  const uploadsBefore = sim.state.media.size;
  for (const n of [1, 2]) {
    await kf.send({ type: 'send', conversation_id: got.message.conversation_id, client_id: `img-${n}`, body: { kind: 'image', upload_id: upload.upload_id, name: 'reply.png', size: 0, content_type: '' } });
  }
  const sentImages = async () => sim.state.sent.filter((s) => s.body.touser === 'oUser6' && s.body.msgtype === 'image');
  for (let i = 0; i < 100 && (await sentImages()).length < 2; i += 1) await new Promise((r) => setTimeout(r, 100));
  const images = await sentImages();
  assert.equal(images.length, 2, 'both images reached WeChat');
  assert.equal(images[0].body.image.media_id, images[1].body.image.media_id, 'one media id, reused');
  assert.equal(sim.state.media.size, uploadsBefore + 1, 'uploaded to WeChat once');
  const media = sim.state.media.get(images[0].body.image.media_id);
  assert.deepEqual([media.type, media.bytes.equals(png)], ['image/png', true]);
  await kf.page.context().close();
});

test('a push\'s automatic reply (the welcome) reaches WeChat after the push was answered', async () => {
  const site = 'wxwelcome';
  await seedDemo(edge, site, {
    name: 'Welcome shop',
    agents: [{ id: 'w1', name: '客服小王', password: 'w1-password-1', max_sessions: 5 }],
    groups: [{ id: 'general', name: '普通', agents: ['w1'], strategy: 'load' }],
    routing: { fallback_group: 'general', prompts: { welcome: '您好，欢迎光临！' } },
    mini_programs: [config.mini_programs[0]],
  });
  const w1 = await agentSocket(browser, edge, site, 'w1', 'w1-password-1');
  const push = safePush(JSON.stringify({ ToUserName: 'gh_shop', FromUserName: 'oWelcome', CreateTime: clock, MsgType: 'text', Content: '你好' }).replace(/}$/, ',"MsgId":8101}'));
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/wechat/${SAFE.app_id}?${new URLSearchParams(push.query)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: push.body });
  assert.equal(await res.text(), 'success');
  await w1.waitFor((f) => f.type === 'message' && f.message.body.text === '你好');
  assert.ok(await delivered('您好，欢迎光临！', 'oWelcome'), 'the welcome went out through WeChat');
  await w1.close();
});

test('a plain XML push; the entry in session-from reaches the VIP agent, with the nickname and fields', async () => {
  const vip = await agentSocket(browser, edge, SITE, 'vip1', 'vip1-password');
  const signed = (timestamp, nonce) => ({ signature: getSignature(PLAIN.token, timestamp, nonce, ''), timestamp, nonce });
  const xml = (fields) => `<xml>${Object.entries(fields).map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('')}</xml>`;
  const t1 = String(clock += 1);
  const enter = xml({ ToUserName: 'gh_member', FromUserName: 'oVip', CreateTime: t1, MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'miniprogram|黄景霖|https://thirdwx.qlogo.cn/a/132|{"vipNo":"vip12138","vipName":"黄景霖"}|entry=vip' });
  const res = await fetch(url(PLAIN.app_id, signed(t1, '11')), { method: 'POST', body: enter });
  assert.equal(await res.text(), 'success');
  const t2 = String(clock += 1);
  const message = xml({ ToUserName: 'gh_member', FromUserName: 'oVip', CreateTime: t2, MsgType: 'text', Content: '我是 VIP 会员', MsgId: '5001' });
  assert.equal(await (await fetch(url(PLAIN.app_id, signed(t2, '12')), { method: 'POST', body: message })).text(), 'success');
  const got = await vip.waitFor((f) => f.type === 'message' && f.message.body.text === '我是 VIP 会员');
  // A plain push's signature does not cover its body: replaying its timestamp and nonce with a
  // body of one's own (another user's message) is refused.
  const forgedBody = message.replace('我是 VIP 会员', '伪造的内容').replace('5001', '5002');
  const replayed = await fetch(url(PLAIN.app_id, signed(t2, '12')), { method: 'POST', body: forgedBody });
  assert.equal(replayed.status, 401);
  assert.equal((await replayed.json()).error.code, 'wechat_replayed');
  // A user's text that closes <Content> inside its CDATA and opens someone else's <FromUserName>
  // stays the text of its own writer.
  const t3 = String(clock += 1);
  const sneaky = 'x</Content><FromUserName>oVip</FromUserName><Content>冒充 VIP';
  const injected = xml({ ToUserName: 'gh_member', FromUserName: 'oIntruder', CreateTime: t3, MsgType: 'text', Content: sneaky, MsgId: '5003' });
  assert.equal(await (await fetch(url(PLAIN.app_id, signed(t3, '13')), { method: 'POST', body: injected })).text(), 'success');
  // The sidebar: the nickname, the channel, the custom fields of session-from.
  // The VIP agent got nothing from the intruder (his chat went to the general group).
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!(await vip.messages()).some((m) => m.body.text?.includes('冒充')), 'no message entered the VIP user\'s chat');
  await vip.send({ type: 'profile', conversation_id: got.message.conversation_id });
  const { profile } = await vip.waitFor((f) => f.type === 'profile');
  assert.equal(profile.name, '黄景霖');
  assert.equal(profile.channel, 'mini_program');
  assert.equal(profile.custom_fields.vipNo, 'vip12138');
  assert.equal(profile.avatar_url, 'https://thirdwx.qlogo.cn/a/132');
  assert.equal(profile.custom_fields.mini_program, '会员小程序');
  assert.equal(profile.entry, 'vip');
  assert.equal(profile.verified, false, 'session-from is display data, never identity');
  await vip.close();
});

test('agents\' replies go out through WeChat with one cached token, renewed when WeChat stops accepting it', async () => {
  const kf = await agentSocket(browser, edge, SITE, 'kf', 'kf-password-1');
  assert.equal((await post(SAFE.app_id, safePush(text('oUser2', '请问有货吗', '7001')))).status, 200);
  const got = await kf.waitFor((f) => f.type === 'message' && f.message.body.text === '请问有货吗');
  const conversation = got.message.conversation_id;
  const reply = async (words, id) => {
    await kf.send({ type: 'send', conversation_id: conversation, client_id: id, body: { kind: 'text', text: words } });
    await kf.waitFor(frame(`(f) => f.type === 'ack' && f.client_id === ${JSON.stringify(id)}`));
  };
  // The agent types: WeChat shows it once (not again while it shows), and stops it.
  const typingOf = () => sim.state.typing.filter((t) => t.touser === 'oUser2').map((t) => t.command);
  const typingSeen = async (n) => { for (let i = 0; i < 100 && typingOf().length < n; i += 1) await new Promise((r) => setTimeout(r, 50)); };
  await kf.send({ type: 'typing', conversation_id: conversation, typing: true });
  await typingSeen(1);
  await kf.send({ type: 'typing', conversation_id: conversation, typing: true });
  await kf.send({ type: 'typing', conversation_id: conversation, typing: false });
  await typingSeen(2);
  assert.deepEqual(typingOf(), ['Typing', 'CancelTyping']);
  assert.deepEqual(sim.state.typingRefused, [], 'within WeChat\'s typing rules');
  const callsBefore = sim.state.tokenCalls.length;
  await reply('有货的，今天下单明天发', 'r1');
  await reply('还有别的问题吗？', 'r2');
  assert.deepEqual((await delivered('有货的，今天下单明天发'))?.body, { touser: 'oUser2', msgtype: 'text', text: { content: '有货的，今天下单明天发' } });
  assert.ok(await delivered('还有别的问题吗？'));
  // At most one token for both replies (none when an earlier test's is still cached).
  assert.ok(sim.state.tokenCalls.length - callsBefore <= 1, 'no token per message (both were delivered: no call is pending)');
  // WeChat stops accepting the token (another server fetched one): 40001, a fresh token, sent.
  sim.expireTokens();
  await reply('稍等我查一下', 'r3');
  assert.ok(await delivered('稍等我查一下'), 'sent with a renewed token');
  assert.equal(sim.state.tokenCalls.at(-1).force_refresh, true);
  // Five replies (WeChat's quota after a user message) use it up: the Desk sends nothing more.
  await reply('第四条', 'r3b');
  await reply('第五条', 'r3c');
  await kf.send({ type: 'send', conversation_id: conversation, client_id: 'r-over', body: { kind: 'text', text: '第六条回复' } });
  const over = await kf.waitFor((f) => f.type === 'rejected' && f.client_id === 'r-over');
  assert.equal(over.code, 'quota_exceeded');
  assert.ok(await delivered('第五条'));
  assert.ok(!sim.state.sent.some((s) => s.body.text?.content === '第六条回复'));
  // The user writes again (a new quota); WeChat refuses for good (its window closed on its side):
  // the agent is told, nothing is retried.
  assert.equal((await post(SAFE.app_id, safePush(text('oUser2', '在吗', '7002')))).status, 200);
  await kf.waitFor((f) => f.type === 'message' && f.message.body.text === '在吗');
  sim.state.closedWindows.add('oUser2');
  const sentBefore = sim.state.sent.length;
  await reply('窗口已关闭的回复', 'r4');
  const failed = await kf.waitFor((f) => f.type === 'send_failures' && f.failures.length > 0);
  assert.equal(failed.failures.length, 1);
  assert.match(failed.failures[0].reason, /45015/);
  assert.equal(failed.failures[0].retry, false, 'a closed window is final');
  assert.equal(sim.state.sent.length, sentBefore);
  // Asking to send it again anyway is refused, and WeChat gets nothing.
  await kf.send({ type: 'retry', conversation_id: conversation, seq: failed.failures[0].seq });
  await kf.waitFor((f) => f.type === 'error' && /for good/.test(f.message));
  assert.equal(sim.state.sent.length, sentBefore);
  await kf.close();
});

test('the workbench shows a mini-program chat\'s reply quota, and stops the composer once it is used', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })).newPage();
  await page.goto(`${edge.base}/console/?site=${SITE}`);
  await page.getByTestId('login-agent').fill('kf');
  await page.getByTestId('login-password').fill('kf-password-1');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me').waitFor();
  // The user enters from a button that names them, then writes.
  const t = String(clock += 1);
  const enter = JSON.stringify({ ToUserName: 'gh_shop', FromUserName: 'oUser3', CreateTime: Number(t), MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'miniprogram|王小明|https://thirdwx.qlogo.cn/mmopen/vi_32/a.png|{"orderNo":"A-1001"}' });
  assert.equal((await post(SAFE.app_id, safePush(enter, { timestamp: t }))).text, 'success');
  assert.equal((await post(SAFE.app_id, safePush(text('oUser3', '能开发票吗？', '8001')))).text, 'success');
  const chat = page.locator('[data-testid=list-mine] [data-testid=conversation]', { hasText: '王小明' });
  // The list marks the channel: a mini-program badge (web conversations carry none).
  assert.equal(await chat.locator('[data-testid=channel]').getAttribute('data-channel'), 'mini_program');
  assert.equal(await chat.locator('[data-testid=channel]').textContent(), '小程序');
  await chat.click();
  await page.locator('[data-testid=message][data-author=visitor]', { hasText: '能开发票吗？' }).waitFor();
  assert.equal(await page.getByTestId('profile-channel').locator('dd').textContent(), '小程序');
  const quota = page.getByTestId('quota');
  await page.locator('[data-testid=quota][data-left="5"]').waitFor();
  assert.match(await quota.textContent(), /可回复 5 条/);
  assert.equal(await page.locator('[data-testid=profile-custom] [data-field=orderNo] dd').textContent(), 'A-1001');
  // The user's WeChat avatar beside the name, loaded from WeChat by the agent's browser: WeChat is
  // out of reach here, so the name's first letter takes its place.
  await page.locator('.name-line .avatar.initial', { hasText: '王' }).waitFor();
  // WeChat is busy (-1) for the first reply, twice: it is tried once more, then shown as not
  // delivered with a retry button, which sends it.
  sim.state.busy = 2;
  for (let i = 1; i <= 5; i += 1) {
    await page.getByTestId('reply-input').fill(`第 ${i} 条回复`);
    await page.getByTestId('reply-input').press('Enter');
    await page.locator(`[data-testid=quota][data-left="${5 - i}"]`).waitFor();
    if (i === 1) {
      const failed = page.locator('[data-testid=message]', { hasText: '第 1 条回复' }).getByTestId('send-failed');
      await failed.waitFor();
      assert.match(await failed.textContent(), /微信未送达/);
      await page.screenshot({ path: new URL('../artifacts/console-mini-program-failed-send.png', import.meta.url).pathname });
      await failed.getByTestId('send-retry').click();
      await failed.waitFor({ state: 'detached' });
    }
  }
  assert.match(await quota.textContent(), /回复次数已用完/);
  assert.equal(await page.getByTestId('reply-input').count(), 0, 'nothing more can be sent');
  // A web shopper writes too: the agent's web and mini-program chats side by side, the web one
  // without a badge.
  const session = await (await fetch(`${edge.base}/api/v1/sites/${SITE}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  const shopper = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}/ws`);
  await new Promise((resolve, reject) => { shopper.on('open', resolve); shopper.on('error', reject); });
  shopper.send(JSON.stringify({ type: 'auth', token: session.token, last_seq: 0 }));
  shopper.send(JSON.stringify({ type: 'send', client_id: 'web-1', body: { kind: 'text', text: '网页上的问题' } }));
  const mine = page.locator('[data-testid=list-mine] [data-testid=conversation]');
  await mine.filter({ hasText: '网页上的问题' }).or(mine.filter({ hasNot: page.getByTestId('channel') })).first().waitFor();
  assert.equal(await mine.filter({ hasNot: page.getByTestId('channel') }).count(), 1, 'one web chat, no badge');
  assert.ok(await mine.filter({ has: page.locator('[data-channel=mini_program]') }).count() >= 2, 'mini-program chats with their badge');
  shopper.terminate();
  await page.screenshot({ path: new URL('../artifacts/console-mini-program-desktop.png', import.meta.url).pathname });
  for (let i = 1; i <= 5; i += 1) assert.ok(await delivered(`第 ${i} 条回复`, 'oUser3'), `reply ${i} reached WeChat`);
  // The user writes again: five more.
  assert.equal((await post(SAFE.app_id, safePush(text('oUser3', '好的，谢谢', '8002')))).text, 'success');
  await page.locator('[data-testid=quota][data-left="5"]').waitFor();
  await page.getByTestId('reply-input').waitFor();
  await page.context().close();
});

test('an owner connects a mini-program in Settings: WeChat\'s URL check and an encrypted push work with what the page made', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })).newPage();
  await page.goto(`${edge.base}/console/?site=${SITE}`);
  await page.getByTestId('login-agent').fill('boss');
  await page.getByTestId('login-password').fill('boss-password-1');
  await page.getByTestId('login-submit').click();
  const [settings] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('open-settings').click()]);
  await settings.getByTestId('tab-mini-programs').click();
  // The two seeded mini-programs are listed with their secrets masked.
  assert.match(await settings.getByTestId('mini-program-0-app-secret').inputValue(), /^masked:/);
  // A malformed AppID is refused on the spot, naming the field.
  await settings.getByTestId('new-mini-program-app-id').fill('wx12');
  await settings.getByTestId('new-mini-program-name').fill('门店小程序');
  await settings.getByTestId('new-mini-program-add').click();
  assert.match(await settings.getByTestId('new-mini-program-error').textContent(), /app_id/);
  const appId = 'wx00112233445566ff';
  await settings.getByTestId('new-mini-program-app-id').fill(appId);
  await settings.getByTestId('new-mini-program-add').click();
  const card = settings.getByTestId('mini-program-2-card');
  await card.waitFor();
  // Until its AppSecret is in, the page says what is missing; then it saves.
  assert.match(await settings.getByTestId('mini-programs-error').textContent(), /mini_programs\[2\]\.app_secret/);
  await settings.getByTestId('mini-program-2-app-secret').fill('00112233445566778899aabbccddeeff');
  await settings.getByTestId('mini-program-2-app-secret').blur();
  await settings.getByTestId('mini-program-2-format').selectOption('json');
  const token = await settings.getByTestId('mini-program-2-token').inputValue();
  const key = await settings.getByTestId('mini-program-2-aes-key').inputValue();
  assert.match(token, /^[A-Za-z0-9]{32}$/);
  assert.match(key, /^[A-Za-z0-9]{43}$/);
  const pushUrl = await settings.getByTestId('mini-program-2-push-url').inputValue();
  assert.equal(pushUrl, `${edge.base}/api/v1/sites/${SITE}/wechat/${appId}`);
  await settings.screenshot({ path: new URL('../artifacts/settings-mini-programs-desktop.png', import.meta.url).pathname, fullPage: true });
  await settings.getByTestId('settings-save').click();
  await settings.getByTestId('settings-saved').waitFor();
  // WeChat's URL check with the Token the page made.
  const timestamp = String(clock += 1);
  const nonce = '20261130';
  const check = await fetch(`${pushUrl}?${new URLSearchParams({ signature: getSignature(token, timestamp, nonce, ''), timestamp, nonce, echostr: '8203746' })}`);
  assert.equal(await check.text(), '8203746');
  // Pushes encrypted with the page's EncodingAESKey reach the workbench (through the VIP entry of a
  // button, to the VIP agent).
  const vip = await agentSocket(browser, edge, SITE, 'vip1', 'vip1-password');
  const push = async (message) => {
    const ciphered = encrypt(key, message, appId);
    const [ts, once] = [String(clock += 1), String(crypto.randomInt(1e9))];
    const query = { signature: getSignature(token, ts, once, ''), timestamp: ts, nonce: once, openid: 'oStore1', encrypt_type: 'aes', msg_signature: getSignature(token, ts, once, ciphered) };
    const res = await fetch(`${pushUrl}?${new URLSearchParams(query)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ToUserName: 'gh_store', Encrypt: ciphered }) });
    return res.text();
  };
  assert.equal(await push(JSON.stringify({ ToUserName: 'gh_store', FromUserName: 'oStore1', CreateTime: clock, MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'miniprogram|门店顾客||{}|entry=vip' })), 'success');
  assert.equal(await push(JSON.stringify({ ToUserName: 'gh_store', FromUserName: 'oStore1', CreateTime: clock, MsgType: 'text', Content: '门店几点开门？', MsgId: 9001 })), 'success');
  await vip.waitFor((f) => f.type === 'message' && f.message.body.text === '门店几点开门？');
  await vip.page.context().close();
  // After a reload the secrets are masked again, and saving keeps them working.
  await settings.reload();
  await settings.getByTestId('tab-mini-programs').click();
  assert.match(await settings.getByTestId('mini-program-2-token').inputValue(), /^masked:/);
  await page.context().close();
});

test('an agent\'s product card reaches the user as a mini-program card (its picture uploaded as WeChat media); one without a picture goes as text', async () => {
  const kf = await agentSocket(browser, edge, SITE, 'kf', 'kf-password-1');
  assert.equal((await post(SAFE.app_id, safePush(text('oCard', '有运动鞋吗', '9801')))).status, 200);
  const got = await kf.waitFor((f) => f.type === 'message' && f.message.body.text === '有运动鞋吗');
  sim.state.pictures.set('shoe.png', PNG);
  const card = { kind: 'card', list: 'agent', id: 'SKU 42', title: '春季新款运动鞋', image: `${sim.base}/pic/shoe.png`, price: '¥399' };
  await kf.send({ type: 'send', conversation_id: got.message.conversation_id, client_id: 'card-1', body: card });
  const pageCard = () => sim.state.sent.find((s) => s.body.touser === 'oCard' && s.body.msgtype === 'miniprogrampage');
  for (let i = 0; i < 100 && !pageCard(); i += 1) await new Promise((r) => setTimeout(r, 100));
  const { thumb_media_id: thumb, ...shown } = pageCard()?.body.miniprogrampage ?? {};
  // The mini-program's card page with the card's id (encoded, so it cannot add parameters).
  assert.deepEqual(shown, { title: '春季新款运动鞋 ¥399', appid: SAFE.app_id, pagepath: 'pages/goods/detail?id=SKU%2042' });
  assert.ok(sim.state.media.get(thumb).bytes.equals(PNG), 'the card\'s picture, uploaded as media');
  // Without a picture WeChat cannot show a mini-program card: the card goes as a line of text.
  await kf.send({ type: 'send', conversation_id: got.message.conversation_id, client_id: 'card-2', body: { ...card, image: '' } });
  assert.ok(await delivered('春季新款运动鞋 ¥399', 'oCard'), 'sent as text');
  await kf.close();
});

test('a reply whose send a crash cut short reaches WeChat once the Desk runs again (the outbox is stored with the message)', async () => {
  let kf = await agentSocket(browser, edge, SITE, 'kf', 'kf-password-1');
  assert.equal((await post(SAFE.app_id, safePush(text('oCrash', '发货了吗', '9901')))).status, 200);
  const got = await kf.waitFor((f) => f.type === 'message' && f.message.body.text === '发货了吗');
  // WeChat takes the call and never answers; workerd dies meanwhile.
  sim.state.hold = 1;
  await kf.send({ type: 'send', conversation_id: got.message.conversation_id, client_id: 'crash-1', body: { kind: 'text', text: '今天下午发出' } });
  await kf.waitFor((f) => f.type === 'ack' && f.client_id === 'crash-1');
  for (let i = 0; i < 100 && sim.state.held.length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sim.state.held.length, 1, 'the send reached WeChat and hangs there');
  await kf.page.context().close();
  const { stateDir, port } = edge;
  await edge.kill();
  assert.equal(sim.state.sent.filter((s) => s.body.touser === 'oCrash').length, 0, 'not sent before the crash');
  edge = await startEdge({ stateDir, port, vars: { WECHAT_API_BASE: sim.base } });
  // The next thing the Desk does sends what it had not finished: an alarm left from before the
  // crash (a board update due) may come first, else an agent signing in again.
  kf = await agentSocket(browser, edge, SITE, 'kf', 'kf-password-1');
  assert.ok(await delivered('今天下午发出', 'oCrash'), 'sent after the restart');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sim.state.sent.filter((s) => s.body.touser === 'oCrash').length, 1, 'sent once');
  await kf.close();
});
