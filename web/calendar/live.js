// @ts-check
// The live channel: appointment changes pushed by the server, and conflict probes.
//
// Authenticates with a first {"type": "auth"} message (the token stays out of URLs and logs),
// reconnects with backoff, and after every (re)connect asks the page to reload, so nothing
// that changed while the socket was down is missed.

/** @typedef {"live" | "connecting" | "offline"} LiveStatus */

/**
 * @typedef {object} LiveHandlers
 * @property {() => string | null} getToken
 * @property {() => void} onReady after every (re)connect
 * @property {(msg: {appointment: Appointment}) => void} onAppointment
 * @property {(status: LiveStatus, why?: string) => void} onStatus
 * @property {(reason: string) => void} onAuthLost
 */

export class Live {
  /** @param {LiveHandlers} handlers */
  constructor({ getToken, onReady, onAppointment, onStatus, onAuthLost }) {
    this.getToken = getToken;
    this.onReady = onReady;
    this.onAppointment = onAppointment;
    this.onStatus = onStatus;
    this.onAuthLost = onAuthLost;
    this.seq = 0;
    /** @type {Map<number, (reply: ProbeReply | null) => void>} */
    this.waiting = new Map();
    this.backoff = 500;
    this.closed = false;
    /** @type {WebSocket | null} */
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

  /** @param {any} msg a message from the server */
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

  /**
   * Resolves with the server's answer, or null when the channel is down.
   * @param {Record<string, unknown>} request
   * @returns {Promise<ProbeReply | null>}
   */
  probe(request) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve(null);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      ws.send(JSON.stringify({ ...request, type: "probe", seq }));
    });
  }
}
