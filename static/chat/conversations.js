/*
 * The customer's earlier conversations (docs/personalization.md): the "Your conversations" panel lists
 * them (the `conversations` frame), one can be read again in place of the current one (`transcript`),
 * and "New conversation" closes the current one (`new_conversation`). While an earlier conversation is
 * on screen the composer gives way to a bar that leads back; chat.js shows the messages and asks for
 * a fresh `history` to come back. All text goes in with textContent.
 */
(function (chat) {
  "use strict";

  const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const STATUS_NOTES = {
    bot: "open",
    waiting_for_staff: "waiting for our team",
    with_staff: "with our team",
    closed: "ended",
  };

  function formatWhen(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : when.format(date);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  class ConversationHistory {
    /**
     * send(frame) returns false when the socket is closed; onStartNew() starts a new conversation;
     * onBack() returns to the current conversation (chat.js asks for a fresh history).
     */
    constructor({ elements, send, onStartNew, onBack }) {
      Object.assign(this, { elements, send, onBack });
      this.viewing = null; // the id of the earlier conversation on screen
      elements.toggle.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
      elements.startNew.addEventListener("click", () => {
        this.close();
        onStartNew();
      });
      elements.back.addEventListener("click", () => onBack());
      elements.panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.stopPropagation(); // inside the widget, Escape otherwise closes the whole panel
          this.close();
        }
      });
    }

    get isOpen() {
      return !this.elements.panel.hidden;
    }

    get isViewing() {
      return this.viewing !== null;
    }

    open() {
      const { panel, toggle, note, list } = this.elements;
      list.replaceChildren();
      note.textContent = this.send({ type: "conversations" })
        ? "Loading your conversations…"
        : "Not connected. Your conversations appear once the chat is back.";
      panel.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      this.elements.startNew.focus();
    }

    close() {
      if (!this.isOpen) return;
      this.elements.panel.hidden = true;
      this.elements.toggle.setAttribute("aria-expanded", "false");
      this.elements.toggle.focus();
    }

    /** The `conversations` frame: newest first. */
    showList(conversations) {
      const { note, list } = this.elements;
      const rows = Array.isArray(conversations) ? conversations : [];
      list.replaceChildren(...rows.map((row) => this._item(row)));
      note.textContent = rows.length ? "" : "No conversations yet. Your questions will be listed here.";
    }

    /** The `transcript` frame arrived: show the bar that leads back (chat.js shows the messages). */
    startViewing(conversation, messages) {
      const { viewing, viewingText, composer } = this.elements;
      this.viewing = conversation.id;
      const first = messages.length ? formatWhen(messages[0].created) : "";
      viewingText.textContent = first
        ? `You are reading an earlier conversation, from ${first}.`
        : "You are reading an earlier conversation.";
      viewing.hidden = false;
      composer.hidden = true;
      this.close();
      this.elements.back.focus();
    }

    /** Back on the current conversation (a `history` frame came). */
    stopViewing() {
      if (!this.isViewing) return;
      this.viewing = null;
      this.elements.viewing.hidden = true;
      this.elements.composer.hidden = false;
    }

    _item(row) {
      const item = element("li", "chat__history-row");
      const button = element("button", "chat__history-item");
      button.type = "button";
      // A customer has at most one conversation that is not closed: the current one.
      const isCurrent = row.status !== "closed";
      if (isCurrent) button.setAttribute("aria-current", "true");
      const state = isCurrent ? "current conversation" : STATUS_NOTES[row.status] || "";
      const count = `${row.messages} message${row.messages === 1 ? "" : "s"}`;
      button.append(
        element("span", "chat__history-when", formatWhen(row.last_activity)),
        element("span", "chat__history-preview", row.preview || "(no question yet)"),
        element("span", "chat__history-meta", [count, state].filter(Boolean).join(" · ")),
      );
      button.addEventListener("click", () => {
        if (isCurrent) {
          this.close();
          this.onBack();
        } else {
          this.send({ type: "transcript", conversation: row.id });
        }
      });
      item.append(button);
      return item;
    }
  }

  chat.ConversationHistory = ConversationHistory;
})((window.ChatbotChat = window.ChatbotChat || {}));
