// Test client of the visitor socket: it does what the widget does for delivery (resume from the
// last seen seq, resend unacknowledged messages in order after every reconnect), and records every
// frame with timings. Loaded into test pages with addScriptTag (it connects to the page's origin),
// or required by Node (give `origin`, and a global WebSocket such as the `ws` package's).
globalThis.DeskClient = class DeskClient {
  constructor(site, token, origin = globalThis.location.origin) {
    this.url = `${origin.replace('http', 'ws')}/api/v1/sites/${site}/ws`;
    this.token = token;
    this.lastSeq = 0;
    this.pending = []; // [{client_id, text, sentAt}] in send order, until acknowledged
    this.acked = new Map(); // client_id -> seq
    this.messages = new Map(); // seq -> message
    this.errors = [];
    this.ready = false;
    this.stopped = false;
    this.reconnects = 0;
    this.onMessage = null;
    this.connect();
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.token, last_seq: this.lastSeq }));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'ready') {
        this.ready = true;
        for (const p of this.pending) this.sendFrame(p);
      } else if (f.type === 'ack') {
        this.acked.set(f.client_id, f.seq);
        this.pending = this.pending.filter((p) => p.client_id !== f.client_id);
      } else if (f.type === 'message') {
        this.messages.set(f.message.seq, f.message);
        this.lastSeq = Math.max(this.lastSeq, f.message.seq);
        if (this.onMessage) this.onMessage(f.message);
      } else if (f.type === 'error' || f.type === 'rejected') {
        this.errors.push(f.code);
      }
    };
    ws.onclose = () => {
      this.ready = false;
      if (!this.stopped) {
        this.reconnects += 1;
        setTimeout(() => this.connect(), 200);
      }
    };
    ws.onerror = () => {};
  }

  sendFrame(p) {
    if (this.ready && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify({ type: 'send', client_id: p.client_id, body: { kind: 'text', text: p.text } }));
    }
  }

  send(client_id, text) {
    const p = { client_id, text, sentAt: performance.now() };
    this.pending.push(p);
    this.sendFrame(p);
  }

  stop() {
    this.stopped = true;
    this.ws.close();
  }
};
