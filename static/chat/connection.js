/*
 * The chat socket: one websocket that comes back by itself.
 *
 * After a drop it reconnects with exponential backoff and jitter, so a thousand browsers do not
 * reconnect in lockstep after a server restart. An application-level ping notices half-open
 * connections (a laptop waking up, a proxy that silently dropped us) that the browser itself would
 * only notice minutes later.
 */
(function (chat) {
  "use strict";

  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const PING_INTERVAL_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  // The server's close code for a socket without a valid identity cookie (docs/protocol.md).
  const CLOSE_NO_IDENTITY = 4401;

  /**
   * Delay before reconnect attempt number `attempt` (0-based): the ceiling doubles each time up to
   * BACKOFF_MAX_MS and the delay is drawn from [ceiling / 2, ceiling] ("equal jitter"), so it is
   * spread out but never zero.
   */
  function backoffDelay(attempt, random = Math.random) {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  /** A random UUID v4 for a client_id; crypto.randomUUID exists only in secure contexts (https, localhost). */
  function newClientId() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function socketUrl(wsPath) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${wsPath}`;
  }

  class ChatConnection {
    /**
     * onFrame(frame) gets every parsed server frame; onState(state, detail) hears
     * "connecting" | "open" | "waiting" (detail.delayMs) | "offline". With onRefused(code), a close
     * with an application code (4000-4999: not signed in, not allowed) stops reconnecting and calls it
     * instead (the staff console sends its user to the sign-in page).
     */
    constructor({ url, onFrame, onState, onRefused = null }) {
      this.url = url;
      this.onFrame = onFrame;
      this.onState = onState;
      this.onRefused = onRefused;
      this.socket = null;
      this.attempt = 0;
      this.retryTimer = null;
      this.pingTimer = null;
      this.pongTimer = null;
      this.stopped = false;
    }

    get isOpen() {
      return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
    }

    start() {
      window.addEventListener("online", () => this.reconnectNow());
      window.addEventListener("offline", () => this._setState("offline"));
      // A phone that slept for an hour should not wait out a long backoff once it is looked at again.
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible" && !this.socket) this.reconnectNow();
      });
      this._connect();
    }

    /** Sends a frame if the socket is open; returns false otherwise (the caller keeps it pending). */
    send(frame) {
      if (!this.isOpen) return false;
      this.socket.send(JSON.stringify(frame));
      return true;
    }

    reconnectNow() {
      if (this.stopped || this.socket) return;
      window.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this._connect();
    }

    _connect() {
      this._setState("connecting");
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch (error) {
        this._scheduleReconnect();
        return;
      }
      this.socket = socket;
      socket.addEventListener("open", () => {
        this._setState("open");
        this._startHeartbeat();
      });
      socket.addEventListener("message", (event) => this._receive(event));
      socket.addEventListener("close", (event) => {
        if (this.socket !== socket) return;
        if (this.onRefused && event.code >= 4000 && event.code < 5000) {
          this.stopped = true;
          this.socket = null;
          this._stopHeartbeat();
          this.onRefused(event.code);
          return;
        }
        if (event.code === CLOSE_NO_IDENTITY) {
          // The identity cookie expired or was cleared: loading the page again issues a new one.
          window.fetch(window.location.href, { credentials: "same-origin" }).finally(() => this._drop());
          return;
        }
        this._drop();
      });
    }

    /** Forgets the current socket at once (a dead one may take minutes to report "close"). */
    _drop() {
      const socket = this.socket;
      this.socket = null;
      this._stopHeartbeat();
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
      this._scheduleReconnect();
    }

    _receive(event) {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return; // The server only sends JSON; anything else is not ours to interpret.
      }
      // Only a frame proves the server really serves us (it may accept and close at once),
      // so the backoff restarts from the beginning here rather than on "open". Not an error frame:
      // a server that cannot reach its database says so and closes, and must not be retried at once.
      if (!frame || frame.type !== "error") this.attempt = 0;
      window.clearTimeout(this.pongTimer);
      if (frame && typeof frame.type === "string") this.onFrame(frame);
    }

    _scheduleReconnect() {
      if (this.stopped) return;
      if (navigator.onLine === false) {
        this._setState("offline"); // the "online" event reconnects
        return;
      }
      const delayMs = backoffDelay(this.attempt);
      this.attempt += 1;
      this._setState("waiting", { delayMs });
      this.retryTimer = window.setTimeout(() => {
        this.retryTimer = null;
        this._connect();
      }, delayMs);
    }

    _startHeartbeat() {
      this._stopHeartbeat();
      this.pingTimer = window.setInterval(() => {
        if (!this.send({ type: "ping" })) return;
        window.clearTimeout(this.pongTimer);
        // Any frame clears this timer; silence means the connection is dead even if "open".
        this.pongTimer = window.setTimeout(() => this._drop(), PONG_TIMEOUT_MS);
      }, PING_INTERVAL_MS);
    }

    _stopHeartbeat() {
      window.clearInterval(this.pingTimer);
      window.clearTimeout(this.pongTimer);
    }

    _setState(state, detail = {}) {
      this.onState(state, detail);
    }
  }

  chat.backoffDelay = backoffDelay;
  chat.socketUrl = socketUrl;
  chat.newClientId = newClientId;
  chat.ChatConnection = ChatConnection;
})((window.ChatbotChat = window.ChatbotChat || {}));
