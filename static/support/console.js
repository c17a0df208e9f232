/*
 * The staff console: one socket to /ws/support/ (docs/protocol.md, "The staff socket"), reconnecting
 * by itself (static/chat/connection.js); the lists (lists.js), the open conversation
 * (conversation.js) and the composer (composer.js) wired to its frames.
 */
(function (support, chat) {
  "use strict";

  const byId = (id) => document.getElementById(id);

  class ConsoleApp {
    constructor(config) {
      this.config = config;
      this.staff = [];
      this.outcomes = [];
      this.noticeConversation = null;
      this.unconfirmed = new Map(); // client_id -> { conversation, text }: staff messages not yet stored
      this.lists = new support.ConversationLists({
        lists: {
          queue: { list: byId("queue-list"), empty: byId("queue-empty"), count: byId("queue-count") },
          mine: { list: byId("mine-list"), empty: byId("mine-empty"), count: byId("mine-count") },
          others: {
            list: byId("others-list"),
            empty: byId("others-empty"),
            count: byId("others-count"),
            section: byId("others-section"),
          },
        },
        team: byId("team-list"),
        baseTitle: document.title,
        onOpen: (id) => this.open(id),
      });
      this.alerts = new support.Alerts({ toggle: byId("alerts") });
      this.view = new support.ConversationView({
        meId: config.me.id,
        elements: {
          empty: byId("conversation-empty"),
          view: byId("conversation-view"),
          details: byId("details"),
          heading: byId("conversation-heading"),
          meta: byId("conversation-meta"),
          claim: byId("claim-button"),
          ownerActions: byId("owner-actions"),
          transferGroup: byId("transfer-group"),
          transferTo: byId("transfer-to"),
          transferButton: byId("transfer-button"),
          resolveOutcome: byId("resolve-outcome"),
          resolveButton: byId("resolve-button"),
          handBack: byId("hand-back-button"),
          scroll: byId("transcript-scroll"),
          transcript: byId("transcript"),
          typing: byId("conversation-typing"),
          draft: byId("draft"),
          draftText: byId("draft-text"),
          draftMeta: byId("draft-meta"),
          draftUse: byId("draft-use"),
          draftDiscard: byId("draft-discard"),
          composer: byId("composer"),
          readonly: byId("conversation-readonly"),
          customer: byId("customer-details"),
          contactSection: byId("contact-section"),
          contact: byId("contact-details"),
          timeline: byId("timeline"),
          previous: byId("previous"),
          previousEmpty: byId("previous-empty"),
        },
        actions: {
          claim: () => this.act({ type: "claim" }),
          transfer: (to) => this.act({ type: "transfer", to }),
          resolve: (outcome) => this.act({ type: "resolve", outcome }),
          handBack: () => this.act({ type: "hand_back" }),
          useDraft: (suggestion) => this.composer.useDraft(suggestion),
          discardDraft: (suggestion) => this.send({ type: "discard_suggestion", suggestion: suggestion.id }),
          open: (id) => this.open(id),
        },
      });
      this.composer = new support.StaffComposer({
        elements: {
          form: byId("composer"),
          input: byId("composer-input"),
          label: byId("composer-label"),
          list: byId("canned-list"),
          status: byId("canned-status"),
          counter: byId("composer-counter"),
          sendButton: byId("composer-send"),
        },
        maxMessageChars: config.maxMessageChars,
        maxNoteChars: config.maxNoteChars,
        onSend: ({ mode, text, suggestionId }) =>
          mode === "note" ? this.act({ type: "note", text }) : this.sendMessage(text, suggestionId),
        onTyping: (isTyping) => this.view.canAct && this.act({ type: "typing", is_typing: isTyping }),
      });
      this.notice = { region: byId("console-notice"), text: byId("console-notice-text"), open: byId("console-notice-open") };
      byId("console-notice-dismiss").addEventListener("click", () => (this.notice.region.hidden = true));
      this.notice.open.addEventListener("click", () => {
        this.notice.region.hidden = true;
        if (this.noticeConversation) this.open(this.noticeConversation);
      });
      this.presence = byId("presence");
      this.presence.addEventListener("change", () => this.send({ type: "presence", status: this.presence.value }));
      this.status = new chat.ConnectionStatus({
        region: byId("console-connection"),
        text: byId("console-connection-text"),
        retry: byId("console-reconnect"),
        onRetry: () => this.connection.reconnectNow(),
        texts: { connecting: "Connecting…", open: "Connected", offline: "You are offline." },
      });
      this.connection = new chat.ChatConnection({
        url: chat.socketUrl(config.wsPath),
        onFrame: (frame) => this.handleFrame(frame),
        onState: (state, detail) => this.status.show(state, detail),
        // Signed out elsewhere, or no longer staff: the sign-in page says what to do.
        onRefused: () => window.location.assign(`/support/login/?next=${encodeURIComponent("/support/")}`),
      });
    }

    start() {
      this.connection.start();
    }

    send(frame) {
      if (this.connection.send(frame)) return true;
      this.showNotice("Not connected. Your action was not sent; try again once the console is connected.");
      return false;
    }

    /** A frame about the open conversation. */
    act(frame) {
      if (!this.view.id) return false;
      return this.send({ ...frame, conversation: this.view.id });
    }

    /** Kept until the server echoes it stored: a refused message goes back into the composer. */
    sendMessage(text, suggestionId) {
      const clientId = chat.newClientId();
      const sent = this.act({ type: "message", client_id: clientId, text, suggestion: suggestionId });
      if (sent) this.unconfirmed.set(clientId, { conversation: this.view.id, text });
      return sent;
    }

    onError(frame) {
      const refused = frame.client_id && this.unconfirmed.get(frame.client_id);
      if (refused) {
        this.unconfirmed.delete(frame.client_id);
        if (refused.conversation === this.view.id) this.composer.restore(refused.text);
      }
      this.showNotice(frame.detail || "That did not work.");
    }

    open(conversationId) {
      if (conversationId !== this.view.id) this.composer.reset();
      this.lists.select(conversationId);
      this.send({ type: "open", conversation: conversationId });
    }

    handleFrame(frame) {
      const handlers = {
        console: () => this.onConsole(frame),
        queue: () => this.onLists(frame),
        staff: () => this.onStaff(frame.staff),
        conversation: () => this.onConversation(frame),
        message: () => this.onLive(frame, "message", frame.message),
        note: () => this.onLive(frame, "note", frame.note),
        typing: () => frame.conversation === this.view.id && this.view.typing(frame),
        suggestion: () => frame.conversation === this.view.id && this.view.showSuggestion(frame.suggestion),
        notice: () => this.showNotice(frame.detail, frame.conversation),
        error: () => this.onError(frame),
      };
      const handler = handlers[frame.type];
      if (handler) handler();
    }

    onConsole(frame) {
      this.outcomes = frame.outcomes || [];
      this.composer.setCanned(frame.canned);
      this.presence.value = "online";
      this.onStaff(frame.staff || []);
      this.onLists(frame);
      // After a reconnect, show the open conversation as it is now.
      if (this.view.id) this.send({ type: "open", conversation: this.view.id });
    }

    onLists(frame) {
      this.lists.show(frame);
      this.alerts.queueChanged(Array.isArray(frame.queue) ? frame.queue : []);
    }

    onStaff(staff) {
      this.staff = Array.isArray(staff) ? staff : [];
      this.lists.showTeam(this.staff, this.config.me.id);
    }

    onConversation(detail) {
      const opened = detail.conversation.id !== this.view.id;
      this.view.show(detail, { staff: this.staff, outcomes: this.outcomes });
      this.lists.select(detail.conversation.id);
      if (opened) byId("conversation").focus({ preventScroll: true });
    }

    onLive(frame, kind, item) {
      if (item.client_id) this.unconfirmed.delete(item.client_id);
      if (frame.conversation === this.view.id) this.view.append(kind, item);
      if (kind === "message" && item.sender !== "system") this.lists.messageArrived(frame.conversation, item);
    }

    showNotice(text, conversationId = null) {
      // Shown before the text changes: a live region that appears with its text is often not announced.
      this.notice.region.hidden = false;
      this.notice.text.textContent = text;
      this.noticeConversation = conversationId;
      this.notice.open.hidden = !conversationId;
    }
  }

  const app = new ConsoleApp(JSON.parse(byId("console-config").textContent));
  app.start();
  support.app = app;
})((window.SupportConsole = window.SupportConsole || {}), window.ChatbotChat);
