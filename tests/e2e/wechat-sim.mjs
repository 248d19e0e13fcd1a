// A WeChat API simulator for the mini-program channel's tests (WeChat is not reachable from
// here): the documented endpoints the Desk calls, `cgi-bin/stable_token` and
// `cgi-bin/message/custom/send`, with WeChat's error codes (40001 for a token it no longer
// accepts, 45015 outside the reply window), and a record of everything it received; and the
// links of users' images (PicUrl), which expire.
import http from 'node:http';
import crypto from 'node:crypto';

/** Starts the simulator on 127.0.0.1; `apps` maps AppID -> AppSecret. */
export async function startWechatSim(apps) {
  const state = {
    tokens: new Map(), // token -> AppID
    tokenCalls: [], // { appid, force_refresh }
    sent: [], // { appid, body }
    closedWindows: new Set(), // openids WeChat refuses (45015)
    pictures: new Map(), // name -> bytes served at /pic/{name} (a user's image, as PicUrl links it)
  };
  const json = (res, body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://sim');
    if (req.method === 'GET' && url.pathname.startsWith('/pic/')) {
      const bytes = state.pictures.get(url.pathname.slice('/pic/'.length));
      res.writeHead(bytes ? 200 : 404, { 'content-type': 'image/png' });
      return res.end(bytes ?? '');
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body = {};
    try { body = raw ? JSON.parse(raw) : {}; } catch { return json(res, { errcode: 47001, errmsg: 'data format error' }); }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/stable_token') {
      state.tokenCalls.push({ appid: body.appid, force_refresh: Boolean(body.force_refresh) });
      if (body.grant_type !== 'client_credential' || apps[body.appid] !== body.secret) {
        return json(res, { errcode: 40125, errmsg: 'invalid appsecret' });
      }
      const token = `tok-${crypto.randomBytes(8).toString('hex')}`;
      state.tokens.set(token, body.appid);
      return json(res, { access_token: token, expires_in: 7200 });
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      const appid = state.tokens.get(url.searchParams.get('access_token'));
      if (!appid) return json(res, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      if (state.closedWindows.has(body.touser)) {
        return json(res, { errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' });
      }
      state.sent.push({ appid, body });
      return json(res, { errcode: 0, errmsg: 'ok' });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    state,
    /** Makes WeChat forget every token it handed out (as when another server fetched a new one). */
    expireTokens() { state.tokens.clear(); },
    stop() { return new Promise((resolve) => server.close(resolve)); },
  };
}
