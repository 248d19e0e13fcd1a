// A real visitor's message round trip (send -> ack) while the site is attacked, next to its quiet
// value in the same run, printed as `bench: NAME VALUE UNIT`:
// - password guessing: ten logins at a time, each under a fresh name (every one costs a full
//   PBKDF2 derivation, the most CPU an attacker can make the Worker spend), for a few seconds;
// - a socket flood: 2,000 WebSockets that never authenticate, from 20 addresses;
// - for scale, one busy CPU core outside workerd (this machine has two), which is what the
//   guessing costs the machine too.
// Medians (and p90) of sequential round trips, 20 ms apart.
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { seedDemo, startEdge } from '../e2e/harness.mjs';

const SITE = 'benchattack';
const SAMPLES = 150;
const edge = await startEdge({});
const wsBase = `${edge.base.replace('http', 'ws')}/api/v1/sites/${SITE}`;
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const us = (ms) => Math.round(ms * 1000);

try {
  await seedDemo(edge, SITE, {
    name: 'Attack bench', greeting: '', groups: [],
    agents: [{ id: 'lee', name: 'Lee', password: 'lee-right-password-1', max_sessions: 5 }],
    rate_limits: { sessions_per_ip: 100_000, logins_per_ip: 100_000, messages_per_visitor: 100_000, sockets_per_ip: 200 },
  });
  const post = async (path, body, headers = {}) => {
    const res = await fetch(`${edge.base}/api/v1/sites/${SITE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json().catch(() => null) };
  };

  // The visitor whose round trips are measured.
  const session = await post('/sessions', {});
  const ws = new WebSocket(`${wsBase}/ws`);
  const waiting = new Map();
  await new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: session.body.token, last_seq: 0 })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'ready') resolve();
      if (f.type === 'ack' || f.type === 'rejected') waiting.get(f.client_id)?.(f);
    });
    ws.on('error', reject);
  });
  let n = 0;
  const rtt = () => new Promise((resolve, reject) => {
    const id = `bench-${(n += 1)}`;
    const t0 = performance.now();
    const timer = setTimeout(() => reject(new Error(`no ack for ${id}`)), 30_000);
    waiting.set(id, (f) => { clearTimeout(timer); waiting.delete(id); if (f.type === 'rejected') reject(new Error(f.code)); else resolve(performance.now() - t0); });
    ws.send(JSON.stringify({ type: 'send', client_id: id, body: { kind: 'text', text: `rtt ${n}` } }));
  });
  const sample = async (count) => {
    const xs = [];
    for (let i = 0; i < count; i += 1) { xs.push(await rtt()); await wait(20); }
    return xs;
  };
  for (let i = 0; i < 30; i += 1) await rtt(); // warm-up: the conversation opens, caches fill
  const results = {};
  const report = (name, xs) => { results[name] = xs; };

  report('quiet', await sample(SAMPLES));

  // Password guessing.
  let stop = false;
  const answers = {};
  let guesses = 0;
  const guesser = async (k) => {
    for (let i = 0; !stop; i += 1) {
      const res = await post('/agents/login', { agent: `ghost-${k}-${i}`, password: `guess-${k}-${i}` }, { 'cf-connecting-ip': `198.51.100.${k}` });
      guesses += 1;
      const key = `${res.status} ${res.body?.error?.code ?? ''}`.trim();
      answers[key] = (answers[key] ?? 0) + 1;
    }
  };
  const started = performance.now();
  const guessers = Array.from({ length: Number(process.env.GUESSERS ?? 10) }, (_, k) => guesser(k));
  await wait(500);
  report('guessing', await sample(SAMPLES));
  stop = true;
  await Promise.all(guessers);
  const guessSecs = (performance.now() - started) / 1000;

  // A busy core outside workerd, for scale.
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  await wait(300);
  report('busy_core', await sample(SAMPLES));
  hog.kill('SIGKILL');
  await wait(300);

  // Socket flood: 2,000 sockets that never authenticate (100 per address, under the per-address cap).
  const idle = [];
  await Promise.all(Array.from({ length: 20 }, async (_, a) => {
    for (let i = 0; i < 100; i += 1) {
      idle.push(await new Promise((resolve) => {
        const s = new WebSocket(`${wsBase}/ws`, { headers: { 'cf-connecting-ip': `203.0.113.${a}` } });
        s.on('open', () => resolve(s));
        s.on('error', () => resolve(s));
        s.on('unexpected-response', () => resolve(s));
      }));
    }
  }));
  const openIdle = idle.filter((s) => s.readyState === WebSocket.OPEN).length;
  report('socket_flood', await sample(SAMPLES));
  for (const s of idle) s.terminate();

  const quiet = pct(results.quiet, 0.5);
  for (const [name, xs] of Object.entries(results)) {
    console.log(`bench: visitor_rtt_${name}_p50_us ${us(pct(xs, 0.5))} us`);
    console.log(`bench: visitor_rtt_${name}_p90_us ${us(pct(xs, 0.9))} us`);
    if (name !== 'quiet') console.log(`bench: visitor_rtt_${name}_to_quiet_p50_ratio ${(pct(xs, 0.5) / quiet).toFixed(2)} x`);
  }
  console.log(`bench: password_guesses_per_s ${Math.round(guesses / guessSecs)} guesses/s`);
  console.log(`bench: flood_idle_sockets_open ${openIdle} sockets`);
  console.error(`attack bench: login answers ${JSON.stringify(answers)}`);
  ws.terminate();
} finally {
  await edge.stop();
}
