// End-to-end harness: starts the real Worker in workerd (wrangler dev) on a free port with a
// state dir, seeds the demo site through the admin API, and launches headless Chromium.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const wrangler = process.env.WRANGLER_BIN || path.join(root, 'node_modules', '.bin', 'wrangler');
export const demoConfig = JSON.parse(fs.readFileSync(path.join(root, 'demo-site', 'config', 'demo.json'), 'utf8'));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Every Worker still running when this process ends is killed, so a test that failed before its
// own cleanup never leaves workerd behind or keeps the test file from finishing. An uncaught error
// (a benchmark's top-level await that throws) ends the process through node's test runner, whose
// handler throws again, and then no 'exit' handler runs: the monitor sees the error first.
const live = new Set();
const killLive = () => {
  for (const pid of live) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
};
process.on('exit', killLive);
process.on('uncaughtExceptionMonitor', killLive);

/**
 * Starts `wrangler dev`; resolves once /api/v1/health answers. With `devtools: false` (benchmarks),
 * the same Worker starts through wrangler's API without the inspector (`serve.mjs`); `inspector`
 * is then null. A free port found by `freePort` can
 * be taken by another process before wrangler binds it (the machine may run other servers, and
 * wrangler's own helpers bind ports too): "Address already in use" is retried with fresh ports
 * (the same `port` again, a moment later, when the caller chose it). So is "The Workers runtime
 * failed to start" without any further word from workerd: seen once in 707 starts on this machine
 * (2026-11-30, a whole suite file lost), never twice in a row.
 */
export async function startEdge(options = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startEdgeOnce(options);
    } catch (err) {
      if (attempt >= 4 || !/Address already in use|The Workers runtime failed to start/.test(String(err?.message))) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

async function startEdgeOnce({ stateDir = tempDir('cw-state-'), adminToken = 'e2e-admin-token-0123456789', port, vars = {}, devtools = true } = {}) {
  port = port ?? await freePort();
  const inspector = devtools ? await freePort() : null;
  const [command, args] = devtools
    ? [wrangler, ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
      '--persist-to', stateDir, '--var', `ADMIN_TOKEN:${adminToken}`, '--log-level', 'warn',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])]]
    : [process.execPath, [path.join(root, 'tests', 'e2e', 'serve.mjs'), JSON.stringify({ port, stateDir, vars: { ...vars, ADMIN_TOKEN: adminToken } })]];
  const child = spawn(command, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  live.add(child.pid);
  const exited = new Promise((resolve) => child.on('exit', () => { live.delete(child.pid); resolve(); }));
  // A forgotten Worker must not keep node alive; the exit handler above kills it.
  child.unref();
  child.stdout.unref();
  child.stderr.unref();
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler exited early:\n${log}`);
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      process.kill(-child.pid, 'SIGKILL');
      throw new Error(`wrangler did not start within 90 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    port,
    inspector,
    pid: child.pid,
    stateDir,
    adminToken,
    log: () => log,
    /** Kills wrangler and workerd at once (SIGKILL), as a crash would, and waits for the exit. */
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
    },
    /** Stops wrangler and workerd (the whole process group) and waits for the exit. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
      await exited;
      clearTimeout(timer);
      // workerd may outlive wrangler for a moment; make sure the group is gone.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}

/** The workerd processes of a `startEdge` edge (its process group), each with its CPU time so far in ms (Linux /proc). */
export function workerdProcesses(edge) {
  const found = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== edge.pid || !stat.includes('(workerd)')) continue;
    // utime + stime, in clock ticks (100 a second on Linux).
    found.push({ pid, cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 });
  }
  return found;
}

/**
 * The address of the runtime that runs the Worker itself, without `wrangler dev`'s proxy in front.
 * `wrangler dev` runs two workerd processes: a proxy on the public port (it forwards every request
 * and every socket frame, and exists only in development) and the user Worker's own runtime on a
 * port of its own choosing. Found as the listening socket of a workerd process of this edge's
 * process group (from /proc, Linux only) that answers /api/v1/health; the public port excluded.
 * Benchmarks use it to measure what production runs, where no such proxy sits between a client
 * and the Worker.
 */
export async function runtimeBase(edge) {
  const inodes = new Set();
  for (const { pid } of workerdProcesses(edge)) {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch { /* closed meanwhile */ }
    }
  }
  const ports = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && inodes.has(f[9]))
    .map((f) => parseInt(f[1].split(':')[1], 16))
    .filter((p) => p !== edge.port && p !== edge.inspector);
  for (const p of ports) {
    try {
      const res = await fetch(`http://127.0.0.1:${p}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return `http://127.0.0.1:${p}`;
    } catch { /* another of workerd's sockets */ }
  }
  throw new Error(`no workerd socket of the edge answers /api/v1/health (ports ${ports.join(', ')})`);
}

/**
 * Writes the demo site's configuration through the admin API. The demo config's allowed origins
 * are `cargo xtask dev`'s (port 8787); a test edge serves the demo pages on its own port, so that
 * origin is added.
 */
export async function seedDemo(edge, site = 'demo', config = demoConfig) {
  if (config === demoConfig) config = { ...demoConfig, allowed_origins: [...demoConfig.allowed_origins, edge.base] };
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
}

// Uncaught errors of any page or frame of a browser from `launchBrowser` (a Rust panic in the
// widget or console shows as `RuntimeError: unreachable`). Every test of a file that imports this
// harness fails when one was reported during it.
const pageErrors = [];

/** Records a page's uncaught errors (its own and its frames'). */
export function watchPage(page) {
  if (page.__cwWatched) return page;
  page.__cwWatched = true;
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.stack || err.message}`));
  return page;
}

afterEach(() => {
  if (pageErrors.length > 0) {
    const errors = pageErrors.splice(0);
    throw new Error(`uncaught error in a page or frame:\n${errors.join('\n')}`);
  }
});

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // Every page of every context is watched, however the test made it.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('page', watchPage);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    // browser.newPage makes its own context; its 'page' event has already fired.
    return watchPage(page);
  };
  return browser;
}

/** The widget iframe of a host page. */
export function widget(page) {
  const frame = page.frameLocator('iframe[data-testid=cw-frame]');
  // Until the shopper reaches for it, the page shows only the loader's launcher (the facade); the
  // widget's own launcher is in the iframe the loader creates then. A test that acts on the
  // launcher acts as a shopper does: the pointer goes over the facade first (which loads the
  // widget), then the action reaches the widget's launcher.
  const actions = new Set(['click', 'waitFor', 'hover', 'focus', 'press', 'getAttribute', 'textContent', 'innerText', 'isVisible', 'boundingBox', 'screenshot', 'evaluate', 'tap', 'dispatchEvent']);
  const reach = async () => {
    const iframe = page.locator('iframe[data-testid=cw-frame]');
    if (await iframe.count() > 0) return;
    // The pointer over the facade creates the iframe at once, and the widget then takes the
    // facade's place: a hover still retrying on the removed facade (seen in CI) is not a failure.
    // The iframe appearing is what counts.
    const hover = page.locator('chat-widget').getByTestId('cw-launcher').hover().catch(() => {});
    await Promise.race([hover, iframe.waitFor({ state: 'attached' })]);
    await iframe.waitFor({ state: 'attached' });
  };
  return new Proxy(frame, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== 'getByTestId') return typeof value === 'function' ? value.bind(target) : value;
      return (id) => {
        const found = target.getByTestId(id);
        if (id !== 'cw-launcher') return found;
        return new Proxy(found, {
          get(inner, name) {
            const fn = Reflect.get(inner, name);
            if (typeof fn !== 'function') return fn;
            if (!actions.has(name)) return fn.bind(inner);
            return async (...args) => { await reach(); return fn.apply(inner, args); };
          },
        });
      };
    },
  });
}

/** The loader's launcher (the facade) on the host page, before the widget is loaded. */
export function facade(page) {
  return page.locator('chat-widget').getByTestId('cw-launcher');
}

/** Logs an agent into the console in a fresh page; returns the page. */
export async function agentLogin(browser, edge, agent = 'alice', password = 'alice-demo-pass') {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${edge.base}/console/`);
  await page.getByTestId('login-agent').fill(agent);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('me').waitFor();
  // The lists are current (the agent's own and the site's board), not a "0" still loading.
  await page.locator('[data-testid=lists][aria-busy=false]').waitFor({ state: 'attached' });
  return page;
}

/** A socket to `url` (ws:) that sends `first` once open, keeps every frame it gets in `ws.frames`,
 * and resolves once the Desk answered `ready`. */
export function frameSocket(url, first) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.frames = [];
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify(first)));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      ws.frames.push(f);
      if (f.type === 'ready') resolve(ws);
    });
  });
}

/** Waits until `check()` holds, looking every 20 ms for at most 10 s; `what` names it if not. */
export async function until(check, what) {
  for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > 10_000) throw new Error(`not within 10 s: ${what}`);
  }
}
