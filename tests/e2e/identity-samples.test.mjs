// The site-owner identity samples (demo-site/samples) and their guide page (demo-site/identity.html):
// every sample that can run here matches the shared ECB vectors, makes v2 tokens that open with
// AES-256-GCM, is shown verbatim on the page, and makes tokens the real Worker accepts, all of
// them for the same person giving the same visitor.
//
// Java needs javac/java, Python the `cryptography` package (installed into a venv under
// target/identity-samples/ when the system python3 lacks it), Go needs `go` (apt: golang-go).
// A sample whose tools are missing is skipped with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { root, seedDemo, startEdge, tempDir } from './harness.mjs';

const run = promisify(execFile);
const samplesDir = path.join(root, 'demo-site', 'samples');
const pagePath = path.join(root, 'demo-site', 'identity.html');
const vectors = JSON.parse(fs.readFileSync(path.join(root, 'identity', 'tests', 'fixtures', 'identity-ecb.json'), 'utf8'))
  .vectors.filter((v) => v.plaintext !== undefined && v.expect === 'ok');

// Fixed test keys: 32 bytes (ECB and v2) and 16 bytes (ECB only).
const KEY32 = Buffer.from('identity-samples-test-key-32-by!', 'utf8').toString('base64');
const KEY16 = Buffer.from('id-samples-16-b!', 'utf8').toString('base64');
const OTHER_KEY32 = Buffer.from('a-different-key-of-thirty-two-b!', 'utf8').toString('base64');
const PERSON = '{"full_name":"张三","phone":"15912345678"}';
const SITE = 'idtest';
const SITE16 = 'idtest16';
// Java reads its arguments in the locale's charset: make it UTF-8 for every sample.
const childEnv = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** A python3 that can `import cryptography`: the system one, or a venv under target/ we install it into. */
function pythonWithCryptography() {
  if (!has('python3')) return { skip: 'python3 is not on PATH' };
  const imports = (py) => spawnSync(py, ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;
  if (imports('python3')) return { python: 'python3' };
  const venv = path.join(root, 'target', 'identity-samples', 'venv');
  const venvPython = path.join(venv, 'bin', 'python3');
  if (fs.existsSync(venvPython) && imports(venvPython)) return { python: venvPython };
  const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8', timeout: 120_000 });
  const pip = made.status === 0
    ? spawnSync(venvPython, ['-m', 'pip', 'install', '--quiet', 'cryptography'], { encoding: 'utf8', timeout: 300_000 })
    : made;
  if (pip.status === 0 && imports(venvPython)) return { python: venvPython };
  return { skip: `python3 lacks the cryptography package and installing it into ${venv} failed: ${(pip.stderr || '').trim().slice(-300)}` };
}

const py = pythonWithCryptography();
const buildDir = tempDir('cw-identity-samples-');

/**
 * The samples: source file, page language tag, why it is skipped here (if it is), and how to get
 * a command for it (compiling first where needed, once).
 */
const samples = [
  {
    name: 'java',
    file: 'java/Identity.java',
    skip: has('javac') && has('java') ? null : 'javac/java are not on PATH',
    async command() {
      await run('javac', ['-d', path.join(buildDir, 'java'), path.join(samplesDir, this.file)], { env: childEnv });
      return ['java', ['-cp', path.join(buildDir, 'java'), 'Identity']];
    },
  },
  {
    name: 'node',
    file: 'node/identity.mjs',
    skip: null,
    async command() {
      return [process.execPath, [path.join(samplesDir, this.file)]];
    },
  },
  {
    name: 'python',
    file: 'python/identity.py',
    skip: py.skip ?? null,
    async command() {
      return [py.python, [path.join(samplesDir, this.file)]];
    },
  },
  {
    name: 'go',
    file: 'go/identity.go',
    skip: has('go') ? null : 'go is not on PATH (apt-get install golang-go)',
    async command() {
      const out = path.join(buildDir, 'identity-go');
      await run('go', ['build', '-o', out, path.join(samplesDir, this.file)], { env: childEnv, cwd: buildDir });
      return [out, []];
    },
  },
];
for (const s of samples) {
  if (s.skip) console.log(`# identity samples: skipping ${s.name}: ${s.skip}`);
}
const runnable = samples.filter((s) => !s.skip);

const commands = new Map();
/** Runs a sample with the given arguments; returns its stdout, which must be exactly one line. */
async function token(sample, ...args) {
  if (!commands.has(sample.name)) commands.set(sample.name, sample.command());
  const [cmd, pre] = await commands.get(sample.name);
  const { stdout } = await run(cmd, [...pre, ...args], { env: childEnv, timeout: 60_000 });
  assert.match(stdout, /^[^\n]+\n$/, `${sample.name} prints one line`);
  return stdout.trim();
}

/** Opens a v2 token with node:crypto: the payload object. */
function openV2(tokenText, keyB64) {
  assert.ok(tokenText.startsWith('v2.'), tokenText);
  const body = tokenText.slice(3);
  assert.doesNotMatch(body, /[=+/]/, 'base64url without padding');
  const sealed = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64'), sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}

function escapeHtml(text) {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

after(() => fs.rmSync(buildDir, { recursive: true, force: true }));

describe('samples, without the edge', () => {
  for (const sample of samples) {
    test(`${sample.name}: ECB output equals every shared vector (uppercase hex)`, { skip: sample.skip ?? false }, async () => {
      assert.ok(vectors.length >= 9, 'the fixture has vectors with plaintext');
      for (const v of vectors) {
        const out = await token(sample, v.key_b64, v.plaintext);
        assert.equal(out.toUpperCase(), v.customParams.toUpperCase(), `${sample.name} on vector ${v.name}`);
        assert.equal(out, out.toUpperCase(), `${sample.name} writes uppercase hex (${v.name})`);
      }
    });

    test(`${sample.name}: v2 tokens open with AES-256-GCM and carry aud and exp`, { skip: sample.skip ?? false }, async () => {
      const now = Math.floor(Date.now() / 1000);
      const a = await token(sample, '--v2', '--site', SITE, '--ttl', '600', KEY32, PERSON);
      const b = await token(sample, '--v2', '--site', SITE, '--ttl', '600', KEY32, PERSON);
      assert.notEqual(a, b, 'a fresh nonce for every token');
      for (const t of [a, b]) {
        const payload = openV2(t, KEY32);
        assert.equal(payload.full_name, '张三');
        assert.equal(payload.phone, '15912345678');
        assert.equal(payload.aud, SITE);
        assert.ok(payload.exp >= now + 590 && payload.exp <= now + 660, `exp ${payload.exp} is about now + 600`);
      }
      // `aud` and `exp` already in the payload are kept.
      const own = openV2(await token(sample, '--v2', '--site', SITE, KEY32, '{"full_name":"A","phone":"1","aud":"x","exp":4102444800}'), KEY32);
      assert.deepEqual([own.aud, own.exp], ['x', 4102444800]);
      // v2 needs a 32-byte key: a clear error, no token.
      await assert.rejects(token(sample, '--v2', '--site', SITE, KEY16, PERSON), (e) => e.code !== 0 && e.stdout === '');
    });
  }

  test('the guide page shows every sample verbatim and the contract', () => {
    const page = fs.readFileSync(pagePath, 'utf8');
    for (const sample of samples) {
      const source = fs.readFileSync(path.join(samplesDir, sample.file), 'utf8');
      assert.ok(page.includes(escapeHtml(source)),
        `demo-site/identity.html must contain demo-site/samples/${sample.file} verbatim (HTML-escaped): copy it again`);
    }
    for (const [code, status] of [['identity_malformed', 400], ['identity_invalid', 401], ['identity_fields_missing', 422],
      ['identity_expired', 401], ['identity_required', 401]]) {
      assert.match(page, new RegExp(`<code>${code}</code></td>\\s*<td>${status}</td>`), `${code} ${status} in the table`);
    }
    for (const text of ['data-identity="', 'ChatWidget(\'identify\'', 'cargo xtask identity --key', 'cargo xtask keygen']) {
      assert.ok(page.includes(escapeHtml(text)) || page.includes(text), `the page mentions ${text}`);
    }
    assert.doesNotMatch(page, /<(link|script)[^>]+(src|href)="https?:/i, 'no external resources');
  });
});

describe('through the edge', () => {
  let edge;

  /** POSTs a session with an identity token: [status, JSON body]. */
  async function session(site, identity) {
    const res = await fetch(`${edge.base}/api/v1/sites/${site}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity }),
    });
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    return [res.status, body];
  }

  before(async () => {
    for (const built of ['dist/public/index.html', 'edge/build/index.js']) {
      assert.ok(fs.existsSync(path.join(root, built)), `${built} is missing: run cargo xtask build first`);
    }
    edge = await startEdge();
    const identity = { verification_fields: ['full_name', 'phone'], require_identity: false, auto_link: false };
    await seedDemo(edge, SITE, { name: 'Identity test', agents: [], groups: [], allowed_origins: [edge.base],
      identity: { ...identity, keys: [KEY32], accept_ecb: true, accept_v2: true } });
    await seedDemo(edge, SITE16, { name: 'Identity test (16-byte key)', agents: [], groups: [], allowed_origins: [edge.base],
      identity: { ...identity, keys: [KEY16], accept_ecb: true, accept_v2: false } });
  });

  after(async () => {
    await edge?.stop();
  });

  test('the guide page is served at /identity.html', async () => {
    // The asset server answers /identity.html with a redirect to /identity; fetch follows it.
    const res = await fetch(`${edge.base}/identity.html`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await res.text(), fs.readFileSync(pagePath, 'utf8'), 'the served page is the current one (rebuild with cargo xtask build)');
  });

  test('every sample\'s ECB and v2 tokens for one person open a session as the same visitor', { skip: runnable.length === 0 }, async () => {
    const seen = [];
    for (const sample of runnable) {
      for (const args of [[KEY32, PERSON], ['--v2', '--site', SITE, KEY32, PERSON]]) {
        const t = await token(sample, ...args);
        const [status, body] = await session(SITE, t);
        assert.equal(status, 200, `${sample.name} ${args[0] === '--v2' ? 'v2' : 'ECB'}: ${JSON.stringify(body)}`);
        assert.equal(typeof body.visitor_id, 'string', JSON.stringify(body));
        seen.push([`${sample.name} ${args[0] === '--v2' ? 'v2' : 'ECB'}`, body.visitor_id]);
      }
    }
    const ids = new Set(seen.map(([, id]) => id));
    assert.equal(ids.size, 1, `one visitor for one person: ${JSON.stringify(seen)}`);
  });

  test('every sample\'s ECB token with a 16-byte key opens a session as the same visitor', { skip: runnable.length === 0 }, async () => {
    const seen = [];
    for (const sample of runnable) {
      const [status, body] = await session(SITE16, await token(sample, KEY16, PERSON));
      assert.equal(status, 200, `${sample.name}: ${JSON.stringify(body)}`);
      assert.equal(typeof body.visitor_id, 'string', JSON.stringify(body));
      seen.push([sample.name, body.visitor_id]);
    }
    assert.equal(new Set(seen.map(([, id]) => id)).size, 1, `one visitor for one person: ${JSON.stringify(seen)}`);
  });

  test('a token made with another key is refused as identity_invalid', { skip: runnable.length === 0 }, async () => {
    const sample = runnable[0];
    for (const args of [[OTHER_KEY32, PERSON], ['--v2', '--site', SITE, OTHER_KEY32, PERSON]]) {
      // The site does not require identity: the shopper goes on as a guest, told why.
      const [status, body] = await session(SITE, await token(sample, ...args));
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual([body.verified, body.identity_refused?.code], [false, 'identity_invalid']);
    }
  });
});
