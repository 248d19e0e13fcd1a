// An agent on a real agent socket, driven from a browser page on the edge's origin: for tests of
// the visitor side that need someone to answer, without depending on the console's UI.

/** Logs `agent` in and opens its socket; the returned object waits for frames and sends them. */
export async function agentSocket(browser, edge, site, agent, password) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  const token = await page.evaluate(async ({ site, agent, password }) => {
    const res = await fetch(`/api/v1/sites/${site}/agents/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent, password }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(JSON.stringify(body));
    window.frames_ = [];
    await new Promise((resolve, reject) => {
      const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/api/v1/sites/${site}/agents/ws`);
      window.ws_ = ws;
      ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: body.token }));
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data);
        window.frames_.push(f);
        if (f.type === 'ready') resolve();
      };
      ws.onerror = reject;
    });
    return body.token;
  }, { site, agent, password });
  const frames = () => page.evaluate(() => window.frames_);
  return {
    page,
    token,
    frames,
    /** Resolves with the first frame matching `pred` (a function source run in the page). */
    async waitFor(pred, timeout = 15_000) {
      const handle = await page.waitForFunction((src) => window.frames_.find(eval(src)), pred.toString(), { timeout });
      return handle.jsonValue();
    },
    /** Messages the agent received, by kind. */
    async messages() {
      return (await frames()).filter((f) => f.type === 'message').map((f) => f.message);
    },
    send(frame) {
      return page.evaluate((f) => window.ws_.send(JSON.stringify(f)), frame);
    },
    /** Fetches an upload's bytes the way the console does (a fresh signed link from `/meta`). */
    download(uploadId) {
      return page.evaluate(async ({ site, uploadId, token }) => {
        const meta = await (await fetch(`/api/v1/sites/${site}/uploads/${uploadId}/meta`, { headers: { authorization: `Bearer ${token}` } })).json();
        const res = await fetch(meta.url);
        return { status: res.status, type: res.headers.get('content-type'), size: (await res.arrayBuffer()).byteLength };
      }, { site, uploadId, token });
    },
    close() {
      return page.context().close();
    },
  };
}
