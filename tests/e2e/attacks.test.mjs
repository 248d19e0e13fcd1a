// Attacks against the real Worker in workerd (issue 13): each test performs one attack and asserts
// that it fails. Every attack we defend against lives in this file, so it is the list of them.
//
// Run: WRANGLER_BIN=... node --test --test-concurrency=1 --test-reporter=spec tests/e2e/attacks.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { agentSocket } from './agent-socket.mjs';
import { freePort, launchBrowser, seedDemo, startEdge } from './harness.mjs';

let edge;
let browser;
/** The attacker's own web server (a real origin on this machine, not one the sites allow). */
let evil;

before(async () => {
  // DEMO_IDENTITY: the demo shop's fake login (its `next=` is attacked below).
  edge = await startEdge({ vars: { DEMO_IDENTITY: '1' } });
  await seedIdentitySites();
  await seedEmbedSites();
  evil = await evilServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  evil?.close();
  await edge?.stop();
});

/** POSTs a session: `{status, body}` (body parsed when it is JSON, else the text). */
async function session(site, body) {
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, body: parsed };
}

/** PUTs a site config with the admin token: `{status, body}`. */
async function putConfig(site, config) {
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${edge.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * Opens the visitor socket with `token`, sends `send` (texts), and collects frames for `waitMs`
 * after `ready` (or until the socket closes): `{texts, acks, errors}`.
 */
function visitorSocket(site, token, send = [], waitMs = 800) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${site}/ws`);
    const frames = [];
    const finish = () => {
      ws.terminate();
      resolve({
        texts: frames.filter((f) => f.type === 'message' && f.message.author.role !== 'system').map((f) => f.message.body.text),
        acks: frames.filter((f) => f.type === 'ack'),
        errors: frames.filter((f) => f.type === 'error' || f.type === 'rejected').map((f) => f.code),
      });
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token, last_seq: 0 })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      frames.push(f);
      if (f.type === 'ready') {
        send.forEach((text, i) => ws.send(JSON.stringify({ type: 'send', client_id: `atk-${Date.now()}-${i}`, body: { kind: 'text', text } })));
        setTimeout(finish, waitMs);
      }
    });
    ws.on('close', finish);
    ws.on('error', reject);
  });
}

// ## Identity

const KEY = crypto.randomBytes(32).toString('base64');
/** Sessions per IP high enough for the fuzz figure (the default, 60 a minute, would answer 429). */
const UNLIMITED = { rate_limits: { sessions_per_ip: 1_000_000, logins_per_ip: 10, messages_per_visitor: 30 } };
const now = () => Math.floor(Date.now() / 1000);

function identitySite(identity, extra = {}) {
  // Identity needs an allow-list: the e2e host pages live on the edge's own origin.
  return { name: 'Attack test', greeting: '', agents: [], groups: [], ...UNLIMITED, allowed_origins: [edge.base],
    identity: { keys: [KEY], verification_fields: ['full_name', 'phone'], ...identity }, ...extra };
}

async function seedIdentitySites() {
  // A site that kept the compat format on knowingly (as existing integrations must now say).
  await seedDemo(edge, 'atkecb', identitySite({ accept_ecb: true, accept_v2: true }));
  // The same, requiring identity: refusals are HTTP errors rather than a guest session.
  await seedDemo(edge, 'atkreq', identitySite({ accept_ecb: true, accept_v2: true, require_identity: true }));
  // A new site that says nothing about formats: the defaults decide.
  await seedDemo(edge, 'atknew', identitySite({}));
  // A site that requires `exp` in every token, whatever the format.
  await seedDemo(edge, 'atkexp', identitySite({ accept_ecb: true, accept_v2: true, require_identity: true, require_exp: true }));
  // The fuzz target: both formats, identity required, no rate limit in the way.
  await seedDemo(edge, 'atkfuzz', identitySite({ accept_ecb: true, accept_v2: true, require_identity: true }));
  // The site whose config the empty-verification-fields attack tries to overwrite.
  await seedDemo(edge, 'atkfields', identitySite({ accept_ecb: true, accept_v2: true }));
}

/** The compat token a site's server makes: hex(AES/ECB/PKCS5Padding(key, JSON)), uppercase. */
function ecbRaw(plaintext, key = KEY) {
  const k = Buffer.from(key, 'base64');
  const c = crypto.createCipheriv(`aes-${k.length * 8}-ecb`, k, null);
  return Buffer.concat([c.update(plaintext, 'utf8'), c.final()]).toString('hex').toUpperCase();
}
const ecb = (payload, key) => ecbRaw(JSON.stringify(payload), key);

/** Decrypts a compat token (the test's check that a forgery is built right; the attacker has no key). */
function ecbOpen(token, key = KEY) {
  const k = Buffer.from(key, 'base64');
  const d = crypto.createDecipheriv(`aes-${k.length * 8}-ecb`, k, null);
  return Buffer.concat([d.update(Buffer.from(token, 'hex')), d.final()]).toString('utf8');
}

/** A v2 token: "v2." + base64url(nonce || AES-256-GCM(key, JSON) || tag). */
function v2Raw(plaintext, key = KEY, nonce = crypto.randomBytes(12)) {
  const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), nonce);
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
  return 'v2.' + Buffer.concat([nonce, body]).toString('base64url');
}

/** What a refused token answered: the HTTP error code, or the guest session's `identity_refused`. */
const refusal = (res) => res.body?.error?.code ?? res.body?.identity_refused?.code ?? null;

const VICTIM = { full_name: '张三', phone: '13800138000' };
const ATTACKER_PHONE = '13912345678';
const blocks = (hex) => hex.match(/.{32}/g);

/**
 * The shop's server puts the shopper's own display name (his choice) and his own phone into his
 * token. The attacker signs up a few times with names of his choosing and keeps the tokens.
 */
const issue = (name) => ecb({ full_name: name, phone: ATTACKER_PHONE });

/**
 * Three block splices, each from tokens the site issued to the attacker (payload
 * `{"full_name":"<name>","phone":"13912345678"}`, 16-byte blocks), that decrypt to the victim's
 * name and phone up to what a lenient check normalises away.
 */
function forgeries() {
  // Block 0 of a name starting with two spaces: `{"full_name":"  `.
  const t1 = blocks(issue('  Mallory'));
  // A 7-byte name: block 1 is 5 spaces + `","phone":"`.
  const t2 = blocks(issue('Mo     '));
  // Name blocks the attacker fills as he likes: block 1 `张三` + 10 spaces, block 2 the victim's
  // phone + 5 spaces.
  const t3 = blocks(issue(`Mo张三${' '.repeat(10)}${VICTIM.phone}${' '.repeat(5)}`));
  // A 12-byte name makes the payload 50 bytes: its last block is `"}` + padding.
  const t4 = blocks(issue('Mallory King'));
  // An 8-byte name `Mo张三`: block 1 is `张三","phone":` (a phone without its quote).
  const t5 = blocks(issue('Mo张三'));
  // An 11-byte name makes the payload 49 bytes: its last block is `}` + padding.
  const t6 = blocks(issue('Mal Kingdom'));
  // The attacker calls himself 张三: block 0 `{"full_name":"` + 2 bytes of 张, block 1 the rest of
  // 张三 + `","phone":"1` (his own phone's first digit is the victim's).
  const t7 = blocks(issue(VICTIM.full_name));
  // A name block holding the rest of the victim's phone, padded with dashes.
  const t8 = blocks(issue(`Mo${VICTIM.phone.slice(1)}------`));
  return [
    {
      name: 'whitespace padding (name trimmed, phone spaces stripped)',
      token: [t1[0], t3[1], t2[1], t3[2], t4[3]].join(''),
      plaintext: `{"full_name":"  张三${' '.repeat(15)}","phone":"${VICTIM.phone}${' '.repeat(5)}"}`,
    },
    {
      name: 'phone as a JSON number (name trimmed)',
      token: [t1[0], t5[1], t3[2], t6[3]].join(''),
      plaintext: `{"full_name":"  张三","phone":${VICTIM.phone}     }`,
    },
    {
      name: 'exact name, phone padded with dashes (digits kept)',
      token: [t7[0], t7[1], t8[1], t4[3]].join(''),
      plaintext: `{"full_name":"张三","phone":"${VICTIM.phone}------"}`,
    },
  ];
}

test('identity: ECB block-splice forgeries from the site\'s own tokens do not open the victim\'s visitor or history', async () => {
  // The victim signs in on the shop and writes something private.
  const victim = await session('atkecb', { identity: ecb(VICTIM) });
  assert.equal(victim.status, 200, JSON.stringify(victim.body));
  assert.equal(victim.body.verified, true);
  const secret = `我的地址是厦门市思明区 ${crypto.randomUUID()}`;
  const wrote = await visitorSocket('atkecb', victim.body.token, [secret]);
  assert.equal(wrote.acks.length, 1, `victim's message stored: ${JSON.stringify(wrote)}`);

  const opened = [];
  for (const forged of forgeries()) {
    // The forgery really is what the attacker meant (checked with the key the attacker lacks).
    assert.equal(ecbOpen(forged.token), forged.plaintext, forged.name);
    const res = await session('atkecb', { identity: forged.token });
    let history = [];
    if (res.status === 200) history = (await visitorSocket('atkecb', res.body.token)).texts;
    const sameVisitor = res.body?.visitor_id === victim.body.visitor_id;
    if (sameVisitor || res.body?.verified || history.includes(secret)) {
      opened.push(`${forged.name}: status ${res.status}, verified ${res.body?.verified}, victim's visitor ${sameVisitor}, history ${JSON.stringify(history)}`);
    } else {
      assert.equal(refusal(res), 'identity_invalid', `${forged.name}: ${JSON.stringify(res.body)}`);
    }
  }
  assert.deepEqual(opened, [], 'a forged token opened the victim\'s visitor');
  // The victim's own, clean token still works on this compat site.
  const again = await session('atkecb', { identity: ecb(VICTIM) });
  assert.deepEqual([again.status, again.body.visitor_id], [200, victim.body.visitor_id]);
});

test('identity: a new site accepts v2 only; its ECB tokens, forged or not, are refused', async () => {
  const res = await session('atknew', { identity: ecb(VICTIM) });
  assert.equal(refusal(res), 'identity_invalid', `a clean ECB token on a new site: ${JSON.stringify(res.body)}`);
  assert.notEqual(res.body.verified, true);
  for (const forged of forgeries()) {
    const f = await session('atknew', { identity: forged.token });
    assert.equal(refusal(f), 'identity_invalid', `${forged.name}: ${JSON.stringify(f.body)}`);
  }
  const v2 = await session('atknew', { identity: v2Raw(JSON.stringify({ ...VICTIM, aud: 'atknew', exp: now() + 600 })) });
  assert.deepEqual([v2.status, v2.body.verified], [200, true], JSON.stringify(v2.body));
  const config = await (await fetch(`${edge.base}/api/v1/sites/atknew/config`, { headers: { authorization: `Bearer ${edge.adminToken}` } })).json();
  assert.equal(config.identity.accept_ecb, false, 'the stored default says ECB is off');
});

test('identity: payloads that are not strictly clean are refused as identity_invalid in both formats', async () => {
  const exp = now() + 600;
  const v2Claims = `"aud":"atkreq","exp":${exp}`;
  // Raw JSON text, so duplicates and odd numbers reach the server exactly as written.
  const cases = [
    ['numbers for name and phone', '{"full_name":1,"phone":2}'],
    ['phone as a number', '{"full_name":"张三","phone":13800138000}'],
    ['NUL in the name', '{"full_name":"张\\u0000三","phone":"13800138000"}'],
    ['control character in the name', '{"full_name":"张三\\u0007","phone":"13800138000"}'],
    ['tab in the name', '{"full_name":"张\\t三","phone":"13800138000"}'],
    ['format character (zero-width space) in the name', '{"full_name":"张三\\u200b","phone":"13800138000"}'],
    ['bidi override in the name', '{"full_name":"\\u202e张三","phone":"13800138000"}'],
    ['leading whitespace in the name', '{"full_name":" 张三","phone":"13800138000"}'],
    ['trailing whitespace in the name', '{"full_name":"张三 ","phone":"13800138000"}'],
    ['ideographic space around the name', '{"full_name":"\\u3000张三","phone":"13800138000"}'],
    ['duplicate phone key', '{"full_name":"张三","phone":"13912345678","phone":"13800138000"}'],
    ['duplicate name key', '{"full_name":"李四","full_name":"张三","phone":"13800138000"}'],
    ['phone with spaces', '{"full_name":"张三","phone":"138 0013 8000"}'],
    ['phone with dashes', '{"full_name":"张三","phone":"138-0013-8000"}'],
    ['phone with surrounding spaces', '{"full_name":"张三","phone":" 13800138000 "}'],
    ['phone with full-width digits', '{"full_name":"张三","phone":"１３８００１３８０００"}'],
    ['phone with a + inside', '{"full_name":"张三","phone":"86+13800138000"}'],
    ['exp 1e308', '{"full_name":"张三","phone":"13800138000","exp":1e308}'],
    ['exp a float', `{"full_name":"张三","phone":"13800138000","exp":${exp}.5}`],
    ['exp in exponent form', '{"full_name":"张三","phone":"13800138000","exp":2e9}'],
    ['exp a string', `{"full_name":"张三","phone":"13800138000","exp":"${exp}"}`],
    ['exp negative', '{"full_name":"张三","phone":"13800138000","exp":-1}'],
    ['exp after year 3000', '{"full_name":"张三","phone":"13800138000","exp":32503680001}'],
    ['exp null', '{"full_name":"张三","phone":"13800138000","exp":null}'],
  ];
  // Every case in both formats, then one assertion, so a failure lists every payload that got
  // through (or got another code).
  const wrong = [];
  for (const [what, json] of cases) {
    // v2 needs `aud` and `exp`; a case about `exp` keeps its own (a second one would be a duplicate).
    const v2Json = json.replace(/}$/, json.includes('"exp"') ? ',"aud":"atkreq"}' : `,${v2Claims}}`);
    for (const [format, token] of [['ECB', ecbRaw(json)], ['v2', v2Raw(v2Json)]]) {
      const res = await session('atkreq', { identity: token });
      if (res.status === 200) {
        wrong.push(`${format} ${what}: accepted as ${JSON.stringify(res.body.visitor_name)}`);
      } else if (res.status !== 401 || refusal(res) !== 'identity_invalid') {
        wrong.push(`${format} ${what}: ${res.status} ${refusal(res)}`);
      }
    }
  }
  assert.deepEqual(wrong, [], 'payloads that are not strictly clean were not refused as identity_invalid');

  // A clean payload is accepted in both formats (a leading + on the phone is fine), and an `exp`
  // in the past is still identity_expired.
  for (const [format, token] of [
    ['ECB', ecbRaw('{"full_name":"张三","phone":"+8613800138000"}')],
    ['ECB with exp', ecbRaw(`{"full_name":"张三","phone":"+8613800138000","exp":${exp}}`)],
    ['v2', v2Raw(`{"full_name":"张三","phone":"+8613800138000",${v2Claims}}`)],
  ]) {
    const res = await session('atkreq', { identity: token });
    assert.deepEqual([res.status, res.body.verified, res.body.visitor_name], [200, true, '张三'], `${format}: ${JSON.stringify(res.body)}`);
  }
  const expired = await session('atkreq', { identity: ecbRaw(`{"full_name":"张三","phone":"13800138000","exp":${now() - 5}}`) });
  assert.deepEqual([expired.status, refusal(expired)], [401, 'identity_expired']);

  // A site that requires `exp`: a token without it is refused in either format (v2 always needs it).
  const noExp = await session('atkexp', { identity: ecbRaw('{"full_name":"张三","phone":"13800138000"}') });
  assert.deepEqual([noExp.status, refusal(noExp)], [401, 'identity_invalid'], JSON.stringify(noExp.body));
  const withExp = await session('atkexp', { identity: ecbRaw(`{"full_name":"张三","phone":"13800138000","exp":${exp}}`) });
  assert.deepEqual([withExp.status, withExp.body.verified], [200, true], JSON.stringify(withExp.body));
});

test('identity: a config with empty, blank or duplicate verification fields is refused', async () => {
  // The attack: with no verification fields every verified visitor has the same (empty) match key,
  // so every signed-in shopper is merged into one visitor and reads the others' history.
  const attempt = await putConfig('atkfields', identitySite({ accept_ecb: true, verification_fields: [] }));
  const a = await session('atkfields', { identity: ecb({ full_name: '张三', phone: '13800138000' }) });
  const b = await session('atkfields', { identity: ecb({ full_name: '李四', phone: '13900139000' }) });
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.notEqual(a.body.visitor_id, b.body.visitor_id, 'two different people were merged into one visitor');
  assert.deepEqual([attempt.status, attempt.body?.error?.code], [400, 'bad_request'], JSON.stringify(attempt.body));
  assert.match(attempt.body.error.message, /verification_fields/);
  for (const fields of [[''], ['full_name', ''], ['  '], ['phone', 'phone'], ['full_name', 'phone', 'full_name']]) {
    const res = await putConfig('atkfields', identitySite({ accept_ecb: true, verification_fields: fields }));
    assert.deepEqual([res.status, res.body?.error?.code], [400, 'bad_request'], `${JSON.stringify(fields)}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, /verification_fields/);
  }
  // The refused configs changed nothing: the site still tells its visitors apart.
  const config = await (await fetch(`${edge.base}/api/v1/sites/atkfields/config`, { headers: { authorization: `Bearer ${edge.adminToken}` } })).json();
  assert.deepEqual(config.identity.verification_fields, ['full_name', 'phone']);
});

// ### Fault figure: 10,000 random and mutated tokens at POST /sessions.

/** A small seeded PRNG (mulberry32), so a failing token can be found again. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds `n` tokens (strings, or now and then a body that is not a string token). */
function fuzzTokens(n, seed) {
  const rnd = prng(seed);
  const int = (k) => Math.floor(rnd() * k);
  const pick = (list) => list[int(list.length)];
  const bytes = (k) => Buffer.from(Array.from({ length: k }, () => int(256)));
  const OTHER = crypto.createHash('sha256').update('not the site key').digest('base64');
  const exp = now() + 3600;
  const people = [
    { full_name: '张三', phone: '15912345678' },
    { full_name: '李四public', phone: '13851111111', vipNo: 'vip12138', address: '福建厦门' },
    { full_name: 'Ada Lovelace', phone: '+442079460000', email: 'ada@example.com' },
    { full_name: 'AAAAAAAAAAAAAAAAAAAAAAAAAA', phone: '111111111111111111111111111111' },
    { full_name: 'Exp', phone: '1', exp },
  ];
  const ecbTokens = people.flatMap((p) => [ecb(p), ecb(p, OTHER)]);
  const v2Tokens = people.map((p) => v2Raw(JSON.stringify({ ...p, aud: 'atkfuzz', exp })));
  const fragments = ['{', '}', '[', ']', ':', ',', '"full_name"', '"phone"', '"exp"', '"aud"', '"atkfuzz"', '"A"',
    '"15912345678"', '""', '" "', '1', '-1', '1e308', '1e999', '0.5', 'null', 'true', '"\\ud800"', '"\\u0000"', '"\\u200b"',
    '\u0000', ' ', '\u00ff', '张', '"张三"', `${exp}`];
  const hexBlocks = (t) => blocks(t);
  const mutations = [
    [2, () => pick(ecbTokens)],
    [1, () => pick(v2Tokens)],
    [1, () => [...pick(ecbTokens)].map((c) => (int(2) ? c.toLowerCase() : c)).join('')],
    [6, () => { // ECB bit flip
      const b = Buffer.from(pick(ecbTokens), 'hex');
      const bit = int(b.length * 8);
      b[bit >> 3] ^= 1 << (bit & 7);
      return b.toString('hex').toUpperCase();
    }],
    [4, () => { const t = pick(ecbTokens); return t.slice(0, int(t.length)); }], // ECB truncation
    [3, () => { const t = hexBlocks(pick(ecbTokens)); return t.slice(0, 1 + int(t.length)).join(''); }], // whole blocks
    [6, () => { // block swap between tokens
      const a = hexBlocks(pick(ecbTokens));
      const b = hexBlocks(pick(ecbTokens));
      a[int(a.length)] = pick(b);
      return a.join('');
    }],
    [5, () => { // splice: head of one token, tail of another
      const a = hexBlocks(pick(ecbTokens));
      const b = hexBlocks(pick(ecbTokens));
      return [...a.slice(0, 1 + int(a.length)), ...b.slice(int(b.length))].join('');
    }],
    [2, () => { // a block repeated or dropped
      const a = hexBlocks(pick(ecbTokens));
      const i = int(a.length);
      if (int(2)) a.splice(i, 0, a[i]); else a.splice(i, 1);
      return a.join('');
    }],
    [5, () => (int(2) ? bytes(int(200)).toString('hex') : bytes(16 * (1 + int(12))).toString('hex').toUpperCase())], // hex junk
    [4, () => (int(2) ? 'v2.' : '') + bytes(int(200)).toString(pick(['base64', 'base64url']))], // base64 junk
    [6, () => { // v2 tamper
      const b = Buffer.from(pick(v2Tokens).slice(3), 'base64url');
      b[int(b.length)] ^= 1 + int(255);
      return `v2.${b.toString('base64url')}`;
    }],
    [2, () => { const t = pick(v2Tokens); return t.slice(0, int(t.length)); }], // v2 truncation
    [2, () => { // v2 nonce of one token, ciphertext of another
      const a = Buffer.from(pick(v2Tokens).slice(3), 'base64url');
      const b = Buffer.from(pick(v2Tokens).slice(3), 'base64url');
      return `v2.${Buffer.concat([a.subarray(0, 12), b.subarray(12)]).toString('base64url')}`;
    }],
    [2, () => (int(2) ? 'AB'.repeat(4097 + int(20_000)) : `v2.${'A'.repeat(8190 + int(40_000))}`)], // oversize
    [1, () => 'AB'.repeat(33_000)], // over the 64 KiB body limit
    [4, () => Array.from({ length: int(80) }, () => String.fromCodePoint(int(3) ? int(0x80) : int(0xD7FF))).join('')], // odd text
    [2, () => pick([' ', '\t', '\n', '%20', '"', "'"]) + pick(ecbTokens) + pick(['', ' ', '\n', '='])], // wrapped
    [12, () => { // garbage plaintext under the real key: the strict parser's input
      const text = Array.from({ length: int(24) }, () => pick(fragments)).join('');
      return int(2) ? ecbRaw(text) : v2Raw(text);
    }],
    [6, () => { // near-valid payloads with one field made wrong
      const p = { ...pick(people) };
      const field = pick(['full_name', 'phone', 'exp', 'aud']);
      p[field] = pick([1, -1, 1e308, 0.5, '', ' x', 'x ', 'a\u0000', '1-2', null, [], {}, true, `${exp}`]);
      const json = JSON.stringify(int(2) ? p : { ...p, aud: 'atkfuzz', exp: p.exp ?? exp });
      return int(2) ? ecbRaw(json) : v2Raw(json);
    }],
    [1, () => ({ notAString: pick([123, null, true, [], {}]) })],
    [1, () => ''],
  ];
  const total = mutations.reduce((s, [w]) => s + w, 0);
  const out = [];
  for (let i = 0; i < n; i += 1) {
    let r = int(total);
    const [, make] = mutations.find(([w]) => (r -= w) < 0);
    out.push(make());
  }
  return out;
}

test('identity fault figure: 10,000 random and mutated tokens at POST /sessions answer typed 4xx, never 5xx', { timeout: 240_000 }, async () => {
  const tokens = fuzzTokens(10_000, 13);
  const byStatus = {};
  const byCode = {};
  const untyped = [];
  const started = Date.now();
  let next = 0;
  async function worker() {
    while (next < tokens.length) {
      const token = tokens[next];
      next += 1;
      const body = typeof token === 'string' ? JSON.stringify({ identity: token }) : JSON.stringify({ identity: token.notAString });
      const res = await session('atkfuzz', body);
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      const code = res.status === 200 ? 'accepted' : res.body?.error?.code;
      byCode[code] = (byCode[code] ?? 0) + 1;
      if (res.status >= 500 || (res.status !== 200 && typeof code !== 'string')) {
        untyped.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)} for ${JSON.stringify(token).slice(0, 120)}`);
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`identity fuzz: ${tokens.length} tokens in ${secs} s; by status ${JSON.stringify(byStatus)}`);
  console.log(`identity fuzz: by code ${JSON.stringify(byCode)}`);
  assert.equal(Object.values(byStatus).reduce((s, n) => s + n, 0), tokens.length);
  assert.deepEqual(untyped.slice(0, 20), [], `${untyped.length} answers were 5xx or untyped`);
  assert.ok(Object.keys(byStatus).every((s) => s === '200' || (s >= 400 && s < 500)), JSON.stringify(byStatus));
});

// ## Embedding and headers

/**
 * The attacker's server on another port of this machine: another origin, and like the edge a local
 * address (a public one may not frame a local page at all). `evil.pages[path]` is the HTML it serves.
 */
async function evilServer() {
  const port = await freePort();
  const pages = {};
  const server = http.createServer((req, res) => {
    const body = pages[req.url.split('?')[0]];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${port}`, pages, close: () => server.close() };
}
/**
 * What Chromium logs when frame-ancestors (or X-Frame-Options) keeps a page out of a frame: today
 * "Framing '…' violates the following Content Security Policy directive: "frame-ancestors …"",
 * earlier "Refused to frame/display …".
 */
const REFUSED_TO_FRAME = /Refused to (frame|display)|Framing .* violates .*frame-ancestors/;

async function seedEmbedSites() {
  const plain = { name: 'Embed test', greeting: '', agents: [], groups: [], ...UNLIMITED };
  // Allows only the edge's own origin, where the e2e host pages live (the loader's `host`).
  await seedDemo(edge, 'atkframe', { ...plain, allowed_origins: [edge.base] });
  // Allows any page (no list): no frame-ancestors, so the widget's own check is what stands.
  await seedDemo(edge, 'atkopen', plain);
  // The demo shop, for its login page.
  await seedDemo(edge);
}

/**
 * The attack: a page on the attacker's origin frames the widget of `site` directly (no loader) with `host=` forged
 * to `forged`, and a visitor clicks the launcher if it renders. Returns `{first}` ('refused' when
 * the browser kept the widget out of the frame, 'rendered' when its launcher showed), `sessions`
 * (each `POST /sessions` the frame made: its `host_origin` and answer status) and `failed` (the
 * code the widget showed, if it showed one).
 */
async function forgedEmbed(site, forged) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sessions = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && r.url().endsWith(`/sites/${site}/sessions`)) {
      sessions.push({ host_origin: r.request().postDataJSON()?.host_origin, status: r.status() });
    }
  });
  const src = `${edge.base}/widget/?${new URLSearchParams({ site, host: forged, locale: 'en' })}`;
  evil.pages[`/${site}.html`] = `<!doctype html><html><body>
    <iframe data-testid="cw-frame" src="${src}" style="position:fixed;bottom:0;right:0;width:420px;height:720px;border:0"></iframe></body></html>`;
  const bound = { timeout: 15_000 };
  const refused = page.waitForEvent('console', { predicate: (m) => REFUSED_TO_FRAME.test(m.text()), ...bound }).then(() => 'refused', () => 'timeout');
  await page.goto(`${evil.origin}/${site}.html`, { waitUntil: 'domcontentloaded' });
  const frame = page.frameLocator('iframe[data-testid=cw-frame]');
  const launcher = frame.getByTestId('cw-launcher');
  const rendered = launcher.waitFor(bound).then(() => 'rendered', () => 'timeout');
  const first = await Promise.race([refused, rendered]);
  let failed = null;
  if (first === 'rendered') {
    // The visitor on the attacker's page opens the chat: a session is answered, or the widget says why not.
    await launcher.click();
    const answered = page.waitForResponse((r) => r.url().endsWith(`/sites/${site}/sessions`), bound);
    const shown = frame.getByTestId('cw-failed').waitFor(bound);
    await Promise.race([answered, shown]).catch(() => {});
    failed = await frame.getByTestId('cw-failed').getAttribute('data-code', { timeout: 1_000 }).catch(() => null);
  }
  await context.close();
  return { first, sessions, failed };
}

test('embedding: a page the site does not allow frames the widget with a forged host; the browser refuses it and no session opens', async () => {
  const got = await forgedEmbed('atkframe', edge.base);
  const opened = got.sessions.filter((s) => s.status === 200);
  assert.deepEqual(opened, [], `a session opened for ${evil.origin} posing as ${edge.base}: ${JSON.stringify(got)}`);
  assert.equal(got.first, 'refused', `the browser rendered the widget inside ${evil.origin}: ${JSON.stringify(got)}`);
});

test('embedding: with no allow-list, the widget refuses to start when its host claim is not the page that frames it', async () => {
  const got = await forgedEmbed('atkopen', edge.base);
  assert.deepEqual(got.sessions, [], `the widget inside ${evil.origin} posted a session as ${edge.base}: ${JSON.stringify(got)}`);
  assert.equal(got.failed, 'origin_not_allowed', `the widget did not show a typed refusal: ${JSON.stringify(got)}`);
});

test('embedding: the console cannot be framed, not even by an origin the sites allow', async () => {
  const framing = `<!doctype html><html><body>
    <iframe data-testid="framed" src="${edge.base}/console/?site=atkframe" style="width:900px;height:600px"></iframe></body></html>`;
  evil.pages['/frame-console.html'] = framing;
  for (const origin of [evil.origin, edge.base]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (origin === edge.base) await page.route(`${origin}/frame-console.html`, (r) => r.fulfill({ contentType: 'text/html', body: framing }));
    const bound = { timeout: 15_000 };
    const refused = page.waitForEvent('console', { predicate: (m) => REFUSED_TO_FRAME.test(m.text()), ...bound }).then(() => 'refused', () => 'timeout');
    await page.goto(`${origin}/frame-console.html`, { waitUntil: 'domcontentloaded' });
    const login = page.frameLocator('iframe[data-testid=framed]').getByTestId('login-agent').waitFor(bound).then(() => 'rendered', () => 'timeout');
    const first = await Promise.race([refused, login]);
    await context.close();
    assert.equal(first, 'refused', `the console's login form rendered inside a frame on ${origin}`);
  }
});

/** The CSP of an answer as a map from directive to its sources. */
function csp(res) {
  const header = res.headers.get('content-security-policy') ?? '';
  return Object.fromEntries(header.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
}

test('headers: /widget/ and /console/ (and their files) carry a strict CSP, nosniff and a referrer policy; the widget\'s frame-ancestors is the site\'s allow-list', async () => {
  const missing = [];
  const pages = [
    // The site's allowed origins, and the edge's own pages (the settings' preview, the playground).
    ['/widget/?site=atkframe', ["'self'", edge.base]],
    ['/widget/?site=atkopen', null],
    ['/console/', ["'none'"]],
    ['/console/?site=atkframe', ["'none'"]],
  ];
  for (const [url, ancestors] of pages) {
    const res = await fetch(`${edge.base}${url}`);
    assert.equal(res.status, 200, url);
    const policy = csp(res);
    const expect = {
      'default-src': ["'self'"],
      'script-src': ["'self'", "'wasm-unsafe-eval'"],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
    };
    for (const [directive, sources] of Object.entries(expect)) {
      if (JSON.stringify(policy[directive]) !== JSON.stringify(sources)) missing.push(`${url}: ${directive} ${JSON.stringify(policy[directive])}`);
    }
    if (!policy['connect-src']?.includes("'self'")) missing.push(`${url}: connect-src ${JSON.stringify(policy['connect-src'])}`);
    if (JSON.stringify(policy['frame-ancestors']) !== JSON.stringify(ancestors ?? undefined)) {
      missing.push(`${url}: frame-ancestors ${JSON.stringify(policy['frame-ancestors'])}, want ${JSON.stringify(ancestors)}`);
    }
    if (res.headers.get('x-content-type-options') !== 'nosniff') missing.push(`${url}: nosniff`);
    if (!res.headers.get('referrer-policy')) missing.push(`${url}: referrer-policy`);
  }
  // Other paths to the same documents must not be a way around the policy.
  for (const url of ['/widget/index.html?site=atkframe', '/widget?site=atkframe', '/widget/index?site=atkframe', '/console/index.html', '/console']) {
    const res = await fetch(`${edge.base}${url}`, { redirect: 'manual' });
    const html = (res.headers.get('content-type') ?? '').includes('text/html');
    if (res.status === 200 && html && !csp(res)['frame-ancestors']) missing.push(`${url}: served HTML without frame-ancestors`);
  }
  for (const url of ['/widget/widget.js', '/widget/widget_bg.wasm', '/widget/widget.css', '/console/console.js', '/console/console_bg.wasm']) {
    const res = await fetch(`${edge.base}${url}`);
    assert.equal(res.status, 200, url);
    if (res.headers.get('x-content-type-options') !== 'nosniff') missing.push(`${url}: nosniff`);
  }
  assert.deepEqual(missing, []);
});

test('headers: with the CSP on, the widget on an allowed page and the console still work, without a single CSP violation', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
  await page.route(`${edge.base}/t/atkframe.html`, (r) => r.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body>
    <script>window.ChatWidget=function(){(ChatWidget.q=ChatWidget.q||[]).push(arguments)};ChatWidget('open');</script>
    <script src="/w.js" data-site="atkframe" data-locale="en" async></script></body></html>` }));
  // The widget opens its session in its socket's first frame; the Desk answers with `session`.
  const opened = new Promise((resolve) => page.on('websocket', (ws) => {
    if (!ws.url().endsWith('/sites/atkframe/ws')) return;
    ws.on('framereceived', ({ payload }) => { if (String(payload).startsWith('{"type":"session"')) resolve(true); });
  }));
  await page.goto(`${edge.base}/t/atkframe.html`, { waitUntil: 'domcontentloaded' });
  assert.equal(await opened, true, 'the widget on an allowed page opens its session');
  const w = page.frameLocator('iframe[data-testid=cw-frame]');
  await w.getByTestId('cw-window').waitFor();
  const workbench = await context.newPage();
  workbench.on('console', (m) => { if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
  await workbench.goto(`${edge.base}/console/?site=atkframe`);
  await workbench.getByTestId('login-agent').waitFor();
  await context.close();
  assert.deepEqual(violations, []);
});

test('demo login: next= lands on a same-origin page whatever it says', async () => {
  const context = await browser.newContext();
  // Nothing may leave for the attacker's host; should the page try, the browser lands on a stub.
  await context.route(/^https?:\/\/evil\.example\//, (r) => r.fulfill({ contentType: 'text/html', body: 'evil' }));
  const page = await context.newPage();
  const landed = {};
  for (const next of ['https://evil.example', '//evil.example', 'javascript:alert(1)', '/\\evil.example', '/\t/evil.example',
    '\\\\evil.example', ' //evil.example', 'http:evil.example', '/.//evil.example', '/orders']) {
    await page.goto(`${edge.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'domcontentloaded' });
    const left = page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15_000 });
    await page.getByTestId('login-submit').click();
    await left.catch(() => {});
    landed[JSON.stringify(next)] = page.url();
  }
  await context.close();
  const away = Object.entries(landed).filter(([, url]) => new URL(url).origin !== edge.base);
  assert.deepEqual(away, [], 'the login sent the shopper off the shop');
  const stuck = Object.entries(landed).filter(([, url]) => new URL(url).pathname.startsWith('/login'));
  assert.deepEqual(stuck, [], 'the login did not finish');
  assert.equal(new URL(landed['"/orders"']).pathname, '/orders', 'a same-origin next= is still honoured');
});

test('config: identity keys without allowed origins are refused (a page could claim any host)', async () => {
  const res = await putConfig('atkorigins', identitySite({}, { allowed_origins: [] }));
  assert.deepEqual([res.status, res.body?.error?.code], [400, 'bad_request'], JSON.stringify(res.body));
  assert.match(res.body.error.message, /allowed_origins/);
  // With the origins it really uses, the same config is fine.
  const ok = await putConfig('atkorigins', identitySite({}));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

// ## Passwords

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
/** Fake client IPs, IPv4 and IPv6 in turn, each in its own /64: what a client can send itself under `wrangler dev`. */
const fakeIp = (i) => (i % 2 ? `198.51.${(i >> 8) & 255}.${i & 255}` : `2001:db8:${(i * 7919 % 65536).toString(16)}:${i.toString(16)}::1`);

/** A site with these `[id, password]` agents; the per-IP login limit out of the way unless `limits` says otherwise. */
function passwordSite(agents, limits = {}, extra = {}) {
  return {
    name: 'Password attack test', greeting: '', groups: [],
    agents: agents.map(([id, password]) => ({ id, name: id, password, max_sessions: 5 })),
    rate_limits: { sessions_per_ip: 1000, logins_per_ip: 1000, messages_per_visitor: 1000, ...limits },
    ...extra,
  };
}

/** POSTs an agent login, optionally claiming a client IP: `{status, code, retryAfter, token, ms}`. */
async function login(site, agent, password, ip) {
  const headers = { 'content-type': 'application/json' };
  if (ip) headers['cf-connecting-ip'] = ip;
  const started = performance.now();
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/agents/login`, { method: 'POST', headers, body: JSON.stringify({ agent, password }) });
  const text = await res.text();
  const ms = performance.now() - started;
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON: kept as null */ }
  return { status: res.status, code: body?.error?.code ?? null, retryAfter: res.headers.get('retry-after'), token: body?.token ?? null, ms };
}

/** A signed-in visitor's socket: `rtt()` sends one message and resolves with the ms until its ack. */
async function visitorChat(site) {
  const s = await session(site, {});
  assert.equal(s.status, 200, JSON.stringify(s.body));
  const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${site}/ws`);
  const waiting = new Map();
  let n = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('visitor socket: no ready in 10 s')), 10_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: s.body.token, last_seq: 0 })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'ready') { clearTimeout(timer); resolve(); }
      if (f.type === 'ack' || f.type === 'rejected') waiting.get(f.client_id)?.(f);
    });
    ws.on('error', reject);
  });
  const rtt = () => new Promise((resolve, reject) => {
    const id = `rtt-${process.pid}-${(n += 1)}`;
    const started = performance.now();
    const timer = setTimeout(() => reject(new Error(`no ack for ${id} in 30 s`)), 30_000);
    waiting.set(id, (f) => {
      clearTimeout(timer);
      waiting.delete(id);
      if (f.type === 'rejected') reject(new Error(`message refused: ${f.code}`));
      else resolve(performance.now() - started);
    });
    ws.send(JSON.stringify({ type: 'send', client_id: id, body: { kind: 'text', text: `ping ${n}` } }));
  });
  return { rtt, close: () => ws.terminate() };
}

test('passwords: guessing one account from rotating fake CF-Connecting-IP values locks it; the right password waits for the lock', { timeout: 90_000 }, async () => {
  const site = 'atkpwlock';
  const right = 'kim-right-password-1';
  await seedDemo(edge, site, passwordSite([['kim', right]], { login_lock_secs: 4 }));
  const guesses = [];
  for (let i = 0; i < 8; i += 1) guesses.push(await login(site, 'kim', `guess-${i}-wrong`, fakeIp(i)));
  console.log(`password guesses from 8 IPs: ${guesses.map((g) => `${g.status} ${g.code}${g.retryAfter ? ` (retry after ${g.retryAfter} s)` : ''}`).join(', ')}`);
  const wrong = guesses.filter((g) => g.status === 401 && g.code === 'invalid_credentials').length;
  const locked = guesses.filter((g) => g.status === 429 && g.code === 'account_locked');
  assert.ok(wrong <= 5, `${wrong} wrong guesses were checked; the account should lock after 5`);
  assert.equal(wrong + locked.length, guesses.length, 'every guess is a wrong password or a locked account');
  assert.ok(locked.length >= 3 && locked.every((g) => Number(g.retryAfter) >= 1), 'locked answers say when to retry');

  // The right password, from yet another IP, during the lock: refused with the same typed error.
  const during = await login(site, 'kim', right, fakeIp(99));
  assert.deepEqual([during.status, during.code, during.token], [429, 'account_locked', null]);
  assert.ok(Number(during.retryAfter) >= 1 && Number(during.retryAfter) <= 3600, `Retry-After ${during.retryAfter}`);

  // After the lock the owner's password works again, and a success clears the count.
  await sleep(Number(during.retryAfter) * 1000 + 300);
  const afterLock = await login(site, 'kim', right, fakeIp(100));
  assert.deepEqual([afterLock.status, afterLock.code], [200, null]);
  assert.match(afterLock.token, /^a_/);
  const again = await login(site, 'kim', 'one-more-wrong-guess', fakeIp(101));
  assert.deepEqual([again.status, again.code], [401, 'invalid_credentials']);
});

test('passwords: an unknown agent id is not answered faster than a known one with a wrong password', { timeout: 180_000 }, async () => {
  const site = 'atkpwtime';
  // Five accounts, three wrong tries each: below any lock, so every try checks a password.
  const agents = [1, 2, 3, 4, 5].map((i) => [`t${i}`, `timing-password-${i}`]);
  await seedDemo(edge, site, passwordSite(agents));
  await login(site, 'warm-up-ghost', 'x'.repeat(12));
  const known = [];
  const unknown = [];
  for (let i = 0; i < 15; i += 1) {
    known.push((await login(site, `t${(i % 5) + 1}`, `wrong-password-${i}`)).ms);
    unknown.push((await login(site, `ghost-${i}`, `wrong-password-${i}`)).ms);
  }
  const [k, u] = [median(known), median(unknown)];
  console.log(`login timing (median of 15): unknown agent ${u.toFixed(1)} ms, known agent with a wrong password ${k.toFixed(1)} ms`);
  assert.ok(u >= 0.5 * k, `an unknown agent id answers in ${u.toFixed(1)} ms against ${k.toFixed(1)} ms for a known one`);
});

test('passwords: while 50 wrong-password logins run, a visitor\'s message round trip stays near its quiet value', { timeout: 240_000 }, async () => {
  const site = 'atkpwload';
  await seedDemo(edge, site, passwordSite([['lee', 'lee-right-password-1']]));
  const chat = await visitorChat(site);
  try {
    await chat.rtt(); // the conversation's first message opens it in the routing core
    const quiet = [];
    for (let i = 0; i < 10; i += 1) quiet.push(await chat.rtt());
    let settled = false;
    const attack = Promise.all(Array.from({ length: 50 }, (_, i) => login(site, 'lee', `wrong-${i}`, fakeIp(1000 + i))))
      .finally(() => { settled = true; });
    const during = [];
    while (!settled || during.length < 5) {
      during.push(await chat.rtt());
      await sleep(50);
    }
    const answers = await attack;
    const byCode = {};
    for (const a of answers) byCode[`${a.status} ${a.code}`] = (byCode[`${a.status} ${a.code}`] ?? 0) + 1;
    const [q, d, worst] = [median(quiet), median(during), Math.max(...during)];
    console.log(`visitor round trip: quiet median ${q.toFixed(1)} ms; during 50 wrong logins median ${d.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (${during.length} samples)`);
    console.log(`the 50 logins: ${JSON.stringify(byCode)}`);
    assert.ok(answers.every((a) => a.status < 500), JSON.stringify(byCode));
    assert.ok(worst < Math.max(5 * q, 1000), `worst round trip ${worst.toFixed(1)} ms against ${q.toFixed(1)} ms quiet`);
  } finally {
    chat.close();
  }
});

// ## Links

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

test('links: a signed download link cannot get itself a fresh one from /meta, and it expires', { timeout: 30_000 }, async () => {
  const site = 'atklinks';
  await seedDemo(edge, site, passwordSite([], {}, { uploads: { max_image_bytes: 1 << 20, max_file_bytes: 1 << 20, link_ttl_secs: 2 } }));
  const visitor = await session(site, {});
  assert.equal(visitor.status, 200);
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/uploads?name=dot.png`, {
    method: 'POST', headers: { authorization: `Bearer ${visitor.body.token}` }, body: PNG_1X1,
  });
  assert.equal(res.status, 200);
  const up = await res.json();
  const link = new URL(up.url, edge.base);
  const exp = Number(link.searchParams.get('exp'));
  assert.equal((await fetch(link)).status, 200, 'the link works while it is fresh');

  // Whoever holds only the link asks /meta (with the link's own exp and sig) for a new one.
  const metaUrl = `${edge.base}/api/v1/sites/${site}/uploads/${up.upload_id}/meta${link.search}`;
  const renewed = await fetch(metaUrl);
  const renewedBody = await renewed.json();
  console.log(`/meta with a signed link: ${renewed.status} ${JSON.stringify(renewedBody).slice(0, 160)}`);
  assert.deepEqual([renewed.status, renewedBody.error?.code, renewedBody.url], [401, 'unauthorized', undefined]);

  // The link expires, and /meta still does not renew it.
  await sleep(Math.max(0, (exp + 1) * 1000 - Date.now()) + 100);
  const expired = await fetch(link);
  assert.deepEqual([expired.status, (await expired.json()).error?.code], [403, 'link_expired']);
  assert.equal((await fetch(metaUrl)).status, 401);
  // A participant's token still gets a fresh link.
  const meta = await fetch(`${edge.base}/api/v1/sites/${site}/uploads/${up.upload_id}/meta`, { headers: { authorization: `Bearer ${visitor.body.token}` } });
  assert.equal(meta.status, 200);
  assert.equal((await fetch(new URL((await meta.json()).url, edge.base))).status, 200);
});

// ## Bounds

/** Every `.sqlite` file under the Worker's persisted state, with its size. */
function sqliteFiles(dir) {
  const found = {};
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.sqlite(-wal|-shm)?$/.test(entry.name)) found[path.relative(dir, p)] = fs.statSync(p).size;
    }
  };
  walk(dir);
  return found;
}

test('bounds: a body without Content-Length is refused once it passes the cap, not after the client has sent it all', { timeout: 120_000 }, async () => {
  const site = 'atkbody';
  await putConfig(site, { name: 'Body bound test', greeting: '', groups: [], agents: [] });
  const url = new URL(`${edge.base}/api/v1/sites/${site}/sessions`);
  const chunk = Buffer.alloc(64 * 1024, 0x20); // JSON whitespace: valid until it is too long
  const MAX_SEND = 48 * 1024 * 1024;
  // The Worker answers 413 and stops reading. Whether the client, still writing, gets to read that
  // answer depends on the HTTP stack in between (the dev proxy may reset the connection instead,
  // or stop reading): each of those outcomes counts, as long as it comes long before the client
  // sent everything. Before the fix the Worker read the whole body first.
  const result = await new Promise((resolve) => {
    let sent = 0;
    let done = false;
    let lastProgress = Date.now();
    const finish = (outcome) => { if (!done) { done = true; clearInterval(watch); req.destroy(); resolve({ ...outcome, sent }); } };
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      const status = res.statusCode;
      const at = sent;
      res.on('data', (d) => { text += d; });
      res.on('end', () => finish({ outcome: `answered ${status}`, status, text, sentBefore: at }));
      // The answer's head came, then the connection was reset under the still-writing client: its
      // body may be cut short (seen once in CI: a 413 with an empty body).
      res.on('error', () => finish({ outcome: `answered ${status}, then the connection was reset`, status, text, cut: true, sentBefore: at }));
    });
    req.on('error', (err) => finish({ outcome: `connection ${err.code ?? err.message}`, sentBefore: sent }));
    const watch = setInterval(() => { if (Date.now() - lastProgress > 5_000) finish({ outcome: 'the server stopped reading', sentBefore: sent }); }, 500);
    (async () => {
      while (!done && sent < MAX_SEND) {
        sent += chunk.length;
        lastProgress = Date.now();
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      if (!done) req.end('{}');
    })().catch(() => {});
  });
  const mib = (n) => (n / 1024 / 1024).toFixed(1);
  console.log(`chunked body: ${result.outcome} after the client had sent ${mib(result.sentBefore)} MiB (it would send up to ${mib(MAX_SEND)} MiB)`);
  if (result.status === 413 && !result.cut) assert.equal(JSON.parse(result.text).error.code, 'payload_too_large');
  else if (result.status !== undefined) assert.equal(result.status, 503, `an answer other than 413 or the dev proxy's reset: ${result.status} ${result.text}`);
  assert.ok(result.sentBefore < 16 * 1024 * 1024, `the Worker read ${mib(result.sentBefore)} MiB before refusing a 64 KiB-capped body`);
  // The site still answers normally afterwards.
  assert.equal((await session(site, {})).status, 200);
});

test('bounds: site ids that no operator created get site_not_found on every public path and write no storage', { timeout: 120_000 }, async () => {
  const before = sqliteFiles(edge.stateDir);
  const ids = Array.from({ length: 20 }, (_, i) => `ghost-${crypto.randomBytes(4).toString('hex')}-${i}`);
  const answers = {};
  const count = (what, status, code) => { const k = `${what} ${status} ${code}`; answers[k] = (answers[k] ?? 0) + 1; };
  for (const id of ids) {
    const api = `${edge.base}/api/v1/sites/${id}`;
    const json = async (res) => { try { return (await res.json())?.error?.code ?? null; } catch { return null; } };
    let res = await fetch(`${api}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    count('session', res.status, await json(res));
    res = await fetch(`${api}/widget-config`);
    count('widget-config', res.status, await json(res));
    res = await fetch(`${api}/agents/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'amy', password: 'whatever-password' }) });
    count('login', res.status, await json(res));
    res = await fetch(`${api}/uploads?name=a.txt`, { method: 'POST', headers: { authorization: 'Bearer v_nothing', 'content-length': '5' }, body: 'hello' });
    count('upload', res.status, await json(res));
    res = await fetch(`${edge.base}/widget/?site=${id}&host=${encodeURIComponent(edge.base)}`);
    count('widget page', res.status, null);
    const ws = await new Promise((resolve) => {
      const s = new WebSocket(`${edge.base.replace('http', 'ws')}${new URL(api).pathname}/ws`);
      s.on('unexpected-response', (_req, r) => resolve(r.statusCode));
      s.on('open', () => { s.terminate(); resolve('open'); });
      s.on('error', () => resolve('error'));
    });
    count('socket', ws, null);
  }
  const after = sqliteFiles(edge.stateDir);
  // The sites directory (KV) may create its own file on first use; no Durable Object may.
  const created = Object.keys(after).filter((f) => !(f in before) && f.includes('/do/'));
  console.log(`unknown sites: ${JSON.stringify(answers)}; Durable Object storage files created: ${created.length} (other files: ${Object.keys(after).filter((f) => !(f in before) && !created.includes(f)).join(', ') || 'none'})`);
  for (const what of ['session', 'widget-config', 'login']) assert.equal(answers[`${what} 404 site_not_found`], ids.length, JSON.stringify(answers));
  assert.equal(answers['socket 404 null'], ids.length, JSON.stringify(answers));
  assert.equal(answers['widget page 200 null'], ids.length, 'the widget page itself is served (it shows the failure)');
  assert.deepEqual(created, [], `storage written for sites nobody created: ${created.join(', ')}`);
});

// ## Agents and cards

/** A visitor socket that stays open: `frames` collects what it receives; `send(frame)`; `close()`. */
async function liveVisitor(site, token) {
  const ws = new WebSocket(`${edge.base.replace('http', 'ws')}/api/v1/sites/${site}/ws`);
  const frames = [];
  await new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token, last_seq: 0 })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      frames.push(f);
      if (f.type === 'ready') resolve();
    });
    ws.on('error', reject);
  });
  return { frames, send: (f) => ws.send(JSON.stringify(f)), close: () => ws.terminate() };
}

test('agents: only the agent holding a conversation types, marks read and uploads in it; card images only from the site\'s origins', { timeout: 90_000 }, async () => {
  const site = 'atkholder';
  await seedDemo(edge, site, identitySite({}, {
    agents: [
      { id: 'amy', name: 'Amy', password: 'amy-password-1', max_sessions: 5 },
      { id: 'bob', name: 'Bob', password: 'bob-password-1', max_sessions: 5, admin: true },
    ],
    card_image_origins: ['https://img.shop.example'],
  }));
  const amy = await agentSocket(browser, edge, site, 'amy', 'amy-password-1');
  const token = v2Raw(JSON.stringify({ full_name: '王五', phone: '13700137000', exp: now() + 600, aud: site }));
  const opened = await session(site, { identity: token });
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  assert.equal(opened.body.identity_refused, undefined, JSON.stringify(opened.body));
  const conv = opened.body.conversation_id;
  const visitor = await liveVisitor(site, opened.body.token);
  const bob = await agentSocket(browser, edge, site, 'bob', 'bob-password-1');
  try {
    visitor.send({ type: 'send', client_id: 'hold-1', body: { kind: 'text', text: '你好' } });
    await amy.waitFor(`(f) => f.type === 'message' && f.message.body.text === '你好'`);
    const seq = (await amy.messages()).find((m) => m.body.text === '你好').seq;

    // Bob (an admin: he may read along) tries to type and mark read in Amy's conversation.
    await bob.send({ type: 'typing', conversation_id: conv, typing: true });
    await bob.send({ type: 'read', conversation_id: conv, seq });
    /** An agent uploads a note into the conversation: the status. */
    const upload = (agent) => agent.page.evaluate(async ({ site, conv, token }) => (await fetch(`/api/v1/sites/${site}/uploads?name=note.txt&conversation=${conv}`, {
      method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'a note',
    })).status, { site, conv, token: agent.token });
    const bobUpload = await upload(bob);
    await sleep(800);
    const fromBob = visitor.frames.filter((f) => f.type === 'typing' || f.type === 'read');
    // Amy, who holds it, may.
    await amy.send({ type: 'typing', conversation_id: conv, typing: true });
    await amy.send({ type: 'read', conversation_id: conv, seq });
    const amyUpload = await upload(amy);
    await sleep(800);
    const fromAmy = visitor.frames.filter((f) => f.type === 'typing' || f.type === 'read').slice(fromBob.length).map((f) => f.type).sort();
    console.log(`non-holder: ${fromBob.length} typing/read frames reached the visitor, upload ${bobUpload}; holder: ${JSON.stringify(fromAmy)}, upload ${amyUpload}`);
    assert.deepEqual({ frames: fromBob.map((f) => f.type), upload: bobUpload }, { frames: [], upload: 403 });
    assert.deepEqual({ frames: fromAmy, upload: amyUpload }, { frames: ['read', 'typing'], upload: 200 });

    // Cards: an image on a host of the visitor's choosing never reaches the agent.
    const card = (id, image) => ({ type: 'send', client_id: `card-${id}`, body: { kind: 'card', list: 'orders', id, title: `订单 ${id}`, image, price: '', status: '', url: '' } });
    visitor.send(card('evil', 'https://evil.example/track.gif?agent=1'));
    visitor.send(card('userinfo', `https://img.shop.example@evil.example/t.gif`));
    visitor.send(card('cdn', 'https://img.shop.example/p/1.png'));
    visitor.send(card('own', `${edge.base}/p-mug.svg`));
    await amy.waitFor(`(f) => f.type === 'message' && f.message.body.id === 'own'`);
    const images = Object.fromEntries((await amy.messages()).filter((m) => m.body.kind === 'card').map((m) => [m.body.id, m.body.image ?? '']));
    console.log(`card images as agents get them: ${JSON.stringify(images)}`);
    assert.deepEqual(images, { evil: '', userinfo: '', cdn: 'https://img.shop.example/p/1.png', own: `${edge.base}/p-mug.svg` });
  } finally {
    visitor.close();
    await amy.close();
    await bob.close();
  }
});

// ## Throttles

/** Uploads `bytes` as `name` with a visitor's token: `{status, code, body}`. */
async function visitorUpload(site, token, name, bytes) {
  const res = await fetch(`${edge.base}/api/v1/sites/${site}/uploads?name=${encodeURIComponent(name)}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}` }, body: bytes,
  });
  const body = await res.json().catch(() => null);
  return { status: res.status, code: body?.error?.code ?? null, body };
}

test('throttles: a visitor flooding typing and read frames is cut off at the frame limit; messages still go through', { timeout: 60_000 }, async () => {
  const site = 'atkframes';
  await seedDemo(edge, site, { name: 'Frame flood test', greeting: '', groups: [],
    agents: [{ id: 'amy', name: 'Amy', password: 'amy-password-1', max_sessions: 5 }] });
  const amy = await agentSocket(browser, edge, site, 'amy', 'amy-password-1');
  const opened = await session(site, {});
  const visitor = await liveVisitor(site, opened.body.token);
  try {
    visitor.send({ type: 'send', client_id: 'flood-0', body: { kind: 'text', text: '开始' } });
    await amy.waitFor(`(f) => f.type === 'message' && f.message.body.text === '开始'`);
    for (let i = 0; i < 500; i += 1) visitor.send(i % 2 ? { type: 'read', seq: 1 } : { type: 'typing', typing: i % 4 === 0 });
    visitor.send({ type: 'send', client_id: 'flood-1', body: { kind: 'text', text: '洪水之后' } });
    await amy.waitFor(`(f) => f.type === 'message' && f.message.body.text === '洪水之后'`);
    await sleep(500);
    const relayed = (await amy.frames()).filter((f) => f.type === 'typing' || f.type === 'read').length;
    const limited = visitor.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited').length;
    console.log(`frame flood: 500 typing/read frames sent, ${relayed} reached the agent, ${limited} answered rate_limited`);
    assert.ok(relayed <= 130, `${relayed} of 500 flood frames reached the agent`);
    assert.ok(limited >= 370, `${limited} frames were answered rate_limited`);
  } finally {
    visitor.close();
    await amy.close();
  }
});

test('throttles: uploads are limited per visitor, capped per conversation, and unused ones are deleted after their lifetime', { timeout: 60_000 }, async () => {
  const site = 'atkuploads';
  await seedDemo(edge, site, { name: 'Upload bounds test', greeting: '', groups: [], agents: [],
    rate_limits: { uploads_per_visitor: 5 }, uploads: { unused_ttl_secs: 2 } });
  const quota = 'atkquota';
  await seedDemo(edge, quota, { name: 'Upload quota test', greeting: '', groups: [], agents: [],
    uploads: { max_per_conversation: 3 } });
  const text = (i) => Buffer.from(`note ${i}\n`);
  // Per visitor: a burst of 5, then rate_limited.
  const burst = await session(site, {});
  const answers = [];
  for (let i = 0; i < 7; i += 1) answers.push(await visitorUpload(site, burst.body.token, `n${i}.txt`, text(i)));
  console.log(`upload burst: ${answers.map((a) => `${a.status} ${a.code ?? ''}`.trim()).join(', ')}`);
  assert.deepEqual(answers.map((a) => [a.status, a.code]), [...Array(5).fill([200, null]), [429, 'rate_limited'], [429, 'rate_limited']]);

  // Per conversation: a site capping conversations at 3 uploads refuses the fourth.
  const full = await session(quota, {});
  const more = [];
  for (let i = 0; i < 4; i += 1) more.push(await visitorUpload(quota, full.body.token, `m${i}.txt`, text(i)));
  console.log(`uploads past the conversation cap: ${more.map((a) => `${a.status} ${a.code ?? ''}`.trim()).join(', ')}`);
  assert.deepEqual(more.map((a) => [a.status, a.code]), [[200, null], [200, null], [200, null], [413, 'upload_quota_exceeded']]);

  // Unused uploads: one sent in a message stays, one never named is gone after its 2 s.
  const other = await session(site, {});
  const kept = await visitorUpload(site, other.body.token, 'kept.txt', text('kept'));
  const dropped = await visitorUpload(site, other.body.token, 'dropped.txt', text('dropped'));
  const visitor = await liveVisitor(site, other.body.token);
  visitor.send({ type: 'send', client_id: 'file-1', body: { kind: 'file', upload_id: kept.body.upload_id, name: 'kept.txt', size: 0, content_type: '' } });
  await sleep(500);
  visitor.close();
  assert.ok(visitor.frames.some((f) => f.type === 'ack' && f.client_id === 'file-1'), JSON.stringify(visitor.frames.slice(-3)));
  await sleep(2_500);
  await session(site, {}); // any new session lets the Desk sweep
  const get = async (id) => (await fetch(`${edge.base}/api/v1/sites/${site}/uploads/${id}`, { headers: { authorization: `Bearer ${other.body.token}` } })).status;
  const [keptStatus, droppedStatus] = [await get(kept.body.upload_id), await get(dropped.body.upload_id)];
  console.log(`after the unused lifetime: named upload ${keptStatus}, never-named upload ${droppedStatus}`);
  assert.deepEqual([keptStatus, droppedStatus], [200, 404]);
});
