// Identity token for the chat widget: Node.js 16+ sample, node:crypto only.
//
// Run it on YOUR SERVER only: the site key must never reach a browser.
//
//   node identity.mjs KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
//   node identity.mjs --v2 --site SITE_ID [--ttl 600] KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
//
// The first form prints a compat token (AES/ECB/PKCS5Padding, uppercase hex); the second a v2
// token ("v2." + base64url(nonce || AES-256-GCM ciphertext || tag)), which needs a 32-byte key.

import { createCipheriv, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

/** Compat format: AES-128/192/256-ECB (by key length) with PKCS#7 padding, as uppercase hex. */
export function encryptEcb(keyB64, payloadJson) {
  const key = Buffer.from(keyB64.trim(), 'base64');
  const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null); // padding is on by default
  const encrypted = Buffer.concat([cipher.update(payloadJson, 'utf8'), cipher.final()]);
  return encrypted.toString('hex').toUpperCase();
}

/** v2 format: "v2." + base64url without padding of (12-byte nonce || ciphertext || 16-byte tag). */
export function encryptV2(keyB64, payload) {
  const key = Buffer.from(keyB64.trim(), 'base64');
  if (key.length !== 32) throw new Error(`v2 needs a 32-byte site key, this one has ${key.length} bytes`);
  const nonce = randomBytes(12); // a fresh random nonce for every token, never reused
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return 'v2.' + Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** v2 payloads must carry "aud" (your site id) and "exp" (unix seconds): add them if absent. */
export function withClaims(payload, site, ttlSeconds = 600) {
  const claims = { ...payload };
  if (claims.aud === undefined) {
    if (!site) throw new Error('v2 needs --site SITE_ID');
    claims.aud = site;
  }
  if (claims.exp === undefined) claims.exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  return claims;
}

// Command line: [--v2 --site SITE_ID [--ttl SECONDS]] KEY_B64 PAYLOAD_JSON (only when run, not imported)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opts = { v2: false, site: undefined, ttl: 600 };
  while (args[0]?.startsWith('--')) {
    const flag = args.shift();
    if (flag === '--v2') opts.v2 = true;
    else if (flag === '--site') opts.site = args.shift();
    else if (flag === '--ttl') opts.ttl = Number(args.shift());
    else args.length = 0;
  }
  if (args.length !== 2) {
    console.error('usage: node identity.mjs [--v2 --site SITE_ID [--ttl SECONDS]] KEY_B64 PAYLOAD_JSON');
    process.exit(2);
  }
  const [keyB64, payloadJson] = args;
  try {
    const token = opts.v2
      ? encryptV2(keyB64, withClaims(JSON.parse(payloadJson), opts.site, opts.ttl))
      : encryptEcb(keyB64, payloadJson);
    console.log(token);
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
}
