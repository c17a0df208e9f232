/*
 * The message list. Every message is keyed twice, by its server id and by the client_id the browser
 * gave it, so an acknowledgement, a resend or a fresh history frame can never show a message twice.
 *
 * All text goes in with textContent: customer, bot and staff text is never parsed as HTML.
 * Streamed replies live in a separate, aria-hidden preview area so that screen readers announce the
 * final message once instead of every token. Final bot replies carry two toggle buttons for the
 * customer's vote; they show what the server confirmed (history, feedback_recorded), not a guess.
 */
(function (chat) {
  "use strict";

  const NEAR_BOTTOM_PX = 80;
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function formatTime(iso) {
    const date = iso ? new Date(iso) : new Date();
    return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
  }

  // The customer's votes on a bot reply and what their buttons say.
  const VOTES = [
    ["up", "Helpful"],
    ["down", "Not helpful"],
  ];
  // A thumb drawn here, not an emoji: not every system has an emoji font, and the app runs offline.
  // The "down" button shows it mirrored (messages.css).
  const THUMB_PATH = "M2 10h4v11H2z M8 10l4-8c1.5 0 2.5 1 2.5 2.5V9h5.5a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.6 21H8z";
  const SVG_NS = "http://www.w3.org/2000/svg";

  function thumbIcon() {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "message__vote-icon");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", THUMB_PATH);
    svg.append(path);
    return svg;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  class Transcript {
    /**
     * names maps a sender ("customer", "bot", "staff", "system") to what a screen reader hears;
     * onRetry(clientId) resends a message that the server refused; onVote(messageId, vote) asks the
     * server to record a vote on a bot reply ("up", "down", or null to take it back).
     */
    constructor({ log, preview, scroller, emptyState, names, onRetry, onVote }) {
      this.log = log;
      this.onRetry = onRetry;
      this.onVote = onVote;
      this.preview = preview;
      this.scroller = scroller;
      this.emptyState = emptyState;
      this.names = names;
      this.byId = new Map();
      this.byClientId = new Map();
      this.streams = new Map(); // reply_to -> { item, body, attempt, text }
      this.suppressedStreams = new Map(); // reply_to -> the attempt joined mid-way (null until its first token)
    }

    /** Replaces everything shown with the server's history (then the caller re-adds its pending). */
    reset(messages) {
      this._keepingScroll(true, () => {
        this.log.replaceChildren();
        this.byId.clear();
        this.byClientId.clear();
        this.clearStreams();
        for (const message of messages) this._append(message, "sent");
      });
      this._updateEmptyState(); // an empty history (a new conversation) shows the welcome again
    }

    /** Shows a message the customer just wrote, before the server has confirmed it. */
    showPending({ client_id: clientId, text, created }, state = "sending") {
      const existing = this.byClientId.get(clientId);
      if (existing) {
        this._setDeliveryState(existing, state);
        return;
      }
      this._keepingScroll(true, () => {
        this._append({ id: null, client_id: clientId, sender: "customer", text, created }, state);
      });
    }

    /**
     * Shows a stored message from the server, or confirms the pending one with the same client_id.
     * Returns false when it was already on screen.
     */
    accept(message) {
      if (message.id && this.byId.has(message.id)) return false;
      const pending = message.client_id ? this.byClientId.get(message.client_id) : undefined;
      if (pending) {
        pending.dataset.messageId = message.id;
        this.byId.set(message.id, pending);
        pending.querySelector(".message__text").textContent = message.text;
        this._setTime(pending.querySelector(".message__time"), message.created);
        this._setDeliveryState(pending, "sent");
        return false;
      }
      this._keepingScroll(false, () => this._append(message, "sent"));
      return true;
    }

    /** Shows the vote the server recorded on a bot reply (null: none). */
    setFeedback(messageId, vote) {
      const item = this.byId.get(messageId);
      if (!item) return;
      for (const button of item.querySelectorAll(".message__vote")) {
        button.setAttribute("aria-pressed", String(button.dataset.vote === vote));
      }
    }

    markFailed(clientId) {
      const item = this.byClientId.get(clientId);
      if (item) this._setDeliveryState(item, "failed");
    }

    /** Adds one streamed piece of the bot's reply to `replyTo`; false when that stream is not shown. */
    appendDelta(replyTo, attempt, delta) {
      if (this.suppressedStreams.has(replyTo)) {
        const suppressedAttempt = this.suppressedStreams.get(replyTo) ?? attempt;
        // A new attempt is another worker answering from its first token: that one can be shown whole.
        if (suppressedAttempt === attempt) {
          this.suppressedStreams.set(replyTo, attempt);
          return false;
        }
        this.suppressedStreams.delete(replyTo);
      }
      let stream = this.streams.get(replyTo);
      this._keepingScroll(false, () => {
        if (!stream) {
          const item = element("div", "message message--bot message--streaming");
          const body = element("p", "message__text");
          item.append(body);
          this.preview.append(item);
          stream = { item, body, attempt, text: "" };
          this.streams.set(replyTo, stream);
        }
        if (stream.attempt !== attempt) {
          // Another worker is answering from the start (the first one died mid-reply).
          stream.attempt = attempt;
          stream.text = "";
          stream.item.classList.remove("message--stalled");
        }
        stream.text += delta;
        stream.body.textContent = stream.text;
      });
      this._updateEmptyState();
      return true;
    }

    /**
     * A reply that was already streaming when we (re)connected: its first tokens are lost, so
     * showing the rest would be a truncated sentence. The final message will show it whole.
     */
    suppressStream(replyTo) {
      this.suppressedStreams.set(replyTo, null);
    }

    finishStream(replyTo) {
      const stream = this.streams.get(replyTo);
      if (stream) stream.item.remove();
      this.streams.delete(replyTo);
      this.suppressedStreams.delete(replyTo);
    }

    /** The reply stopped mid-way (timeout): stop looking "live" but keep what arrived. */
    stallStreams() {
      for (const stream of this.streams.values()) stream.item.classList.add("message--stalled");
    }

    clearStreams() {
      this.preview.replaceChildren();
      this.streams.clear();
      this.suppressedStreams.clear();
    }

    get isStreaming() {
      return this.streams.size > 0;
    }

    scrollToNewest() {
      this.scroller.scrollTop = this.scroller.scrollHeight;
    }

    /** Runs a change of the page around the transcript (a panel appears) without losing the newest line. */
    keepingNewest(change) {
      this._keepingScroll(false, change);
    }

    _append(message, state) {
      const item = this._render(message, state);
      this.log.append(item);
      if (message.id) this.byId.set(message.id, item);
      if (message.client_id) this.byClientId.set(message.client_id, item);
      this._updateEmptyState();
    }

    _render(message, state) {
      const sender = this.names[message.sender] ? message.sender : "system";
      const item = element("li", `message message--${sender}`);
      if (message.id) item.dataset.messageId = message.id;
      if (message.client_id) item.dataset.clientId = message.client_id;
      // Who said it: staff messages show the name, the others only tell screen readers.
      if (sender === "staff") {
        const author = typeof message.author === "string" && message.author ? `${message.author} from support` : "";
        item.append(element("p", "message__sender", author || this.names.staff));
      }
      else item.append(element("span", "visually-hidden", `${this.names[sender]}: `));
      item.append(element("p", "message__text", message.text));
      const meta = element("p", "message__meta");
      const time = element("time", "message__time");
      this._setTime(time, message.created);
      meta.append(time);
      if (sender === "customer") meta.append(element("span", "message__delivery"));
      item.append(meta);
      if (sender === "customer") this._setDeliveryState(item, state);
      if (sender === "bot" && message.id) item.append(this._voteButtons(message.id, message.feedback));
      return item;
    }

    _voteButtons(messageId, current) {
      const group = element("div", "message__feedback");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Rate this reply");
      for (const [vote, label] of VOTES) {
        const button = element("button", `message__vote message__vote--${vote}`);
        button.type = "button";
        button.dataset.vote = vote;
        button.title = label;
        button.setAttribute("aria-pressed", String(current === vote));
        button.append(thumbIcon(), element("span", "visually-hidden", label));
        // Pressing the pressed thumb again takes the vote back.
        button.addEventListener("click", () => {
          this.onVote(messageId, button.getAttribute("aria-pressed") === "true" ? null : vote);
        });
        group.append(button);
      }
      return group;
    }

    _setTime(time, created) {
      time.textContent = formatTime(created);
      if (created) time.dateTime = created;
    }

    _setDeliveryState(item, state) {
      item.dataset.state = state;
      const delivery = item.querySelector(".message__delivery");
      if (delivery) delivery.textContent = { sending: "Sending…", sent: "Sent", failed: "Not sent" }[state];
      // Every render of a refused message offers the retry, a re-render after a reconnect included.
      const retry = item.querySelector(".message__retry");
      if (state !== "failed") retry?.remove();
      else if (!retry) item.querySelector(".message__meta").append(this._retryButton(item.dataset.clientId));
    }

    _retryButton(clientId) {
      const retry = element("button", "message__retry", "Try again");
      retry.type = "button";
      retry.addEventListener("click", () => this.onRetry(clientId));
      return retry;
    }

    _updateEmptyState() {
      this.emptyState.hidden = this.log.childElementCount > 0 || this.streams.size > 0;
    }

    /** Runs a DOM change and follows the newest message if the reader was already at the bottom. */
    _keepingScroll(force, change) {
      const { scrollTop, scrollHeight, clientHeight } = this.scroller;
      const atBottom = scrollHeight - scrollTop - clientHeight < NEAR_BOTTOM_PX;
      change();
      if (force || atBottom) this.scrollToNewest();
    }
  }

  chat.Transcript = Transcript;
})((window.ChatbotChat = window.ChatbotChat || {}));
