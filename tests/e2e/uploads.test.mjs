// Uploads through the real Worker in workerd: content-checked types, per-site caps, R2 storage,
// downloads only for the conversation's participants (token or signed link), image/file messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { launchBrowser, seedDemo, startEdge } from './harness.mjs';

const KB = 1024;
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let edge;
let browser;

function site(uploads) {
  return {
    name: 'Uploads test',
    greeting: '',
    agents: [{ id: 'ann', name: 'Ann', password: 'ann-password-1', max_sessions: 5 }],
    groups: [],
    uploads,
  };
}

/** Raw HTTP with a binary body; `chunked` sends without Content-Length. */
function raw(method, url, { headers = {}, body = null, chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body && !chunked) h['content-length'] = String(body.length);
    const req = http.request(url, { method, headers: h }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const bytes = Buffer.concat(parts);
        let json = null;
        if ((res.headers['content-type'] || '').startsWith('application/json')) json = JSON.parse(bytes.toString('utf8'));
        resolve({ status: res.statusCode, headers: res.headers, bytes, json });
      });
    });
    req.on('error', reject);
    if (body && chunked) {
      req.write(body);
      req.end();
    } else {
      req.end(body ?? undefined);
    }
  });
}

const api = (siteId, rest) => `${edge.base}/api/v1/sites/${siteId}/${rest}`;

async function session(siteId) {
  const res = await raw('POST', api(siteId, 'sessions'), { headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json;
}

async function agentToken(siteId) {
  const body = Buffer.from(JSON.stringify({ agent: 'ann', password: 'ann-password-1' }));
  const res = await raw('POST', api(siteId, 'agents/login'), { headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 200);
  return res.json.token;
}

function upload(siteId, token, bytes, name, { query = '', chunked = false } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  return raw('POST', api(siteId, `uploads?name=${encodeURIComponent(name)}${query}`), { headers, body: bytes, chunked });
}

function download(pathOrUrl, token) {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${edge.base}${pathOrUrl}`;
  return raw('GET', url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** Files R2 keeps in the state dir (blobs), to prove a refused upload stored nothing. */
function storedBlobs() {
  const dir = path.join(edge.stateDir, 'v3', 'r2');
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true }).filter((f) => f.includes('blobs') && fs.statSync(path.join(dir, f)).isFile()).length;
}

const code = (res) => [res.status, res.json?.error?.code];

before(async () => {
  edge = await startEdge();
  await seedDemo(edge, 'up', site({ max_image_bytes: 200 * KB, max_file_bytes: 2 * KB * KB }));
  await seedDemo(edge, 'up2', site({}));
  await seedDemo(edge, 'upttl', site({ link_ttl_secs: 1 }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

test('a visitor uploads a PNG; the visitor, an agent and the signed link get it inline with its real type', async () => {
  const a = await session('up');
  const res = await upload('up', a.token, PNG_1X1, 'dot.png');
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const up = res.json;
  assert.match(up.upload_id, /^u_[0-9a-f]{32}$/);
  assert.deepEqual([up.name, up.size, up.content_type, up.kind], ['dot.png', PNG_1X1.length, 'image/png', 'image']);
  assert.match(up.url, new RegExp(`^/api/v1/sites/up/uploads/${up.upload_id}\\?exp=\\d+&sig=[0-9a-f]{64}$`));

  const ann = await agentToken('up');
  for (const [label, got] of [
    ['visitor', await download(`/api/v1/sites/up/uploads/${up.upload_id}`, a.token)],
    ['agent', await download(`/api/v1/sites/up/uploads/${up.upload_id}`, ann)],
    ['signed link', await download(up.url)],
  ]) {
    assert.equal(got.status, 200, label);
    assert.ok(got.bytes.equals(PNG_1X1), `${label}: the same bytes`);
    assert.equal(got.headers['content-type'], 'image/png', label);
    assert.equal(got.headers['content-length'], String(PNG_1X1.length), label);
    assert.equal(got.headers['x-content-type-options'], 'nosniff', label);
    assert.match(got.headers['cache-control'], /^private, max-age=\d+$/, label);
    assert.equal(got.headers['content-disposition'], "inline; filename*=UTF-8''dot.png", label);
  }

  // The signed link is what <img src> uses: it renders in a browser without any token.
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  const width = await page.evaluate((src) => new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img.naturalWidth);
    img.onerror = () => reject(new Error('image did not load'));
    img.src = src;
  }), up.url);
  assert.equal(width, 1);

  // The metadata endpoint hands participants a fresh link.
  const meta = await download(`/api/v1/sites/up/uploads/${up.upload_id}/meta`, a.token);
  assert.equal(meta.status, 200);
  assert.deepEqual([meta.json.upload_id, meta.json.kind], [up.upload_id, 'image']);
  assert.equal((await download(meta.json.url)).status, 200);
});

test('a 1 MB PDF, text, Office and ZIP files are attachments named in UTF-8; every allowed image type is inline; agents upload only into a conversation they hold', async () => {
  const a = await session('up');
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(KB * KB, 0x20), Buffer.from('\n%%EOF\n')]);
  const res = await upload('up', a.token, pdf, '报价单 Q3.pdf');
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual([res.json.kind, res.json.content_type, res.json.size], ['file', 'application/pdf', pdf.length]);
  const got = await download(res.json.url);
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(pdf));
  assert.equal(got.headers['content-type'], 'application/pdf');
  assert.equal(got.headers['content-disposition'], "attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%20Q3.pdf");

  const text = Buffer.from('订单号 10086\n'.repeat(20_000));
  const txt = await upload('up', a.token, text, 'notes');
  assert.equal(txt.status, 200, JSON.stringify(txt.json));
  assert.deepEqual([txt.json.name, txt.json.content_type, txt.json.kind], ['notes.txt', 'text/plain; charset=utf-8', 'file']);
  const gotText = await download(txt.json.url);
  assert.ok(gotText.bytes.equals(text));
  assert.equal(gotText.headers['content-disposition'], "attachment; filename*=UTF-8''notes.txt");

  // Every allowed type, recognised by its first bytes (Office files are ZIPs told apart by name).
  const zip = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 1)]);
  const types = [
    ['p.jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]), 'image', 'image/jpeg'],
    ['g.gif', Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64, 1)]), 'image', 'image/gif'],
    ['w.webp', Buffer.concat([Buffer.from('RIFF'), Buffer.from([64, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(64, 1)]), 'image', 'image/webp'],
    ['合同.docx', zip, 'file', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['t.xlsx', zip, 'file', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['s.pptx', zip, 'file', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
    ['a.zip', zip, 'file', 'application/zip'],
  ];
  for (const [name, bytes, kind, type] of types) {
    const r = await upload('up', a.token, bytes, name);
    assert.deepEqual([r.status, r.json.kind, r.json.content_type, r.json.name], [200, kind, type, name], name);
    const served = await download(r.json.url);
    assert.equal(served.headers['content-type'], type, name);
    assert.ok(served.headers['content-disposition'].startsWith(kind === 'image' ? 'inline;' : 'attachment;'), name);
  }

  const ann = await agentToken('up');
  // Only the agent holding a conversation uploads into it: not before it reached her...
  const early = await upload('up', ann, PNG_1X1, 'reply.png', { query: `&conversation=${a.conversation_id}` });
  assert.deepEqual(code(early), [403, 'forbidden']);
  // ...and once the visitor's first message has.
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  const first = await page.evaluate(exchange, { site: 'up', visitorToken: a.token, agentToken: ann, bodies: [{ kind: 'text', text: '请帮我看看附件' }] });
  await page.context().close();
  assert.deepEqual(first.agentGot, [{ kind: 'text', text: '请帮我看看附件' }]);
  const byAgent = await upload('up', ann, PNG_1X1, 'reply.png', { query: `&conversation=${a.conversation_id}` });
  assert.equal(byAgent.status, 200, JSON.stringify(byAgent.json));
  assert.equal((await download(`/api/v1/sites/up/uploads/${byAgent.json.upload_id}`, a.token)).status, 200);
  const noConversation = await upload('up', ann, PNG_1X1, 'reply.png');
  assert.deepEqual(code(noConversation), [400, 'bad_request']);
});

test('over the cap: 413 upload_too_large before or after sniffing, and nothing is stored', async () => {
  const a = await session('up');
  const before = storedBlobs();
  // Larger than both caps: refused on Content-Length before the body is read.
  let res = await upload('up', a.token, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3 * KB * KB, 0x20)]), 'big.pdf');
  assert.deepEqual(code(res), [413, 'upload_too_large']);
  // An image over the image cap (200 KB) but under the file cap (2 MB): refused once sniffed.
  res = await upload('up', a.token, Buffer.concat([PNG_MAGIC, Buffer.alloc(300 * KB, 7)]), 'huge.png');
  assert.deepEqual(code(res), [413, 'upload_too_large']);
  assert.match(res.json.error.message, /204800 bytes/);
  assert.equal(storedBlobs(), before, 'no object was written');
  // The same image under the default caps of another site is fine.
  const b = await session('up2');
  res = await upload('up2', b.token, Buffer.concat([PNG_MAGIC, Buffer.alloc(300 * KB, 7)]), 'huge.png');
  assert.equal(res.status, 200);
  assert.equal(storedBlobs(), before + 1);
});

test('types are checked on content: HTML or an executable named .png, a lying name, broken text are 415', async () => {
  const a = await session('up');
  const before = storedBlobs();
  const cases = [
    ['page.png', Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>')],
    ['page.html', Buffer.from('  <svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')],
    ['setup.png', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(4 * KB, 0), Buffer.from('This program cannot be run in DOS mode')])],
    ['tool', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(KB, 0)])],
    ['scan.png', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(KB, 0x20)])],
  ];
  for (const [name, bytes] of cases) {
    const res = await upload('up', a.token, bytes, name);
    assert.deepEqual(code(res), [415, 'unsupported_type'], name);
  }
  assert.equal(storedBlobs(), before, 'nothing was stored');
  // Valid text for the first 200 KB, then a byte that is not UTF-8: caught while streaming into
  // R2, which then refuses the object. (The local R2 simulator may leave the aborted part's blob
  // file behind without an object, so blobs are not counted here.)
  const broken = await upload('up', a.token, Buffer.concat([Buffer.from('a'.repeat(200 * KB)), Buffer.from([0xff, 0x41])]), 'log.txt');
  assert.deepEqual(code(broken), [415, 'unsupported_type']);
  // A PNG named .jpg is still an image, served as what it is.
  const res = await upload('up', a.token, PNG_1X1, 'photo.jpg');
  assert.deepEqual([res.status, res.json.content_type], [200, 'image/png']);
});

test('only participants download: other visitors, other sites, bad or expired links and missing tokens are refused', async () => {
  const a = await session('up');
  const b = await session('up');
  const other = await session('up2');
  const otherAgent = await agentToken('up2');
  const up = (await upload('up', a.token, PNG_1X1, 'a.png')).json;
  const plain = `/api/v1/sites/up/uploads/${up.upload_id}`;

  assert.deepEqual(code(await download(plain, b.token)), [403, 'forbidden']);
  assert.deepEqual(code(await download(plain, other.token)), [401, 'unauthorized']);
  assert.deepEqual(code(await download(plain, otherAgent)), [401, 'unauthorized']);
  assert.deepEqual(code(await download(plain, 'v_' + '0'.repeat(64))), [401, 'unauthorized']);
  assert.deepEqual(code(await download(plain)), [401, 'unauthorized']);
  assert.deepEqual(code(await download(`/api/v1/sites/up/uploads/u_${'0'.repeat(32)}`, a.token)), [404, 'upload_not_found']);
  assert.deepEqual(code(await download('/api/v1/sites/up/uploads/..%2Fsecret', a.token)), [404, 'upload_not_found']);
  // The signed link is bound to its site, its upload and its expiry.
  const url = new URL(up.url, edge.base);
  const sig = url.searchParams.get('sig');
  const exp = Number(url.searchParams.get('exp'));
  const flipped = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
  assert.deepEqual(code(await download(`${plain}?exp=${exp}&sig=${flipped}`)), [403, 'forbidden']);
  assert.deepEqual(code(await download(`${plain}?exp=${exp + 3600}&sig=${sig}`)), [403, 'forbidden']);
  assert.deepEqual(code(await download(`/api/v1/sites/up2/uploads/${up.upload_id}?exp=${exp}&sig=${sig}`)), [403, 'forbidden']);
  const bUpload = (await upload('up', b.token, PNG_1X1, 'b.png')).json;
  assert.deepEqual(code(await download(`/api/v1/sites/up/uploads/${bUpload.upload_id}?exp=${exp}&sig=${sig}`)), [403, 'forbidden']);
  // An expired link (this site's links live one second).
  const t = await session('upttl');
  const short = (await upload('upttl', t.token, PNG_1X1, 't.png')).json;
  const shortExp = Number(new URL(short.url, edge.base).searchParams.get('exp'));
  await new Promise((r) => setTimeout(r, Math.max(0, (shortExp + 1) * 1000 - Date.now()) + 50));
  assert.deepEqual(code(await download(short.url)), [403, 'link_expired']);
  assert.equal((await download(`/api/v1/sites/upttl/uploads/${short.upload_id}`, t.token)).status, 200, 'the token still works');

  // Uploads need a valid token of this site, a Content-Length, and a body.
  assert.deepEqual(code(await upload('up', null, PNG_1X1, 'x.png')), [401, 'unauthorized']);
  assert.deepEqual(code(await upload('up', 'v_nope', PNG_1X1, 'x.png')), [401, 'unauthorized']);
  assert.deepEqual(code(await upload('up', other.token, PNG_1X1, 'x.png')), [401, 'unauthorized']);
  assert.deepEqual(code(await upload('up', a.token, PNG_1X1, 'x.png', { query: `&conversation=${b.conversation_id}` })), [403, 'forbidden']);
  assert.deepEqual(code(await upload('up', a.token, PNG_1X1, 'x.png', { chunked: true })), [411, 'length_required']);
  assert.deepEqual(code(await upload('up', a.token, Buffer.alloc(0), 'x.png')), [400, 'bad_request']);
});

/** Runs in the page: an agent socket watches while a visitor socket sends bodies; returns frames. */
async function exchange({ site, visitorToken, agentToken: token, bodies }) {
  const origin = location.origin.replace('http', 'ws');
  const open = (path, auth) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin}/api/v1/sites/${site}/${path}`);
    const frames = [];
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      frames.push(f);
      if (f.type === 'ready') resolve({ ws, frames });
    };
    ws.onopen = () => ws.send(JSON.stringify(auth));
    ws.onerror = reject;
  });
  const agent = await open('agents/ws', { type: 'auth', token });
  const visitor = await open('ws', { type: 'auth', token: visitorToken, last_seq: 0 });
  bodies.forEach((body, i) => visitor.ws.send(JSON.stringify({ type: 'send', client_id: `up-${Date.now()}-${i}`, body })));
  const settled = () => visitor.frames.filter((f) => f.type === 'ack' || f.type === 'rejected').length >= bodies.length;
  const start = performance.now();
  while (!settled() && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
  const agentMessages = () => agent.frames.filter((f) => f.type === 'message').map((f) => f.message.body);
  const acked = visitor.frames.filter((f) => f.type === 'ack').length;
  while (agentMessages().length < acked && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
  agent.ws.close();
  visitor.ws.close();
  return { errors: visitor.frames.filter((f) => f.type === 'rejected').map((f) => f.code), agentGot: agentMessages() };
}

test('image and file messages over the socket: the agent receives them; another conversation\'s upload is an error frame', async () => {
  const a = await session('up');
  const b = await session('up');
  const ann = await agentToken('up');
  const img = (await upload('up', a.token, PNG_1X1, 'dot.png')).json;
  const pdf = (await upload('up', a.token, Buffer.from('%PDF-1.4\nhello\n%%EOF\n'), 'a.pdf')).json;
  const bImg = (await upload('up', b.token, PNG_1X1, 'b.png')).json;
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${edge.base}/api/v1/health`);
  const got = await page.evaluate(exchange, {
    site: 'up',
    visitorToken: a.token,
    agentToken: ann,
    bodies: [
      // The client's name and size are replaced by the stored ones.
      { kind: 'image', upload_id: img.upload_id, name: 'spoofed.exe', size: 1, content_type: 'text/html' },
      { kind: 'file', upload_id: pdf.upload_id, name: 'a.pdf', size: pdf.size, content_type: pdf.content_type },
      { kind: 'image', upload_id: bImg.upload_id, name: 'b.png', size: bImg.size, content_type: 'image/png' },
      { kind: 'image', upload_id: 'u_missing', name: 'x.png', size: 1, content_type: 'image/png' },
      { kind: 'image', upload_id: pdf.upload_id, name: 'a.pdf', size: pdf.size, content_type: 'application/pdf' },
    ],
  });
  assert.deepEqual(got.agentGot, [
    { kind: 'image', upload_id: img.upload_id, name: 'dot.png', size: PNG_1X1.length, content_type: 'image/png' },
    { kind: 'file', upload_id: pdf.upload_id, name: 'a.pdf', size: pdf.size, content_type: 'application/pdf' },
  ]);
  assert.deepEqual(got.errors, ['upload_not_found', 'upload_not_found', 'bad_request']);
});
