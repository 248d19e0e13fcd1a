// A WeChat API simulator for the mini-program channel's tests (WeChat is not reachable from
// here): the documented endpoints the Desk calls, `cgi-bin/stable_token`, `cgi-bin/media/upload`
// (multipart, temporary media), `cgi-bin/media/get` (a user's image by its MediaId),
// `cgi-bin/message/custom/typing` and `cgi-bin/message/custom/send` (text, an image or a
// mini-program card only by media ids it handed out), with WeChat's error codes (40001 for a token
// it no longer accepts, 40007 for an unknown media id, 45015 outside the reply window, 45047 past
// the replies a user's action allows, 45080 for typing more than 30 s after the user's action and
// 45081 for typing again while it shows: the test tells it of each action with `userAction`), and a
// record of everything it received; and the links of users' images (PicUrl), which expire.
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
    media: new Map(), // media_id -> { appid, bytes, type }: what media/upload received
    busy: 0, // how many custom/send calls answer -1 (system busy) next
    typing: [], // { appid, touser, command }: what custom/typing received
    typingRefused: [], // { touser, errcode }: typing commands it refused (45080, 45081)
    hold: 0, // how many custom/send calls are held unanswered next (as a send a crash cut short)
    held: [], // { appid, body }: the calls held
    userMedia: new Map(), // media_id -> bytes: users' images media/get hands out
    actions: new Map(), // openid -> { kind: 'message' | 'enter', at, used }: the user's last action
    quota: { message: { count: 5, ms: 48 * 3600 * 1000 }, enter: { count: 2, ms: 60 * 1000 } },
  };
  /** WeChat's reply rule for a user: 45015 past the window of the last action, 45047 past its count. */
  const quotaRefusal = (touser) => {
    const action = state.actions.get(touser);
    if (!action) return null; // a user the test did not announce: not enforced
    const rule = state.quota[action.kind];
    if (Date.now() - action.at > rule.ms) return { errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' };
    if (action.used >= rule.count) return { errcode: 45047, errmsg: 'out of response count limit' };
    return null;
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
    if (req.method === 'GET' && url.pathname === '/cgi-bin/media/get') {
      if (!state.tokens.get(url.searchParams.get('access_token'))) return json(res, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      const bytes = state.userMedia.get(url.searchParams.get('media_id'));
      if (!bytes) return json(res, { errcode: 40007, errmsg: 'invalid media_id' });
      res.writeHead(200, { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="media.png"' });
      return res.end(bytes);
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    if (req.method === 'POST' && url.pathname === '/cgi-bin/media/upload') {
      const appid = state.tokens.get(url.searchParams.get('access_token'));
      if (!appid) return json(res, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      // multipart/form-data with the file in the field `media`, as WeChat documents it.
      const boundary = /boundary=([^;]+)/.exec(req.headers['content-type'] ?? '')?.[1];
      const head = bytes.indexOf('\r\n\r\n');
      const end = boundary ? bytes.lastIndexOf(`\r\n--${boundary}--`) : -1;
      const part = head >= 0 ? bytes.subarray(0, head).toString() : '';
      if (url.searchParams.get('type') !== 'image' || end < head || !/name="media"/.test(part)) {
        return json(res, { errcode: 40004, errmsg: 'invalid media type' });
      }
      const mediaId = `media-${crypto.randomBytes(6).toString('hex')}`;
      state.media.set(mediaId, { appid, bytes: bytes.subarray(head + 4, end), type: /Content-Type: (\S+)/i.exec(part)?.[1] });
      return json(res, { type: 'image', media_id: mediaId, created_at: Math.floor(Date.now() / 1000) });
    }
    const raw = bytes.toString();
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
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/typing') {
      const appid = state.tokens.get(url.searchParams.get('access_token'));
      if (!appid) return json(res, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      if (!['Typing', 'CancelTyping'].includes(body.command)) return json(res, { errcode: 45072, errmsg: 'command in data is invalid' });
      // WeChat's typing rules (for users the test announced): only within 30 s of the user's last
      // message or entry, and not again while it shows.
      const action = state.actions.get(body.touser);
      if (action && body.command === 'Typing') {
        const refuse = (errcode, errmsg) => { state.typingRefused.push({ touser: body.touser, errcode }); return json(res, { errcode, errmsg }); };
        if (Date.now() - action.at > 30_000) return refuse(45080, 'has not sent message to user in 30 seconds');
        if (action.typingUntil > Date.now()) return refuse(45081, 'already in typing status');
        action.typingUntil = Date.now() + 15_000;
      }
      if (action && body.command === 'CancelTyping') action.typingUntil = 0;
      state.typing.push({ appid, touser: body.touser, command: body.command });
      return json(res, { errcode: 0, errmsg: 'ok' });
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      const appid = state.tokens.get(url.searchParams.get('access_token'));
      if (!appid) return json(res, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      if (state.busy > 0) {
        state.busy -= 1;
        return json(res, { errcode: -1, errmsg: 'system error' });
      }
      if (state.closedWindows.has(body.touser)) {
        return json(res, { errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' });
      }
      if (body.msgtype === 'image' && state.media.get(body.image?.media_id)?.appid !== appid) {
        return json(res, { errcode: 40007, errmsg: 'invalid media_id' });
      }
      if (body.msgtype === 'miniprogrampage') {
        const card = body.miniprogrampage ?? {};
        if (state.media.get(card.thumb_media_id)?.appid !== appid) return json(res, { errcode: 40007, errmsg: 'invalid media_id' });
        if (!card.title || !card.pagepath || card.appid !== appid) return json(res, { errcode: 40003, errmsg: 'invalid miniprogrampage' });
      }
      const refusal = quotaRefusal(body.touser);
      if (refusal) return json(res, refusal);
      if (state.hold > 0) {
        state.hold -= 1;
        state.held.push({ appid, body });
        return; // never answered
      }
      if (state.actions.has(body.touser)) Object.assign(state.actions.get(body.touser), { used: state.actions.get(body.touser).used + 1, typingUntil: 0 });
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
    /** A user's action (`message` or `enter`): WeChat's reply window and count start again. */
    userAction(openid, kind) { state.actions.set(openid, { kind, at: Date.now(), used: 0 }); },
    /** Makes WeChat forget every token it handed out (as when another server fetched a new one). */
    expireTokens() { state.tokens.clear(); },
    stop() { return new Promise((resolve) => server.close(resolve)); },
  };
}
