// The demo site (demo-site/, served by the Worker at /) as a visitor and a developer use it, in
// headless Chromium against the real Worker seeded with demo-site/config/demo.json: the shop's
// fake login with a real identity token, order cards an agent receives, the entry buttons, the
// theme playground and its snippet, the guide, and the pages' weight (nothing from outside).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { facade, launchBrowser, root, seedDemo, startEdge, widget } from './harness.mjs';
import { agentSocket } from './agent-socket.mjs';

const SHOTS = path.join(root, 'target', 'screenshots');
const PAGES = ['/', '/product?id=watch', '/orders', '/login', '/playground', '/guide', '/identity'];
const AGENTS = { alice: 'alice-demo-pass', bob: 'bob-demo-pass', carol: 'carol-demo-pass' };

let edge;
let browser;

before(async () => {
  edge = await startEdge({ vars: { DEMO_IDENTITY: '1' } });
  await seedDemo(edge);
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

async function newPage(options = {}) {
  const context = await browser.newContext(options);
  return context.newPage();
}

function mint(base, body, site = 'demo') {
  return fetch(`${base}/api/v1/sites/${site}/demo-identity`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));
}

/** The widget frame inside a page (or inside the playground's preview frame). */
function widgetFrame(page) {
  return page.frames().find((f) => f.url().includes('/widget/') && !f.isDetached());
}

/** What a visitor sees of the closed widget: the launcher's and the root's computed look. */
function look(frame) {
  return frame.evaluate(() => {
    const root = document.querySelector('.cw');
    const launcher = document.querySelector('[data-testid=cw-launcher]');
    const s = getComputedStyle(launcher);
    const r = getComputedStyle(root);
    const img = launcher.querySelector('img');
    return {
      classes: root.className, lang: root.getAttribute('lang'), color: r.color, scheme: r.colorScheme,
      background: s.backgroundColor, text: s.color, radius: s.borderRadius, height: s.height,
      left: s.left, right: s.right, bottom: s.bottom, label: launcher.innerText.trim(),
      name: launcher.getAttribute('aria-label'), icon: img ? img.getAttribute('src') : launcher.querySelector('svg path')?.getAttribute('d'),
    };
  });
}

test('the demo identity endpoint mints v2 and ECB tokens the edge verifies, for the demo site only', async () => {
  const v2 = await mint(edge.base, { full_name: '张三', phone: '15912345678' });
  assert.equal(v2.status, 200);
  assert.match(v2.body.token, /^v2\.[A-Za-z0-9_-]+$/);
  const ecb = await mint(edge.base, { full_name: '张三', phone: '15912345678', format: 'ecb' });
  assert.match(ecb.body.token, /^[0-9A-F]+$/);
  assert.ok(ecb.body.exp > Date.now() / 1000, 'the ECB payload carries exp too');
  for (const token of [v2.body.token, ecb.body.token]) {
    const res = await fetch(`${edge.base}/api/v1/sites/demo/sessions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: token }),
    });
    const session = await res.json();
    assert.deepEqual([res.status, session.verified, session.visitor_name], [200, true, '张三']);
  }
  // Another site, a bad phone, an unknown format: refused with the edge's typed errors.
  assert.deepEqual((await mint(edge.base, { full_name: 'x', phone: '15912345678' }, 'wshop')).body.error.code, 'not_found');
  assert.deepEqual((await mint(edge.base, { full_name: '张三', phone: 'call me' })).body.error.code, 'bad_request');
  assert.deepEqual((await mint(edge.base, { full_name: '张三', phone: '15912345678', format: 'rot13' })).body.error.code, 'bad_request');

  // A Worker started without DEMO_IDENTITY (any deployment) has no such endpoint at all.
  const plain = await startEdge();
  try {
    await seedDemo(plain);
    const off = await mint(plain.base, { full_name: '张三', phone: '15912345678' });
    assert.deepEqual([off.status, off.body.error.code], [404, 'not_found']);
  } finally {
    await plain.stop();
  }
});

test('shop: a shopper logs in, opens the orders, sends an order card, and the agent gets it', async () => {
  const agents = await Promise.all(['alice', 'bob'].map((a) => agentSocket(browser, edge, 'demo', a, AGENTS[a])));
  const page = await newPage();
  await page.goto(`${edge.base}/`, { waitUntil: 'domcontentloaded' });
  await page.getByTestId('product').nth(3).waitFor();
  assert.equal(await page.getByTestId('product').count(), 4);
  // The loader's launcher: the widget itself waits for the shopper.
  await facade(page).waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'demo-shop.png') });

  // A guest's chat has no order button.
  await page.goto(`${edge.base}/orders`, { waitUntil: 'domcontentloaded' });
  await page.getByTestId('orders-login').waitFor();
  const w = widget(page);
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-input').waitFor();
  assert.equal(await w.getByTestId('cw-cards-orders').count(), 0, 'guests never see the card button');

  // The fake login gets a real token from the demo endpoint and lands on the orders page.
  await page.getByTestId('orders-login').click();
  await page.getByTestId('login-name').fill('王小明');
  await page.getByTestId('login-phone').fill('13800138000');
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/orders$/);
  assert.equal(await page.getByTestId('user-name').textContent(), '您好，王小明');
  assert.equal(await page.getByTestId('order').count(), 3);
  await page.getByTestId('identity-token').filter({ hasText: /^v2\./ }).waitFor();

  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-cards-orders').click();
  await w.getByTestId('cw-card-picker').waitFor();
  assert.equal(await w.getByTestId('cw-card-option').count(), 3);
  await w.getByTestId('cw-card-option').first().click();
  const card = w.locator('[data-testid=cw-message][data-status=sent] [data-testid=cw-card]');
  await card.waitFor();
  assert.equal(await card.getAttribute('href'), `${edge.base}/orders#DS20260418001`);

  const isCard = (f) => f.type === 'message' && f.message.body.kind === 'card' && f.message.body.id === 'DS20260418001';
  const got = await Promise.any(agents.map((a) => a.waitFor(isCard)));
  assert.deepEqual({ ...got.message.body }, {
    kind: 'card', list: 'orders', id: 'DS20260418001', title: '无线降噪耳机 Air Pro', image: `${edge.base}/p-earbuds.svg`,
    price: '¥399.00', status: '已发货', url: `${edge.base}/orders#DS20260418001`,
  });
  const frames = (await Promise.all(agents.map((a) => a.frames()))).flat();
  assert.ok(JSON.stringify(frames).includes('王小明'), 'the agent sees the verified name');
  await page.screenshot({ path: path.join(SHOTS, 'demo-shop-orders.png') });

  // The same shop on a phone.
  const phone = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(`${edge.base}/product?id=watch`, { waitUntil: 'domcontentloaded' });
  await facade(phone).waitFor();
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px');
  await phone.screenshot({ path: path.join(SHOTS, 'demo-shop-mobile.png') });
  await Promise.all([...agents.map((a) => a.close()), page.context().close(), phone.context().close()]);
});

test('each entry button on the product page reaches its designated group or agent', async () => {
  const agents = Object.fromEntries(await Promise.all(Object.entries(AGENTS).map(async ([id, pass]) => [id, await agentSocket(browser, edge, 'demo', id, pass)])));
  for (const [entry, expected] of [['after-sale', ['carol']], ['vip', ['alice']], ['pre-sale', ['alice', 'bob']]]) {
    const page = await newPage();
    await page.goto(`${edge.base}/product?id=backpack`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId(`entry-${entry}`).click();
    const w = widget(page);
    await w.getByTestId('cw-window').waitFor();
    const text = `从 ${entry} 入口咨询 ${crypto.randomBytes(3).toString('hex')}`;
    await w.getByTestId('cw-input').fill(text);
    await w.getByTestId('cw-input').press('Enter');
    const pred = `(f) => f.type === 'message' && f.message.body.text === ${JSON.stringify(text)}`;
    const who = await Promise.any(Object.entries(agents).map(([id, a]) => a.waitFor(pred).then(() => id)));
    assert.ok(expected.includes(who), `${entry} reached ${who}, expected ${expected}`);
    for (const [id, a] of Object.entries(agents)) {
      if (id !== who) assert.ok(!(await a.messages()).some((m) => m.body.text === text), `${id} also got the ${entry} message`);
    }
    await page.context().close();
  }
  await Promise.all(Object.values(agents).map((a) => a.close()));
});

test('playground: every control changes the real widget live; the copied snippet gives the same widget on a blank page', async () => {
  const page = await newPage({ viewport: { width: 1280, height: 900 } });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: edge.base });
  await page.goto(`${edge.base}/playground`, { waitUntil: 'domcontentloaded' });
  const preview = page.frameLocator('[data-testid=pg-preview]');
  const w = preview.frameLocator('iframe[data-testid=cw-frame]');
  await w.getByTestId('cw-launcher').waitFor();
  const until = (fn, arg) => widgetFrame(page).waitForFunction(fn, arg);
  const launcherStyle = (prop, value) => until(([p, v]) => getComputedStyle(document.querySelector('[data-testid=cw-launcher]'))[p] === v, [prop, value]);
  assert.equal((await look(widgetFrame(page))).background, 'rgb(20, 86, 240)');

  await page.getByTestId('pg-primary').fill('#ffcc00');
  await launcherStyle('backgroundColor', 'rgb(255, 204, 0)');
  await launcherStyle('color', 'rgb(0, 0, 0)');
  await page.getByTestId('pg-primary-hex').fill('#0a7');
  await launcherStyle('backgroundColor', 'rgb(0, 170, 119)');
  assert.equal(await page.getByTestId('pg-primary').inputValue(), '#00aa77');

  await page.getByTestId('pg-shape-bar').check();
  await launcherStyle('borderRadius', '22px');
  await page.getByTestId('pg-label').fill('找客服聊聊');
  await w.getByTestId('cw-launcher-label').filter({ hasText: '找客服聊聊' }).waitFor();
  await page.getByTestId('pg-shape-rounded').check();
  await launcherStyle('borderRadius', '16px');

  await page.getByTestId('pg-icon-custom').check();
  await w.locator(`[data-testid=cw-launcher-img][src="${edge.base}/icon-bubble.svg"]`).waitFor();
  await page.getByTestId('pg-icon-headset').check();
  await w.getByTestId('cw-launcher-img').waitFor({ state: 'detached' });

  await page.getByTestId('pg-position-left').check();
  await page.getByTestId('pg-offset-x').fill('48');
  await launcherStyle('left', '48px');
  await page.getByTestId('pg-offset-y').fill('36');
  await launcherStyle('bottom', '36px');

  await page.getByTestId('pg-dark-true').check();
  await until(() => getComputedStyle(document.querySelector('.cw')).colorScheme === 'dark');
  await page.getByTestId('pg-title').fill('金牌客服');
  await page.getByTestId('pg-open').click();
  await w.getByTestId('cw-title').filter({ hasText: '金牌客服' }).waitFor();
  assert.equal(await w.getByTestId('cw-window').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(28, 29, 33)');
  await page.screenshot({ path: path.join(SHOTS, 'demo-playground.png') });
  await page.getByTestId('pg-open').click();
  await w.getByTestId('cw-window').waitFor({ state: 'detached' });

  // The locale is read from data-locale: the preview loads again in English, keeping the theme.
  await page.getByTestId('pg-locale-en').check();
  await w.locator('.cw[lang=en]').waitFor();
  await launcherStyle('backgroundColor', 'rgb(0, 170, 119)');

  // Phone preview: 390 px wide, and the widget knows it is on a phone.
  await page.getByTestId('pg-device-mobile').click();
  await until(() => document.querySelector('.cw').classList.contains('cw-narrow'));
  assert.equal((await page.getByTestId('pg-preview').boundingBox()).width, 390 + 20, '390 px plus the 10 px frame');
  await page.getByTestId('pg-open').click();
  await w.getByTestId('cw-window').waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'demo-playground-mobile.png'), fullPage: true });
  await page.getByTestId('pg-open').click();
  await w.getByTestId('cw-window').waitFor({ state: 'detached' });
  await page.getByTestId('pg-device-desktop').click();
  await until(() => !document.querySelector('.cw').classList.contains('cw-narrow'));
  await page.getByTestId('pg-label').fill("店长's 客服 <b>&");
  await w.getByTestId('cw-launcher').and(w.locator(`[aria-label="店长's 客服 <b>&"]`)).waitFor();
  const expected = await look(widgetFrame(page));
  assert.equal(expected.scheme, 'dark');

  for (const form of ['attrs', 'js']) {
    await page.getByTestId(`pg-copy-${form}`).click();
    await page.getByTestId('pg-copied').filter({ hasText: '已复制' }).waitFor();
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(snippet, await page.getByTestId(`pg-snippet-${form}`).inputValue());
    assert.match(snippet, form === 'attrs' ? /data-theme='/ : /ChatWidget\('setTheme', /);
    assert.match(snippet, /data-locale="en"/);

    const blank = await newPage({ viewport: { width: 1280, height: 900 } });
    const name = `blank-${form}-${crypto.randomBytes(3).toString('hex')}.html`;
    await blank.route(`${edge.base}/t/${name}`, (r) => r.fulfill({ contentType: 'text/html', body: `<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head><body>\n${snippet}\n</body></html>` }));
    await blank.goto(`${edge.base}/t/${name}`, { waitUntil: 'domcontentloaded' });
    // The loader's launcher first, looking as the widget's will; the pointer over it brings the widget.
    await blank.waitForFunction((bg) => { const b = document.querySelector('chat-widget')?.shadowRoot?.querySelector('button'); return b && getComputedStyle(b).backgroundColor === bg; }, expected.background);
    const stand = await blank.evaluate(() => {
      const launcher = document.querySelector('chat-widget').shadowRoot.querySelector('[data-testid=cw-launcher]');
      const s = getComputedStyle(launcher);
      return { lang: launcher.parentElement.getAttribute('lang'), background: s.backgroundColor, text: s.color, radius: s.borderRadius, height: s.height, left: s.left, bottom: s.bottom, label: launcher.innerText.trim(), name: launcher.getAttribute('aria-label'), icon: launcher.querySelector('img')?.getAttribute('src') ?? launcher.querySelector('svg path')?.getAttribute('d') };
    });
    const same = Object.fromEntries(Object.keys(stand).map((k) => [k, expected[k]]));
    assert.deepEqual(stand, same, `the ${form} snippet's launcher before the widget loads`);
    await widget(blank).getByTestId('cw-launcher').waitFor();
    await widgetFrame(blank).waitForFunction(() => document.querySelector('.cw').classList.contains('cw-left'));
    assert.deepEqual(await look(widgetFrame(blank)), expected, `the ${form} snippet gives the same widget`);
    await blank.context().close();
  }

  // Back to the defaults: the snippet is the bare one-liner.
  await page.getByTestId('pg-reset').click();
  await launcherStyle('backgroundColor', 'rgb(20, 86, 240)');
  assert.equal(await page.getByTestId('pg-snippet-attrs').inputValue(), `<script src="${edge.base}/w.js" data-site="demo" data-locale="en" async></script>`);
  await page.context().close();
});

test('the guide explains every error code the edge answers, and links the identity samples', async () => {
  const guide = await (await fetch(`${edge.base}/guide`)).text();
  const source = ['edge/src/error.rs', 'identity/src/error.rs'].map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n');
  const codes = [...source.matchAll(/=> "([a-z_]+)",?\n/g)].map((m) => m[1]);
  assert.ok(codes.length >= 25, `found ${codes.length} codes`);
  const missing = codes.filter((c) => !guide.includes(`<code>${c}</code>`) && !guide.includes(`<code>${c},`));
  assert.deepEqual(missing, [], 'every error code is in the troubleshooting table');
  for (const heading of ['id="install"', 'id="api"', 'id="events"', 'id="identity"', 'id="routing"', 'id="csp"', 'id="errors"', 'href="/identity"', 'frame-src https://EDGE']) {
    assert.ok(guide.includes(heading), heading);
  }
  const identity = await (await fetch(`${edge.base}/identity`)).text();
  for (const sample of ['samples/java/Identity.java', 'samples/node/identity.mjs', 'samples/python/identity.py', 'samples/go/identity.go']) {
    assert.ok(identity.includes(sample), sample);
  }
});

test('every page loads from this origin only, shares one stylesheet, and fits a 390 px phone', async () => {
  const page = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(edge.base) && !/^(data|blob):/.test(r.url())) outside.push(r.url()); });
  for (const url of PAGES) {
    // Every request counts here, the widget's too: this one waits for `load`.
    await page.goto(`${edge.base}${url}`);
    assert.equal(await page.locator('link[rel=stylesheet][href="/style.css"]').count(), 1, url);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `${url} scrolls sideways at 390 px`);
  }
  assert.deepEqual(outside, []);
  await page.context().close();
});
