// Runs the Worker as `wrangler dev` does, through wrangler's own API (`unstable_startWorker`), but
// without the developer tools: no inspector, so no inspector proxy that forwards the runtime's
// network events to wrangler and appends each to its debug log (hundreds of ms of CPU a second
// under a burst of sockets on this 2-core machine, none of it in production). The harness starts
// it for benchmarks that ask for `startEdge({ devtools: false })`. Arguments: one JSON object
// {port, stateDir, vars}.
import { unstable_startWorker } from 'wrangler';

const { port, stateDir, vars } = JSON.parse(process.argv[2]);
const worker = await unstable_startWorker({
  config: 'wrangler.toml',
  bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: 'plain_text', value: String(v) }])),
  dev: { inspector: false, server: { hostname: '127.0.0.1', port }, persist: stateDir, logLevel: 'warn' },
});
await worker.ready;
const stop = async () => { await worker.dispose(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
