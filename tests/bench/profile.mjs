// The Worker's CPU profile through wrangler's inspector (the Chrome DevTools protocol), for the
// benchmarks' `*_PROFILE=FILE` switches: `start` samples until `stop`, which writes the
// .cpuprofile to FILE and prints the top functions by self time and by total (inclusive) time.
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

/// Starts sampling the Worker of a `startEdge` edge every `intervalUs` microseconds.
export async function startProfile(edge, intervalUs = 200) {
  const [target] = await (await fetch(`http://127.0.0.1:${edge.inspector}/json/list`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  let id = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
  });
  const call = (method, params = {}) => new Promise((resolve) => {
    id += 1; pending.set(id, resolve); ws.send(JSON.stringify({ id, method, params }));
  });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: intervalUs });
  await call('Profiler.start');
  return {
    /// Stops sampling, writes the profile to `file` and prints what `label` spent where.
    async stop(file, label, count = 30) {
      const { result } = await call('Profiler.stop');
      ws.close();
      writeFileSync(file, JSON.stringify(result.profile));
      const { total, self, inclusive } = times(result.profile);
      const rows = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count)
        .map(([name, us]) => `  ${(us / 1000).toFixed(1).padStart(8)} ms  ${(100 * us / total).toFixed(1).padStart(5)} %  ${name}`);
      console.error(`profile of ${label}: ${(total / 1000).toFixed(0)} ms sampled; top self time:`);
      rows(self).forEach((r) => console.error(r));
      console.error(`top total time (the function and what it calls):`);
      rows(inclusive).forEach((r) => console.error(r));
    },
  };
}

function times(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  profile.nodes.forEach((n) => (n.children ?? []).forEach((c) => parent.set(c, n.id)));
  const name = (n) => n.callFrame.functionName || `(anonymous ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber})`;
  const dt = new Map();
  profile.samples.forEach((sample, i) => dt.set(sample, (dt.get(sample) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const [nodeId, us] of dt) {
    const node = byId.get(nodeId);
    self.set(name(node), (self.get(name(node)) ?? 0) + us);
    total += us;
    // Each function on the sample's stack once, however often it recurses.
    const seen = new Set();
    for (let id = nodeId; id !== undefined; id = parent.get(id)) {
      const n = name(byId.get(id));
      if (!seen.has(n)) { seen.add(n); inclusive.set(n, (inclusive.get(n) ?? 0) + us); }
    }
  }
  return { total, self, inclusive };
}
