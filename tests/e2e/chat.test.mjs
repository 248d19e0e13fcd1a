// A shopper asks on the demo shop, an agent answers from the console: through the real Worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLogin, launchBrowser, seedDemo, startEdge, widget } from './harness.mjs';

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  await seedDemo(edge);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

test('a shopper message reaches an agent and the reply shows in the widget', async () => {
  const shopper = await (await browser.newContext()).newPage();
  await shopper.goto(`${edge.base}/`, { waitUntil: 'domcontentloaded' });
  await shopper.evaluate(() => {
    window.heard = [];
    window.ChatWidget('on', 'message', (m) => window.heard.push(m.text));
  });
  const w = widget(shopper);
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-window').waitFor();
  await w.getByTestId('cw-greeting').waitFor();
  await w.getByTestId('cw-input').fill('你好');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-author=visitor][data-status=sent]', { hasText: '你好' }).waitFor();

  const agent = await agentLogin(browser, edge);
  await agent.getByTestId('conversation').first().click();
  await agent.locator('[data-testid=message][data-author=visitor]', { hasText: '你好' }).waitFor();
  await agent.getByTestId('reply-input').fill('您好，请问有什么可以帮您？');
  await agent.getByTestId('reply-input').press('Enter');

  await w.locator('[data-testid=cw-message][data-author=agent]', { hasText: '您好，请问有什么可以帮您？' }).waitFor();
  await shopper.waitForFunction(() => window.heard.length === 1);
  assert.deepEqual(await shopper.evaluate(() => window.heard), ['您好，请问有什么可以帮您？']);
  // Each message is shown exactly once on both sides (next to the system prompts).
  assert.equal(await w.locator('[data-testid=cw-message]:not([data-author=system])').count(), 2);
  assert.equal(await agent.locator('[data-testid=message]:not([data-author=system])').count(), 2);
});

test('the JS API queued before the loader opens and closes the widget', async () => {
  const page = await (await browser.newContext()).newPage();
  // A blank host page on its own origin-path, with the snippet pasted after the queued calls.
  await page.route(`${edge.base}/blank-host.html`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body>
    <script>window.ChatWidget = window.ChatWidget || function(){(ChatWidget.q=ChatWidget.q||[]).push(arguments)};
    ChatWidget('on', 'open', function(){ window.opened = (window.opened||0) + 1; });
    ChatWidget('open');</script>
    <script src="${edge.base}/w.js" data-site="demo" async></script></body></html>` }));
  await page.goto(`${edge.base}/blank-host.html`, { waitUntil: 'domcontentloaded' });
  const w = widget(page);
  await w.getByTestId('cw-window').waitFor();
  await page.waitForFunction(() => window.opened === 1);
  await page.evaluate(() => window.ChatWidget('close'));
  await w.getByTestId('cw-window').waitFor({ state: 'detached' });
  await page.evaluate(() => window.ChatWidget('toggle'));
  await w.getByTestId('cw-window').waitFor();
});

test('a wrong agent password is refused with a typed error', async () => {
  const res = await fetch(`${edge.base}/api/v1/sites/demo/agents/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agent: 'alice', password: 'wrong-password' }),
  });
  assert.equal(res.status, 401);
  assert.deepEqual((await res.json()).error.code, 'invalid_credentials');
});

test('desktop: the open window is a panel beside the launcher; phone: it takes the whole screen', async () => {
  for (const [viewport, full] of [[{ width: 1280, height: 800 }, false], [{ width: 390, height: 844 }, true]]) {
    const page = await (await browser.newContext({ viewport })).newPage();
    await page.goto(`${edge.base}/`, { waitUntil: 'domcontentloaded' });
    const w = widget(page);
    await w.getByTestId('cw-launcher').click();
    await w.getByTestId('cw-window').waitFor();
    await page.waitForFunction(() => document.querySelector('iframe[data-testid=cw-frame]').getBoundingClientRect().width > 96);
    const frame = await page.locator('iframe[data-testid=cw-frame]').boundingBox();
    const box = await w.getByTestId('cw-window').boundingBox();
    if (full) {
      assert.deepEqual([frame.width, frame.height], [390, 844]);
      assert.deepEqual([Math.round(box.width), Math.round(box.height)], [390, 844]);
      assert.equal(await w.getByTestId('cw-launcher').isVisible(), false);
      const fontSize = await w.getByTestId('cw-input').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(fontSize >= 16, `input font ${fontSize}px (no iOS zoom)`);
    } else {
      assert.ok(box.width >= 360 && box.width <= 400, `panel width ${box.width}`);
      assert.ok(box.x > 1280 - 440, 'pinned right');
      assert.equal(await w.getByTestId('cw-launcher').isVisible(), true);
    }
    await page.context().close();
  }
});
