/*
 * The customer chat: wires the socket (connection.js), the message list (transcript.js), the
 * composer, notice, typing indicator and status line (ui.js) and the hand-over to staff (support.js)
 * together, following protocol v1 (docs/protocol.md). Used by the full page (/) and by the widget's
 * iframe (/embed/).
 */
(function (chat) {
  "use strict";

  const OUTBOX_KEY = "chatbot.outbox.v1";
  const SENDER_NAMES = { customer: "You", bot: "Assistant", staff: "Support agent", system: "Notice" };
  const CONVERSATION_NOTES = {
    waiting_for_staff: "A member of our team will join this conversation shortly.",
    with_staff: "You are chatting with our support team.",
    closed: "This conversation has ended. Send a message to start a new one.",
  };
  // Frames about the conversation; a pong only proves the socket is alive, not that a reply is coming.
  const REPLY_PROGRESS_FRAMES = new Set(["history", "message", "token", "typing", "status", "error"]);
  // While an earlier conversation is on screen the current one's messages wait: "Back" fetches a history.
  const CURRENT_CONVERSATION_FRAMES = new Set(["message", "token", "typing"]);

  /**
   * Messages the server has not confirmed yet, kept in sessionStorage so that a reload or a dropped
   * socket does not lose them; they are resent with the same client_id and the server deduplicates.
   */
  class Outbox {
    constructor(storage) {
      this.storage = storage;
      this.items = new Map();
      try {
        for (const item of JSON.parse(storage?.getItem(OUTBOX_KEY) || "[]")) this.items.set(item.client_id, item);
      } catch (error) {
        this.items.clear(); // unreadable leftovers: start empty rather than fail to load the chat
      }
    }

    add(item) {
      this.items.set(item.client_id, item);
      this._save();
    }

    get(clientId) {
      return this.items.get(clientId);
    }

    setState(clientId, state) {
      const item = this.items.get(clientId);
      if (!item) return;
      item.state = state;
      this._save();
    }

    remove(clientId) {
      if (this.items.delete(clientId)) this._save();
    }

    list() {
      return [...this.items.values()];
    }

    _save() {
      try {
        this.storage?.setItem(OUTBOX_KEY, JSON.stringify(this.list()));
      } catch (error) {
        // Storage full or blocked (some third-party iframes): the outbox still works for this page.
      }
    }
  }

  function sessionStorageOrNull() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null;
    }
  }

  class ChatApp {
    constructor({ config, elements }) {
      this.config = config;
      this.elements = elements;
      this.outbox = new Outbox(sessionStorageOrNull());
      this.conversationStatus = "bot";
      this.names = { ...SENDER_NAMES }; // "staff" becomes "Dana from support" once we know who
      this.working = false; // a bot or staff reply is expected
      this.awaitingReply = null; // { client_id, text } of the last message sent
      this.watchTimer = null;
      this.transcript = new chat.Transcript({
        ...elements.transcript,
        names: this.names,
        onRetry: (clientId) => this._retry(clientId),
        onVote: (messageId, vote) => this.connection.send({ type: "feedback", message_id: messageId, vote }),
      });
      this.typing = new chat.TypingIndicator({ ...elements.typing, names: this.names });
      this.notice = new chat.Notice(elements.notice);
      this.support = new chat.SupportPanel({
        elements: elements.support,
        config,
        send: (frame) => this.connection.send(frame),
        showNotice: (text) => this.notice.show(text),
        keepingNewest: (change) => this.transcript.keepingNewest(change),
      });
      this.history = new chat.ConversationHistory({
        elements: elements.history,
        send: (frame) => this.connection.send(frame),
        onStartNew: () => this._startNewConversation(),
        onBack: () => this.connection.send({ type: "history" }),
      });
      this.connection = new chat.ChatConnection({
        url: chat.socketUrl(config.wsPath),
        onFrame: (frame) => this.handleFrame(frame),
        onState: (state, detail) => {
          if (state === "open") this.sentOnThisSocket.clear();
          this.status.show(state, detail);
        },
      });
      // Messages already sent on the open socket: the server reads them in order, so the history frame it
      // sends (after connecting, or when asked) must not make us send them a second time.
      this.sentOnThisSocket = new Set();
      this.status = new chat.ConnectionStatus({
        ...elements.status,
        onRetry: () => this.connection.reconnectNow(),
      });
      this.composer = new chat.Composer({
        ...elements.composer,
        maxChars: config.maxMessageChars,
        onSubmit: (text) => this.submit(text),
        onTypingChange: (isTyping) => this.connection.send({ type: "typing", is_typing: isTyping }),
      });
    }

    start() {
      for (const item of this.outbox.list()) this.transcript.showPending(item, item.state);
      this.connection.start();
    }

    submit(text) {
      // A message after a closed conversation starts a new one, which the bot answers.
      if (this.conversationStatus === "closed") this._setConversation({ status: "bot" });
      const item = { client_id: chat.newClientId(), text, created: new Date().toISOString(), state: "sending" };
      this.outbox.add(item);
      this.transcript.showPending(item);
      this.notice.clear();
      this._send(item);
      return true;
    }

    handleFrame(frame) {
      if (REPLY_PROGRESS_FRAMES.has(frame.type) && (this.working || this.transcript.isStreaming)) {
        this._armWatch();
      }
      if (this.history.isViewing && CURRENT_CONVERSATION_FRAMES.has(frame.type)) return;
      const handler = {
        history: () => this.onHistory(frame),
        message: () => this.onMessage(frame.message),
        token: () => this.onToken(frame),
        typing: () => (frame.is_typing ? this._startWorking(frame.sender) : this._stopWorking()),
        status: () => this._setConversation(frame.conversation, frame.detail, frame.support),
        error: () => this.onError(frame),
        csat_request: () => this.support.askRating(frame),
        csat_recorded: () => this.support.ratingRecorded(frame),
        feedback_recorded: () => this.transcript.setFeedback(frame.message_id, frame.vote),
        conversations: () => this.history.showList(frame.conversations),
        transcript: () => this._showEarlier(frame),
      }[frame.type];
      if (handler) handler();
    }

    /** Sent after every (re)connect: re-render from it, then resend what it does not contain. */
    onHistory(frame) {
      const messages = Array.isArray(frame.messages) ? frame.messages : [];
      const stored = new Set(messages.map((message) => message.client_id).filter(Boolean));
      this.history.stopViewing();
      for (const item of this.outbox.list()) if (stored.has(item.client_id)) this.outbox.remove(item.client_id);
      this.transcript.reset(messages);
      this._stopWorking();
      this._setConversation(frame.conversation, frame.support?.detail, frame.support);
      if (frame.pending_reply) {
        const repliedTo = messages.find((message) => message.client_id === frame.pending_reply);
        if (repliedTo) this.transcript.suppressStream(repliedTo.id);
        this._startWorking("bot");
      }
      for (const item of this.outbox.list()) {
        this.transcript.showPending(item, item.state);
        if (item.state !== "sending") continue;
        // Already on this socket: its reply is on the way, and the re-render above hid the typing.
        if (this.sentOnThisSocket.has(item.client_id)) this._expectReply();
        else this._send(item);
      }
      if (this.awaitingReply && stored.has(this.awaitingReply.client_id) && !frame.pending_reply) {
        this.awaitingReply = null; // its reply, if any, came with this history
      }
    }

    onMessage(message) {
      if (!message || typeof message !== "object") return;
      if (message.sender === "customer") {
        if (message.client_id) this.outbox.remove(message.client_id);
        this.transcript.accept(message);
        return;
      }
      if (message.reply_to) this.transcript.finishStream(message.reply_to);
      this.transcript.accept(message);
      if (message.sender === "bot" || message.sender === "staff") {
        this.awaitingReply = null;
        this._stopWorking();
      }
    }

    onToken(frame) {
      if (typeof frame.delta !== "string") return;
      // The growing bubble shows the work now; a suppressed stream keeps the typing indicator.
      if (this.transcript.appendDelta(frame.reply_to, frame.attempt, frame.delta)) this.typing.hide();
    }

    onError(frame) {
      if (this.support.handleError(frame)) return; // shown in the contact or rating form
      this._stopWorking();
      const detail = frame.detail || "Something went wrong. Please try again.";
      if (frame.code === "unavailable" && this.support.canRequestPerson()) {
        // The assistant cannot answer at all (no model, or a broken one): offer a person right here.
        this.notice.show(detail, { actionLabel: "Talk to a person", onAction: () => this.support.requestPerson() });
      } else {
        this.notice.show(detail);
      }
      if (frame.client_id && this.outbox.get(frame.client_id)) {
        this.outbox.setState(frame.client_id, "failed");
        this.transcript.markFailed(frame.client_id);
      }
    }

    _retry(clientId) {
      const item = this.outbox.get(clientId);
      if (!item) return;
      this.outbox.setState(clientId, "sending");
      this.transcript.showPending(item, "sending");
      this.notice.clear();
      this._send(item);
    }

    /** Sends now if the socket is open; otherwise the history frame after reconnecting resends it. */
    _send(item) {
      const frame = { type: "message", client_id: item.client_id, text: item.text };
      if (!this.connection.send(frame)) return;
      this.sentOnThisSocket.add(item.client_id);
      this.awaitingReply = { client_id: item.client_id, text: item.text };
      this._expectReply();
    }

    _expectReply() {
      // Staff answer at their own pace; only the bot is expected to start typing at once.
      if (this.conversationStatus === "bot" || this.conversationStatus === "closed") this._startWorking("bot");
    }

    _setConversation(conversation, detail, support = null) {
      if (!conversation || typeof conversation.status !== "string") return;
      this.conversationStatus = conversation.status;
      if (conversation.status !== "bot") {
        // The bot has handed over: a reply it was still writing will never be posted.
        if (this.working) this._stopWorking();
        this.transcript.clearStreams();
      }
      this.names.staff = support?.staff_name ? `${support.staff_name} from support` : SENDER_NAMES.staff;
      this.support.update(conversation.status, support);
      const note = detail || CONVERSATION_NOTES[conversation.status] || "";
      this.elements.banner.textContent = note;
      this.elements.banner.hidden = !note || conversation.status === "bot";
    }

    /** An earlier conversation to read (`transcript`): shown in place of the current one until "Back". */
    _showEarlier(frame) {
      const messages = Array.isArray(frame.messages) ? frame.messages : [];
      this._stopWorking();
      this.transcript.reset(messages);
      this.history.startViewing(frame.conversation || {}, messages);
    }

    _startNewConversation() {
      // Answered with a `history` frame of the new, empty conversation.
      if (!this.connection.send({ type: "new_conversation" })) {
        this.notice.show("Not connected. Try again once the chat is back.");
      }
    }

    _startWorking(sender) {
      this.working = true;
      if (!this.transcript.isStreaming) this.typing.show(sender === "staff" ? "staff" : "bot");
      this._armWatch();
    }

    _stopWorking() {
      this.working = false;
      this.typing.hide();
      window.clearTimeout(this.watchTimer);
    }

    /** The typing indicator is never stuck: after replyTimeoutSeconds of silence it goes away. */
    _armWatch() {
      window.clearTimeout(this.watchTimer);
      this.watchTimer = window.setTimeout(() => this._replyTimedOut(), this.config.replyTimeoutSeconds * 1000);
    }

    _replyTimedOut() {
      this._stopWorking();
      this.transcript.stallStreams();
      if (!this.awaitingReply) return;
      // A fresh history shows a reply whose frames were lost, the typing indicator if it is still
      // being written, and resends the message if the server never got it.
      this.notice.show("The reply is taking longer than usual. Your message is saved.", {
        actionLabel: "Check again",
        onAction: () => this.connection.send({ type: "history" }),
      });
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function boot() {
    const config = JSON.parse(byId("chat-config").textContent);
    const app = new ChatApp({
      config,
      elements: {
        transcript: {
          log: byId("chat-log"),
          preview: byId("chat-preview"),
          scroller: byId("chat-scroll"),
          emptyState: byId("chat-empty"),
        },
        typing: { region: byId("chat-typing"), label: byId("chat-typing-label") },
        notice: {
          region: byId("chat-notice"),
          text: byId("chat-notice-text"),
          action: byId("chat-notice-action"),
          dismiss: byId("chat-notice-dismiss"),
        },
        status: { region: byId("chat-connection"), text: byId("chat-connection-text"), retry: byId("chat-reconnect") },
        composer: {
          form: byId("chat-composer"),
          input: byId("chat-input"),
          sendButton: byId("chat-send"),
          counter: byId("chat-counter"),
        },
        banner: byId("chat-banner"),
        history: {
          toggle: byId("chat-history-toggle"),
          panel: byId("chat-history"),
          note: byId("chat-history-note"),
          list: byId("chat-history-list"),
          startNew: byId("chat-history-new"),
          viewing: byId("chat-viewing"),
          viewingText: byId("chat-viewing-text"),
          back: byId("chat-viewing-back"),
          composer: byId("chat-composer"),
        },
        support: {
          escalate: byId("chat-escalate"),
          contact: {
            form: byId("chat-contact"),
            email: byId("chat-contact-email"),
            message: byId("chat-contact-message"),
            error: byId("chat-contact-error"),
          },
          rating: {
            form: byId("chat-csat"),
            title: byId("chat-csat-title"),
            caption: byId("chat-csat-caption"),
            comment: byId("chat-csat-comment"),
            error: byId("chat-csat-error"),
            dismiss: byId("chat-csat-dismiss"),
            thanks: byId("chat-csat-thanks"),
          },
        },
      },
    });
    app.start();
    if (window.parent !== window) connectToWidget(app);
    return app;
  }

  /** Inside the widget's iframe: Escape closes the panel, and the panel may ask us to take focus. */
  function connectToWidget(app) {
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") window.parent.postMessage({ type: "chatbot:close" }, "*");
    });
    window.addEventListener("message", (event) => {
      if (event.source === window.parent && event.data && event.data.type === "chatbot:focus") app.composer.focus();
    });
  }

  chat.ChatApp = ChatApp;
  chat.app = boot();
})((window.ChatbotChat = window.ChatbotChat || {}));
