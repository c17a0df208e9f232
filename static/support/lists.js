/*
 * The console's left column: the queue, "Mine", colleagues' conversations (admins) and the team's
 * presence; the count of waiting conversations in the page title; the opt-in sound and browser
 * notification for a new escalation. Everything shown is inserted with textContent.
 */
(function (support) {
  "use strict";

  const ALERTS_KEY = "support.alerts.v1";
  const WAIT_REFRESH_MS = 15000;
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /** "just now", "4 min", "1 h 05 min": how long since `iso`. */
  function since(iso, now = Date.now()) {
    const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  }

  function clock(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
  }

  function previewText(message) {
    return `${message.sender === "customer" ? "" : `${message.sender}: `}${message.text}`;
  }

  function customerName(card) {
    return card.customer.name || card.customer.email || card.customer.label || "Customer";
  }

  class ConversationLists {
    /** onOpen(conversationId) opens a conversation in the middle column. */
    constructor({ lists, team, baseTitle, onOpen }) {
      Object.assign(this, { lists, team, baseTitle, onOpen });
      this.current = null;
      this.waitTimer = window.setInterval(() => this._refreshWaits(), WAIT_REFRESH_MS);
    }

    /** `console` and `queue` frames: {queue, mine, others (null unless admin)}. */
    show(frame) {
      for (const name of ["queue", "mine", "others"]) {
        const { list, empty, count, section } = this.lists[name];
        const cards = Array.isArray(frame[name]) ? frame[name] : [];
        if (section) section.hidden = !Array.isArray(frame[name]);
        list.replaceChildren(...cards.map((card) => this._card(card, name)));
        empty.hidden = cards.length > 0;
        count.textContent = String(cards.length);
      }
      const waiting = Array.isArray(frame.queue) ? frame.queue.length : 0;
      document.title = waiting ? `(${waiting}) ${this.baseTitle}` : this.baseTitle;
    }

    /** Marks the card of the conversation open in the middle column. */
    select(conversationId) {
      this.current = conversationId;
      for (const button of document.querySelectorAll(".card__open")) {
        const isCurrent = button.dataset.conversation === conversationId;
        if (isCurrent) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
    }

    /** A message arrived in a listed conversation: its preview follows, and if it is not open, it is marked. */
    messageArrived(conversationId, message) {
      for (const button of document.querySelectorAll(`.card__open[data-conversation="${CSS.escape(conversationId)}"]`)) {
        const preview = button.querySelector(".card__preview") || button.appendChild(element("span", "card__preview"));
        preview.textContent = previewText(message);
        if (conversationId === this.current || message.sender !== "customer") continue;
        button.closest(".card").classList.add("card--unread");
        if (!button.querySelector(".card__unread")) button.append(element("span", "card__unread", "New message"));
      }
    }

    /** `console` and `staff` frames: who is online. */
    showTeam(staff, meId) {
      this.team.replaceChildren(
        ...staff.map((member) => {
          const item = element("li", `team__member team__member--${member.status}`);
          item.append(element("span", "dot", ""));
          item.firstChild.setAttribute("aria-hidden", "true");
          item.append(element("span", "team__name", member.id === meId ? `${member.name} (you)` : member.name));
          item.append(element("span", "team__status", { online: "Online", away: "Away", offline: "Offline" }[member.status] || ""));
          return item;
        }),
      );
    }

    _card(card, list) {
      const item = element("li", `card card--priority-${card.priority}`);
      const button = element("button", "card__open");
      button.type = "button";
      button.dataset.conversation = card.conversation;
      if (card.conversation === this.current) button.setAttribute("aria-current", "true");
      const top = element("span", "card__top");
      top.append(element("span", "card__name", customerName(card)));
      const wait = element("span", "card__wait", "");
      wait.dataset.since = list === "queue" ? card.escalated : card.claimed || card.escalated;
      wait.dataset.prefix = list === "queue" ? "waiting" : "open";
      top.append(wait);
      button.append(top);
      const reason = element("span", "card__reason", `${card.reason_label} · ${card.priority_label} priority`);
      button.append(reason);
      if (card.assignee && list === "others") button.append(element("span", "card__assignee", `With ${card.assignee.name}`));
      if (card.contact) button.append(element("span", "card__contact", `Left an address: ${card.contact.email}`));
      const last = card.last_messages[card.last_messages.length - 1];
      if (last) button.append(element("span", "card__preview", previewText(last)));
      if (card.earlier_conversations) {
        const count = card.earlier_conversations;
        button.append(element("span", "card__history", `${count} earlier conversation${count === 1 ? "" : "s"}`));
      }
      button.addEventListener("click", () => this.onOpen(card.conversation));
      item.append(button);
      this._setWait(wait);
      return item;
    }

    _setWait(node) {
      node.textContent = `${node.dataset.prefix} ${since(node.dataset.since)}`;
      node.title = `Since ${clock(node.dataset.since)}`;
    }

    _refreshWaits() {
      for (const node of document.querySelectorAll(".card__wait")) this._setWait(node);
    }
  }

  /** The opt-in cue for a new escalation: a short tone (Web Audio, no file) and a browser notification. */
  class Alerts {
    constructor({ toggle }) {
      this.toggle = toggle;
      this.seen = null; // conversation ids in the queue; null until the first queue is known
      this.audio = null;
      toggle.checked = window.localStorage?.getItem(ALERTS_KEY) === "on";
      toggle.addEventListener("change", () => this._changed());
    }

    /** Called with every queue: cues once for each conversation that was not there before. */
    queueChanged(queue) {
      const ids = new Set(queue.map((card) => card.conversation));
      const fresh = this.seen === null ? [] : queue.filter((card) => !this.seen.has(card.conversation));
      this.seen = ids;
      if (!fresh.length || !this.toggle.checked) return;
      this._beep();
      if ("Notification" in window && Notification.permission === "granted") {
        const card = fresh[0];
        const body = `${customerName(card)}: ${card.reason_label}`;
        new Notification(fresh.length === 1 ? "New conversation waiting" : `${fresh.length} new conversations waiting`, {
          body,
          tag: "support-queue",
        });
      }
    }

    _changed() {
      try {
        window.localStorage?.setItem(ALERTS_KEY, this.toggle.checked ? "on" : "off");
      } catch (error) {
        // Private mode: the choice lasts for this page only.
      }
      if (this.toggle.checked && "Notification" in window && Notification.permission === "default") {
        Notification.requestPermission();
      }
      if (this.toggle.checked) this._beep(); // a user gesture: unlocks audio, and lets them hear it
    }

    _beep() {
      try {
        this.audio = this.audio || new (window.AudioContext || window.webkitAudioContext)();
        const oscillator = this.audio.createOscillator();
        const gain = this.audio.createGain();
        oscillator.frequency.value = 880;
        gain.gain.setValueAtTime(0.15, this.audio.currentTime);
        gain.gain.exponentialRampToValueAtTime(0.001, this.audio.currentTime + 0.35);
        oscillator.connect(gain).connect(this.audio.destination);
        oscillator.start();
        oscillator.stop(this.audio.currentTime + 0.35);
      } catch (error) {
        // No audio device: the notification (if allowed) and the title count remain.
      }
    }
  }

  support.element = element;
  support.since = since;
  support.clock = clock;
  support.ConversationLists = ConversationLists;
  support.Alerts = Alerts;
})((window.SupportConsole = window.SupportConsole || {}));
