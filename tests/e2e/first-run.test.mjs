// What a new site and its first shoppers run into (issue "a widget panic, a dead end, confusing
// states"): the README's snippet on a page of the owner's own, `ChatWidget('open')` included, on
// sites configured through the documented admin API. Every page of this file is watched by the
// harness: an uncaught error in any page or frame (a Rust panic in the widget) fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, root, seedDemo, startEdge, widget } from './harness.mjs';
import { agentSocket } from './agent-socket.mjs';

const KEY = crypto.randomBytes(32).toString('base64');
const OTHER_KEY = crypto.randomBytes(32).toString('base64');
const SHOTS = path.join(root, 'target', 'screenshots');

const AGENTS = [
  { id: 'amy', name: 'Amy', password: 'amy-password-1', max_sessions: 5 },
  { id: 'ben', name: 'Ben', password: 'ben-password-1', max_sessions: 5 },
];
const GROUPS = [
  { id: 'presale', name: 'Pre-sale', agents: ['amy'], strategy: 'load', accept: 'auto' },
  { id: 'aftersale', name: 'After-sale', agents: ['ben'], strategy: 'load', accept: 'auto' },
];

function site(extra = {}) {
  return {
    name: 'Acme Outdoor', greeting: 'Hi! How can we help?', agents: AGENTS, groups: GROUPS,
    routing: { fallback_group: 'presale', entries: [{ id: 'after-sale', group: 'aftersale' }] },
    ...extra,
  };
}

/** An identity token sealed the way the guide's Node sample does (AES/ECB, hex). */
function ecbToken(payload, key = KEY) {
  const c = crypto.createCipheriv('aes-256-ecb', Buffer.from(key, 'base64'), null);
  return Buffer.concat([c.update(JSON.stringify(payload), 'utf8'), c.final()]).toString('hex').toUpperCase();
}

// Identity needs an allow-list: the shop pages live on the edge's own origin.
const identity = (extra = {}) => ({ allowed_origins: [edge.base], identity: { keys: [KEY], verification_fields: ['full_name', 'phone'], accept_ecb: true, accept_v2: true, ...extra } });

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge);
  const sites = {
    fentry: site(),
    fguest: site(identity()),
    fmust: site(identity({ require_identity: true })),
    ftransfer: site(),
    foffline: site(),
    ftoast: site(),
  };
  for (const [id, config] of Object.entries(sites)) await seedDemo(edge, id, config);
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

/** The README's snippet on a page of the owner's own; `extra` runs after it, as the README shows. */
async function ownPage({ site: siteId, attrs = '', extra = "ChatWidget('open');", locale = 'en', viewport } = {}) {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  const name = `own-${crypto.randomBytes(4).toString('hex')}.html`;
  await page.route(`${edge.base}/t/${name}`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Acme Outdoor</title></head>
    <body style="margin:0;font-family:sans-serif"><main style="padding:24px"><h1>Acme Outdoor</h1><p>Tents, packs and boots.</p></main>
    <script src="${edge.base}/w.js" data-site="${siteId}" data-locale="${locale}" ${attrs} async></script>
    <script>
      window.ChatWidget = window.ChatWidget || function(){(ChatWidget.q=ChatWidget.q||[]).push(arguments)};
      window.events = []; ['ready','open','close','message','unread','error'].forEach(function (n) { ChatWidget('on', n, function (d) { window.events.push([n, d]); }); });
      ${extra}
    </script></body></html>` }));
  await page.goto(`${edge.base}/t/${name}`, { waitUntil: 'domcontentloaded' });
  return { page, w: widget(page) };
}

const events = (page) => page.evaluate(() => window.events);
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

test('the snippet with ChatWidget("open") on an unknown entry: no panic, and the general chat works', async () => {
  const { page, w } = await ownPage({ site: 'fentry', attrs: 'data-entry="no-such-entry"' });
  const failed = w.getByTestId('cw-failed');
  await failed.waitFor();
  assert.equal(await failed.getAttribute('data-code'), 'unknown_entry');
  await w.getByTestId('cw-failed-action').click();
  await w.getByTestId('cw-input').waitFor();
  await w.getByTestId('cw-input').fill('hello');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor]').filter({ hasText: 'hello' }).waitFor();
  assert.ok((await events(page)).some(([n, d]) => n === 'error' && d.code === 'unknown_entry'));
  // The harness fails this test if the widget frame reported an uncaught error meanwhile.
});

test('a window whose session failed carries the site\'s name, not a generic "Support"', async () => {
  const { w } = await ownPage({ site: 'fentry', attrs: 'data-entry="no-such-entry"' });
  await w.getByTestId('cw-failed').waitFor();
  await w.getByTestId('cw-title').filter({ hasText: 'Acme Outdoor' }).waitFor({ timeout: 10_000 });
});

test('a refused identity token: the shopper chats as a guest, the page hears the code, the agent sees why', async () => {
  const refusedToken = ecbToken({ full_name: 'Zhang San', phone: '15912345678' }, OTHER_KEY);
  const { page, w } = await ownPage({ site: 'fguest', attrs: `data-identity="${refusedToken}"` });
  await w.getByTestId('cw-input').waitFor();
  await w.getByTestId('cw-input').fill('Is the tent waterproof?');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=sent]').filter({ hasText: 'waterproof' }).waitFor();
  await page.waitForFunction(() => window.events.some(([n, d]) => n === 'error' && d.code === 'identity_invalid'));
  assert.equal(await w.getByTestId('cw-failed').count(), 0, 'no dead end');
  await shot(page, 'first-run-refused-token-guest');

  // The agent's sidebar says the token was refused, and why.
  const agent = await loginTo('fguest', 'amy', 'amy-password-1');
  await agent.getByTestId('conversation').first().click();
  const refused = agent.getByTestId('profile-identity-refused');
  await refused.waitFor();
  assert.match(await refused.textContent(), /identity_invalid/);
  assert.equal(await agent.getByTestId('profile-verified').getAttribute('class').then((c) => c.includes('ok')), false);
  await shot(agent, 'first-run-refused-token-sidebar');
  await agent.close();
});

test('a site that requires identity says so plainly, without blaming the network', async () => {
  const refusedToken = ecbToken({ full_name: 'Zhang San', phone: '15912345678' }, OTHER_KEY);
  const { page, w } = await ownPage({ site: 'fmust', attrs: `data-identity="${refusedToken}"` });
  const failed = w.getByTestId('cw-failed');
  await failed.waitFor();
  assert.equal(await failed.getAttribute('data-code'), 'identity_invalid');
  assert.match(await failed.textContent(), /sign in/i);
  assert.doesNotMatch(await failed.textContent(), /try again later/i);
  assert.equal(await w.getByTestId('cw-failed-action').count(), 0, 'retrying cannot help');
  assert.ok((await events(page)).some(([n, d]) => n === 'error' && d.code === 'identity_invalid'));
  await w.getByTestId('cw-title').filter({ hasText: 'Acme Outdoor' }).waitFor();
  await shot(page, 'first-run-identity-required');
  // The same on a 390 px phone with the dark theme.
  const phone = await ownPage({ site: 'fmust', attrs: `data-identity="${refusedToken}" data-theme='{"dark":true}'`, viewport: { width: 390, height: 844 } });
  await phone.w.getByTestId('cw-failed').waitFor();
  await phone.w.getByTestId('cw-title').filter({ hasText: 'Acme Outdoor' }).waitFor();
  await shot(phone.page, 'first-run-identity-required-phone-dark');

  // The same site with a good token: the shopper is verified.
  const good = ecbToken({ full_name: 'Zhang San', phone: '15912345678' });
  const ok = await ownPage({ site: 'fmust', attrs: `data-identity="${good}"` });
  await ok.w.getByTestId('cw-input').waitFor();
});

/** The console, logged in to `site`. */
async function loginTo(siteId, agent, password) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/console/`);
  await page.getByTestId('login-site').fill(siteId);
  await page.getByTestId('login-agent').fill(agent);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me').waitFor();
  return page;
}

test('after a transfer the agent who handed over sees "transferred to …", read-only', async () => {
  const amy = await loginTo('ftransfer', 'amy', 'amy-password-1');
  const ben = await agentSocket(browser, edge, 'ftransfer', 'ben', 'ben-password-1');
  const { w } = await ownPage({ site: 'ftransfer' });
  await w.getByTestId('cw-input').fill('I need help with an order');
  await w.getByTestId('cw-input').press('Enter');
  await amy.getByTestId('conversation').first().click();
  await amy.getByTestId('reply-input').waitFor();
  await amy.getByTestId('transfer').click();
  await amy.locator('[data-testid=transfer-agent][data-agent=ben]').click();
  await ben.waitFor((f) => f.type === 'conversation_updated' && f.conversation.state === 'active');
  const state = amy.getByTestId('conv-state');
  await amy.locator('[data-testid=conv-state][data-state=transferred]').waitFor();
  assert.match(await state.textContent(), /Ben/);
  assert.doesNotMatch(await state.textContent(), /closed|已结束/i);
  assert.equal(await amy.getByTestId('reply-input').count(), 0, 'read-only for the agent who handed over');
  // The history stays readable.
  await amy.getByTestId('log').getByText('I need help with an order').waitFor();
  await shot(amy, 'first-run-transferred');
  await ben.close();
  await amy.close();
});

test('with every agent offline (English): no queue number, English prompts, a left message is not rated', async () => {
  const { page, w } = await ownPage({ site: 'foffline' });
  await w.getByTestId('cw-input').fill('Anyone there?');
  await w.getByTestId('cw-input').press('Enter');
  await w.getByTestId('cw-leave-form').waitFor();
  const status = w.getByTestId('cw-status');
  await status.filter({ hasText: 'No agent is online right now' }).waitFor();
  assert.doesNotMatch(await status.textContent(), /queue/i);
  const prompt = w.locator('[data-testid=cw-message][data-author=system]').first();
  await prompt.waitFor();
  assert.doesNotMatch(await prompt.textContent(), /[\u4e00-\u9fff]/, 'the offline prompt is English');
  assert.doesNotMatch(await w.getByTestId('cw-leave-form').textContent(), /[\u4e00-\u9fff]/, 'the form is English');
  await shot(page, 'first-run-english-offline');
  for (const id of await w.locator('[data-testid^=cw-leave-]:is(input, textarea)').evaluateAll((els) => els.map((e) => e.dataset.testid))) {
    await w.getByTestId(id).fill(id.endsWith('phone') ? '13700000003' : 'Please call me back');
  }
  await w.getByTestId('cw-leave-submit').click();
  await w.getByTestId('cw-leave-sent').waitFor();
  // Give a wrongly sent "closed" status time to arrive: the window would then ask for a rating.
  await page.waitForTimeout(500);
  assert.equal(await w.getByTestId('cw-rate').count(), 0, 'no rating of a service nobody gave');
  await shot(page, 'first-run-leave-message-sent');
});

test('a new-chat notice in the console covers neither the reply box nor the messages', async () => {
  const amy = await loginTo('ftoast', 'amy', 'amy-password-1');
  const first = await ownPage({ site: 'ftoast' });
  await first.w.getByTestId('cw-input').fill('first shopper');
  await first.w.getByTestId('cw-input').press('Enter');
  await amy.getByTestId('conversation').first().click();
  await amy.getByTestId('reply-input').waitFor();
  const second = await ownPage({ site: 'ftoast' });
  await second.w.getByTestId('cw-input').fill('second shopper');
  await second.w.getByTestId('cw-input').press('Enter');
  const alert = amy.getByTestId('new-chat-alert');
  await alert.waitFor();
  const a = await alert.boundingBox();
  for (const id of ['reply-input', 'log']) {
    const b = await amy.getByTestId(id).boundingBox();
    const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    assert.ok(!overlap, `the notice covers ${id}: ${JSON.stringify({ a, b })}`);
  }
  await shot(amy, 'first-run-console-notice');
  await amy.close();
});
