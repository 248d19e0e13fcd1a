// What the snippet costs a host page, in one run on this machine (headless Chromium, real workerd):
// the bytes before the shopper reaches for the chat and to an open chat (gzip and brotli), the
// page's load event with and without the snippet, when the launcher shows, how soon a click gives
// a chat ready to type (cold, and with the pointer resting on the launcher first), and Lighthouse
// 12.2.3 (mobile and desktop presets) on the demo shop with and without the snippet. Prints
// `bench: NAME VALUE UNIT` lines. Lighthouse is installed for the bench only (into
// target/bench-tools, by `cargo xtask bench`); without it those lines are skipped with a note.
import http from 'node:http';
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { demoConfig, launchBrowser, root, seedDemo, startEdge } from '../e2e/harness.mjs';

const RUNS = Number(process.env.FACADE_RUNS ?? 10);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const print = (name, value, unit) => console.log(`bench: ${name} ${typeof value === 'number' ? Math.round(value * 10) / 10 : value} ${unit}`);
const gzip = (b) => zlib.gzipSync(b, { level: 9 }).length;
const brotli = (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

const edge = await startEdge();
await seedDemo(edge);
const browser = await launchBrowser();

// The demo shop with and without the snippet, from one origin (a small proxy in front of the edge,
// so Lighthouse, which drives its own Chromium, can load both).
const shopHtml = await (await fetch(`${edge.base}/`)).text();
const snippet = /<script src="\/w\.js"[^>]*><\/script>/;
if (!snippet.test(shopHtml)) throw new Error('the demo shop has no snippet');
const proxy = http.createServer(async (req, res) => {
  if (req.url === '/with.html' || req.url === '/without.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(req.url === '/with.html' ? shopHtml : shopHtml.replace(snippet, ''));
  }
  if (req.url === '/cross.html') {
    // The shop on this origin, its snippet pointing at the edge's (as on a real site).
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(shopHtml.replace('src="/w.js"', `src="${edge.base}/w.js"`));
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
  const hop = ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade'];
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !hop.includes(k)));
  const upstream = await fetch(`${edge.base}${req.url}`, { method: req.method, headers, body });
  res.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding'].includes(k))));
  res.end(Buffer.from(await upstream.arrayBuffer()));
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const shop = `http://127.0.0.1:${proxy.address().port}`;
// The demo site must accept the proxy's origin for an opened chat.
await seedDemo(edge, 'demo', { ...demoConfig, allowed_origins: [...demoConfig.allowed_origins, edge.base, shop] });

// Timings come from the edge's own origin (the shop as it is, and the same page without the
// snippet, served by the browser's request routing): no proxy in the way.
async function shopPage(ctx, kind) {
  const p = await ctx.newPage();
  if (kind === 'cross') {
    // The shop on an origin of its own (the proxy's, its files come through it), the snippet
    // pointing at the edge: the page's files and ours do not share the browser's connections to
    // one host, as on a real site.
    await p.goto(`${shop}/cross.html`, { waitUntil: 'load' });
    return p;
  }
  await p.route(`${edge.base}/t/without.html`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: shopHtml.replace(snippet, '') }));
  await p.route(`${edge.base}/t/with.html`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: shopHtml }));
  await p.goto(`${edge.base}/t/${kind}.html`, { waitUntil: 'load' });
  return p;
}

try {
  // Bytes: what a fresh browser downloads before intent, and until the chat is ready to type.
  const context = await browser.newContext();
  const page = await context.newPage();
  if (process.env.FACADE_DEBUG) { page.on('console', (m) => console.log('console:', m.text())); page.on('requestfailed', (r) => console.log('failed:', r.url(), r.failure()?.errorText)); page.on('response', async (r) => { if (r.status() >= 400) console.log('bad:', r.status(), r.url(), (await r.text().catch(() => '')).slice(0, 200)); }); }
  const loaded = [];
  page.on('requestfinished', async (r) => { loaded.push(r.url()); });
  await page.goto(`${shop}/with.html`, { waitUntil: 'load' });
  await page.locator('chat-widget').getByTestId('cw-launcher').waitFor();
  await new Promise((r) => setTimeout(r, 500));
  const ours = (u) => u.includes('/w.js') || u.includes('/launcher.js') || u.includes('/widget/');
  const before = loaded.filter(ours);
  await page.locator('chat-widget').getByTestId('cw-launcher').click();
  await page.frameLocator('iframe[data-testid=cw-frame]').getByTestId('cw-input').waitFor();
  await new Promise((r) => setTimeout(r, 500));
  const open = loaded.filter(ours);
  await context.close();
  const bodies = async (urls) => Promise.all([...new Set(urls)].map(async (u) => Buffer.from(await (await fetch(u)).arrayBuffer())));
  const sum = (bs, f) => bs.reduce((n, b) => n + f(b), 0);
  const pre = await bodies(before);
  const all = await bodies(open);
  print('bytes_before_intent_gzip', sum(pre, gzip), `bytes (${before.map((u) => new URL(u).pathname).join(', ')})`);
  print('bytes_before_intent_brotli', sum(pre, brotli), 'bytes');
  print('bytes_open_chat_gzip', sum(all, gzip), `bytes (${[...new Set(open)].length} files: loader, look, widget page, js, wasm, css)`);
  print('bytes_open_chat_brotli', sum(all, brotli), 'bytes');

  // The page's load event with and without the snippet; when the launcher shows (from navigation
  // start, cold cache: a new browser context each time).
  const loads = { with: [], without: [] };
  const visible = [];
  const afterLoad = [];
  const steps = [];
  const crossVisible = [];
  const crossSteps = [];
  for (let i = 0; i < RUNS; i += 1) {
    for (const kind of ['without', 'with', 'cross']) {
      const ctx = await browser.newContext();
      await ctx.addInitScript(() => {
        // When the loader runs: its first act is to set `window.__chatWidget`.
        let mark;
        Object.defineProperty(window, '__chatWidget', { configurable: true, get: () => mark, set: (v) => { mark = v; window.loaderRanAt = performance.now(); } });
        new MutationObserver((_, o) => {
          if (document.querySelector('chat-widget')) { window.launcherAt = performance.now(); o.disconnect(); }
        }).observe(document, { childList: true, subtree: true });
      });
      const p = await shopPage(ctx, kind);
      if (kind !== 'without') await p.waitForFunction(() => window.launcherAt);
      const t = await p.evaluate(() => {
        const at = (part) => performance.getEntriesByType('resource').find((e) => e.name.includes(part));
        const loader = at('/w.js');
        const look = at('/launcher.js');
        return {
          load: performance.getEntriesByType('navigation')[0].loadEventEnd,
          launcher: window.launcherAt,
          steps: loader && look ? [loader.startTime, loader.responseEnd, window.loaderRanAt, look.startTime, look.responseEnd] : null,
        };
      });
      if (kind === 'cross') { crossVisible.push(t.launcher); crossSteps.push(t.steps); await ctx.close(); continue; }
      loads[kind].push(t.load);
      if (kind === 'with') { visible.push(t.launcher); afterLoad.push(Math.max(0, t.launcher - t.load)); steps.push(t.steps); }
      await ctx.close();
    }
  }
  // Paired: each run's page with the snippet against the same run's page without it (the loads
  // themselves swing by tens of ms from run to run on this machine).
  const delays = loads.with.map((t, i) => t - loads.without[i]);
  print('host_load_delay_ms', median(delays), `ms (median of ${RUNS} paired differences; load event ${median(loads.without).toFixed(1)} ms without the snippet, ${median(loads.with).toFixed(1)} ms with it)`);
  print('launcher_visible_ms', median(visible), `ms from navigation start (median of ${RUNS}, cold cache)`);
  print('launcher_after_load_ms', median(afterLoad), 'ms after the load event (0: before it)');
  // Where the time to the launcher goes: when the page asks for the loader and has it, when the
  // loader runs (an async script runs once the page's parser-blocking scripts let it), when it
  // asks for the look and has it (medians, ms from navigation start).
  const stepsOf = (all, drawn) => {
    const step = (i) => median(all.filter(Boolean).map((x) => x[i])).toFixed(1);
    return `loader requested ${step(0)} ms, loaded ${step(1)} ms, ran ${step(2)} ms; look requested ${step(3)} ms, loaded ${step(4)} ms; launcher drawn ${median(drawn).toFixed(1)} ms`;
  };
  console.log(`bench: launcher_steps ${stepsOf(steps, visible)}`);
  // The same with the shop on an origin of its own (as on a real site): the page's requests and
  // ours no longer wait for the same six connections.
  print('launcher_visible_cross_origin_ms', median(crossVisible), `ms from navigation start, the shop on its own origin (median of ${RUNS}, cold cache)`);
  console.log(`bench: launcher_steps_cross_origin ${stepsOf(crossSteps, crossVisible)}`);

  // A click to a chat ready to type: cold (no pointer over the launcher first), and with the
  // pointer resting on it 150 ms before the click.
  const opens = { cold: [], hover: [] };
  for (let i = 0; i < RUNS; i += 1) {
    for (const kind of ['cold', 'hover']) {
      const ctx = await browser.newContext();
      const p = await shopPage(ctx, 'with');
      const launcher = p.locator('chat-widget').getByTestId('cw-launcher');
      await launcher.waitFor();
      if (kind === 'hover') { await launcher.hover(); await new Promise((r) => setTimeout(r, 150)); }
      const ms = await p.evaluate(() => new Promise((resolve) => {
        const t0 = performance.now();
        // The loader's launcher; after the pointer rested on it the widget may already have taken
        // its place.
        const frameDoc = document.querySelector('iframe[data-testid=cw-frame]')?.contentDocument;
        (document.querySelector('chat-widget')?.shadowRoot.querySelector('button') ?? frameDoc.querySelector('[data-testid=cw-launcher]')).click();
        const poll = () => {
          const doc = document.querySelector('iframe[data-testid=cw-frame]')?.contentDocument;
          const input = doc?.querySelector('[data-testid=cw-input]');
          if (input && !input.disabled && doc.activeElement === input) resolve(performance.now() - t0); else requestAnimationFrame(poll);
        };
        poll();
      }));
      opens[kind].push(ms);
      await ctx.close();
    }
  }
  print('open_ready_cold_ms', median(opens.cold), `ms from the click to the input ready (median of ${RUNS}, cold cache, no hover)`);
  print('open_ready_hover_ms', median(opens.hover), `ms (the pointer on the launcher 150 ms before the click)`);

  await lighthouseFigures(shop);
} finally {
  await browser.close();
  proxy.close();
  await edge.stop();
}

/** Lighthouse 12.2.3, mobile and desktop presets, with and without the snippet (median of 3). */
async function lighthouseFigures(base) {
  const tools = path.join(root, 'target', 'bench-tools', 'node_modules');
  if (!fs.existsSync(path.join(tools, 'lighthouse'))) {
    console.log('bench: lighthouse not installed in target/bench-tools (cargo xtask bench installs it): skipped');
    return;
  }
  const require = createRequire(path.join(tools, 'x.js'));
  const lighthouse = (await import(require.resolve('lighthouse'))).default;
  const desktop = (await import(path.join(tools, 'lighthouse', 'core', 'config', 'desktop-config.js'))).default;
  const chromeLauncher = await import(require.resolve('chrome-launcher'));
  for (const [preset, config] of [['mobile', undefined], ['desktop', desktop]]) {
    const figures = {};
    for (const kind of ['with', 'without']) {
      const runs = [];
      for (let i = 0; i < 3; i += 1) {
        const chrome = await chromeLauncher.launch({ chromePath: '/usr/bin/chromium', chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'] });
        try {
          const result = await lighthouse(`${base}/${kind}.html`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] }, config);
          const a = result.lhr.audits;
          runs.push({ tbt: a['total-blocking-time'].numericValue, main: a['mainthread-work-breakdown'].numericValue, bytes: a['total-byte-weight'].numericValue });
        } finally {
          await chrome.kill();
        }
      }
      figures[kind] = { tbt: median(runs.map((r) => r.tbt)), main: median(runs.map((r) => r.main)), bytes: median(runs.map((r) => r.bytes)) };
    }
    for (const kind of ['with', 'without']) {
      print(`lighthouse_${preset}_tbt_ms_${kind}`, figures[kind].tbt, 'ms');
      print(`lighthouse_${preset}_mainthread_ms_${kind}`, figures[kind].main, 'ms');
      print(`lighthouse_${preset}_bytes_${kind}`, figures[kind].bytes, 'bytes');
    }
    print(`lighthouse_${preset}_mainthread_ratio`, figures.with.main / figures.without.main, 'with/without');
    print(`lighthouse_${preset}_bytes_ratio`, figures.with.bytes / figures.without.bytes, 'with/without');
  }
}
