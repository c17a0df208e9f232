/*
 * The open conversation: transcript (with the bot's intent and confidence, and internal notes in
 * line), typing, the model's suggested reply, the actions (claim, transfer, resolve, hand back), and
 * the right column (customer, contact details, timeline, earlier conversations).
 */
(function (support) {
  "use strict";

  const { element, clock } = support;
  const NEAR_BOTTOM_PX = 80;
  const STATUS_LABELS = {
    bot: "With the bot",
    waiting_for_staff: "Waiting for staff",
    with_staff: "With staff",
    closed: "Closed",
  };
  const SENDER_LABELS = { customer: "Customer", bot: "Bot", staff: "Staff", system: "Notice" };

  function percent(value) {
    return typeof value === "number" ? `${Math.round(value * 100)}%` : "–";
  }

  class ConversationView {
    /** actions: { claim(), transfer(userId), resolve(outcome), handBack(), useDraft(s), discardDraft(s), open(id) } */
    constructor({ elements, meId, actions }) {
      Object.assign(this, { elements, meId, actions });
      this.detail = null;
      this.suggestion = null;
      this.typingTimer = null;
      const { claim, transferButton, transferTo, resolveButton, resolveOutcome, handBack, draftUse, draftDiscard } = elements;
      claim.addEventListener("click", () => actions.claim());
      transferButton.addEventListener("click", () => transferTo.value && actions.transfer(Number(transferTo.value)));
      resolveButton.addEventListener("click", () => actions.resolve(resolveOutcome.value));
      handBack.addEventListener("click", () => actions.handBack());
      draftUse.addEventListener("click", () => this.suggestion && actions.useDraft(this.suggestion));
      draftDiscard.addEventListener("click", () => this.suggestion && actions.discardDraft(this.suggestion));
    }

    get id() {
      return this.detail ? this.detail.conversation.id : null;
    }

    get canAct() {
      return Boolean(this.detail && this.detail.can_act);
    }

    /** A `conversation` frame: render it whole. */
    show(detail, { staff, outcomes }) {
      const sameConversation = this.id === detail.conversation.id;
      this.detail = detail;
      const { empty, view, details } = this.elements;
      empty.hidden = true;
      view.hidden = false;
      details.hidden = false;
      this._header(detail);
      this._actions(detail, staff, outcomes);
      this._transcript(detail, sameConversation);
      this._details(detail);
      this.showSuggestion(detail.suggestion);
      this.elements.typing.textContent = "";
    }

    /** `message` and `note` frames for the open conversation. */
    append(kind, item) {
      if (!this.detail) return;
      const list = kind === "note" ? this.detail.notes : this.detail.messages;
      if (list.some((existing) => existing.id === item.id)) return;
      list.push(item);
      this._keepingScroll(() => this.elements.transcript.append(this._line(kind, item)));
      if (kind === "message" && item.sender === "customer") this.elements.typing.textContent = "";
    }

    /** A `typing` frame for the open conversation. */
    typing(frame) {
      const who = frame.sender === "customer" ? this._customerName() : frame.name || SENDER_LABELS[frame.sender];
      window.clearTimeout(this.typingTimer);
      this.elements.typing.textContent = frame.is_typing ? `${who} is typing…` : "";
      // A lost "stopped typing" must not leave the line up forever.
      if (frame.is_typing) this.typingTimer = window.setTimeout(() => (this.elements.typing.textContent = ""), 8000);
    }

    /** A `suggestion` frame (null: the draft was used or thrown away). */
    showSuggestion(suggestion) {
      this.suggestion = suggestion && this.canAct ? suggestion : null;
      const { draft, draftText, draftMeta } = this.elements;
      // The draft takes room from the transcript: keep its newest line in sight.
      this._keepingScroll(() => {
        draft.hidden = !this.suggestion;
        if (!this.suggestion) return;
        draftText.textContent = this.suggestion.text;
        const intent = this.suggestion.intent ? `intent ${this.suggestion.intent}, ` : "";
        draftMeta.textContent = `(${intent}${percent(this.suggestion.confidence)} confident)`;
      });
    }

    clear() {
      this.detail = null;
      this.elements.empty.hidden = false;
      this.elements.view.hidden = true;
      this.elements.details.hidden = true;
    }

    _customerName() {
      const customer = this.detail.conversation.customer;
      return customer.name || customer.email || customer.label || "The customer";
    }

    _header(detail) {
      const { heading, meta } = this.elements;
      heading.textContent = this._customerName();
      const parts = [STATUS_LABELS[detail.conversation.status] || detail.conversation.status];
      const escalation = detail.escalation;
      if (escalation) {
        parts.push(`${escalation.reason_label}${escalation.detail ? ` (${escalation.detail})` : ""}`);
        parts.push(`${escalation.priority_label} priority`);
        if (escalation.assignee) parts.push(`owner ${escalation.assignee.name}`);
      }
      if (detail.rating) parts.push(`rated ${detail.rating.rating}/5`);
      meta.textContent = parts.join(" · ");
    }

    _actions(detail, staff, outcomes) {
      const e = this.elements;
      e.claim.hidden = !detail.can_claim;
      e.ownerActions.hidden = !detail.can_act;
      e.composer.hidden = !detail.can_act;
      const owner = detail.escalation && detail.escalation.assignee;
      e.readonly.hidden = detail.can_act;
      e.readonly.textContent = detail.can_claim
        ? "Claim this conversation to answer the customer."
        : detail.conversation.status === "with_staff" && owner
          ? `${owner.name} is answering this customer. You can read along and add internal notes.`
          : "This conversation is not with staff; it is read-only here.";
      const ownerId = owner ? owner.id : null;
      const others = staff.filter((member) => member.id !== ownerId);
      e.transferTo.replaceChildren(
        ...others.map((member) => {
          const option = element("option", "", `${member.name} (${member.status})`);
          option.value = String(member.id);
          return option;
        }),
      );
      e.transferGroup.hidden = others.length === 0; // nobody else on the team
      if (!e.resolveOutcome.options.length) {
        e.resolveOutcome.replaceChildren(
          ...outcomes.map((outcome) => {
            const option = element("option", "", outcome.label);
            option.value = outcome.value;
            return option;
          }),
        );
      }
    }

    _transcript(detail, keepScroll) {
      const lines = [
        ...detail.messages.map((message) => ({ kind: "message", item: message })),
        ...detail.notes.map((note) => ({ kind: "note", item: note })),
      ].sort((a, b) => new Date(a.item.created) - new Date(b.item.created));
      const { scroll, transcript } = this.elements;
      const { scrollTop, scrollHeight, clientHeight } = scroll;
      const atBottom = scrollHeight - scrollTop - clientHeight < NEAR_BOTTOM_PX;
      transcript.replaceChildren(...lines.map(({ kind, item }) => this._line(kind, item)));
      // The same conversation again (its state changed): stay where the reader is, unless at the end.
      scroll.scrollTop = keepScroll && !atBottom ? scrollTop : scroll.scrollHeight;
    }

    _line(kind, item) {
      if (kind === "note") {
        const line = element("li", "line line--note");
        line.append(element("p", "line__who", `Internal note · ${item.author || "Staff"} · ${clock(item.created)}`));
        line.append(element("p", "line__text", item.text));
        return line;
      }
      const line = element("li", `line line--${SENDER_LABELS[item.sender] ? item.sender : "system"}`);
      const who = item.sender === "customer" ? this._customerName() : item.sender === "staff" ? item.author || "Staff" : SENDER_LABELS[item.sender];
      line.append(element("p", "line__who", `${who} · ${clock(item.created)}`));
      line.append(element("p", "line__text", item.text));
      if (item.sender === "bot") {
        const internals = [`intent ${item.intent || "unknown"} (${percent(item.intent_probability)})`, `${percent(item.confidence)} confident`];
        if (item.feedback) internals.push(item.feedback === "up" ? "customer: helpful" : "customer: not helpful");
        line.append(element("p", "line__internals", internals.join(" · ")));
      }
      return line;
    }

    _details(detail) {
      const e = this.elements;
      const customer = detail.conversation.customer;
      e.customer.replaceChildren(
        ...this._facts([
          ["Name", customer.name || "Not given"],
          ["E-mail", customer.email || "Not given"],
          ["First seen", new Date(customer.since).toLocaleDateString()],
          ["Started", new Date(detail.conversation.created).toLocaleString()],
        ]),
      );
      const contact = detail.escalation && detail.escalation.contact;
      e.contactSection.hidden = !contact;
      if (contact) {
        e.contact.replaceChildren(
          ...this._facts([
            ["Reply to", contact.email],
            ["Message", contact.message || "(none)"],
            ["Left at", clock(contact.left)],
          ]),
        );
      }
      e.timeline.replaceChildren(
        ...detail.events.map((event) => {
          const reason = event.reason_label || event.reason;
          const text = [event.label, event.actor ? `by ${event.actor}` : "", event.target ? `to ${event.target}` : "", reason ? `(${reason})` : ""];
          const item = element("li", "", text.filter(Boolean).join(" "));
          const time = element("time", "timeline__time", clock(event.created));
          time.dateTime = event.created;
          item.prepend(time);
          return item;
        }),
      );
      e.previous.replaceChildren(
        ...detail.previous.map((conversation) => {
          const item = element("li");
          const button = element("button", "link-button", `${new Date(conversation.created).toLocaleDateString()}: ${STATUS_LABELS[conversation.status]}, ${conversation.message_count} messages${conversation.rating ? `, rated ${conversation.rating}/5` : ""}`);
          button.type = "button";
          button.addEventListener("click", () => this.actions.open(conversation.id));
          item.append(button);
          return item;
        }),
      );
      e.previousEmpty.hidden = detail.previous.length > 0;
    }

    _facts(pairs) {
      return pairs.flatMap(([term, value]) => [element("dt", "", term), element("dd", "", value)]);
    }

    _keepingScroll(change) {
      const { scrollTop, scrollHeight, clientHeight } = this.elements.scroll;
      const atBottom = scrollHeight - scrollTop - clientHeight < NEAR_BOTTOM_PX;
      change();
      if (atBottom) this.elements.scroll.scrollTop = this.elements.scroll.scrollHeight;
    }
  }

  support.ConversationView = ConversationView;
})((window.SupportConsole = window.SupportConsole || {}));
