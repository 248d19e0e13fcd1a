// Restarting wrangler dev with the same state dir keeps the conversation history.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLogin, launchBrowser, seedDemo, startEdge, tempDir, widget } from './harness.mjs';

let edge;
let browser;

after(async () => {
  await browser?.close();
  await edge?.stop();
});

test('conversation history survives a restart of workerd', async () => {
  const stateDir = tempDir('cw-persist-');
  edge = await startEdge({ stateDir });
  await seedDemo(edge);
  browser = await launchBrowser();
  const context = await browser.newContext();
  let shopper = await context.newPage();
  await shopper.goto(`${edge.base}/`, { waitUntil: 'domcontentloaded' });
  let w = widget(shopper);
  await w.getByTestId('cw-launcher').click();
  await w.getByTestId('cw-input').fill('重启之前的消息');
  await w.getByTestId('cw-input').press('Enter');
  await w.locator('[data-testid=cw-message][data-status=sent]', { hasText: '重启之前的消息' }).waitFor();
  await shopper.close();
  const port = edge.port;
  await edge.stop();

  // Same state dir and port: the shopper's browser keeps its session token (same origin).
  edge = await startEdge({ stateDir, port });
  shopper = await context.newPage();
  await shopper.goto(`${edge.base}/`, { waitUntil: 'domcontentloaded' });
  w = widget(shopper);
  await w.getByTestId('cw-launcher').click();
  await w.locator('[data-testid=cw-message][data-author=visitor]', { hasText: '重启之前的消息' }).waitFor();
  await w.getByTestId('cw-input').fill('重启之后的消息');
  await w.getByTestId('cw-input').press('Enter');

  const agent = await agentLogin(browser, edge);
  await agent.getByTestId('conversation').first().click();
  await agent.locator('[data-testid=message][data-author=visitor]', { hasText: '重启之前的消息' }).waitFor();
  await agent.locator('[data-testid=message][data-author=visitor]', { hasText: '重启之后的消息' }).waitFor();
  assert.equal(await agent.locator('[data-testid=message][data-author=visitor]').count(), 2);

  // Messages go into the search index in batches, after they are stored: the one stored just
  // before workerd stopped (no batch written since) is found after the restart.
  await agent.getByTestId('search-input').fill('重启之前');
  await agent.getByTestId('search-input').press('Enter');
  await agent.locator('[data-testid=search-results][aria-busy=false]').waitFor();
  assert.equal(await agent.locator('[data-testid=search-hit]').count(), 1);
  assert.match(await agent.getByTestId('snippet').first().textContent(), /重启之前的消息/);
});
