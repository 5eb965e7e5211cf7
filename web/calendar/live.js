// The live channel: appointment changes pushed by the server, and conflict probes.
//
// Authenticates with a first {"type": "auth"} message (the token stays out of URLs and logs),
// reconnects with backoff, and after every (re)connect asks the page to reload, so nothing
// that changed while the socket was down is missed.

export class Live {
  constructor({ getToken, onReady, onAppointment, onStatus, onAuthLost }) {
    this.getToken = getToken;
    this.onReady = onReady;
    this.onAppointment = onAppointment;
    this.onStatus = onStatus;
    this.onAuthLost = onAuthLost;
    this.seq = 0;
    this.waiting = new Map();
    this.backoff = 500;
    this.closed = false;
    this.ws = null;
  }

  connect() {
    this.closed = false;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/booking/events`);
    this.ws = ws;
    this.onStatus("connecting");
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.getToken() }));
    ws.onmessage = (ev) => this.receive(JSON.parse(ev.data));
    ws.onclose = (ev) => {
      for (const resolve of this.waiting.values()) resolve(null);
      this.waiting.clear();
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4401 || ev.code === 4403) {
        this.onStatus("offline", ev.reason);
        this.onAuthLost(ev.reason);
        return;
      }
      if (this.closed) return;
      this.onStatus("offline", "Reconnecting…");
      setTimeout(() => !this.closed && this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
    this.ws = null;
  }

  receive(msg) {
    if (msg.type === "ready") {
      this.backoff = 500;
      this.onStatus("live");
      this.onReady();
    } else if (msg.type === "appointment") {
      this.onAppointment(msg);
    } else if (msg.type === "probe") {
      const resolve = this.waiting.get(msg.seq);
      this.waiting.delete(msg.seq);
      if (resolve) resolve(msg);
    }
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  // Resolves with the server's answer, or null when the channel is down.
  probe(request) {
    if (!this.open) return Promise.resolve(null);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.ws.send(JSON.stringify({ ...request, type: "probe", seq }));
    });
  }
}
