/*
 * The customer's side of a hand-over to staff (docs/support.md): the "Talk to a person" button, the
 * form for contact details when nobody can answer at once, and the rating after staff resolved the
 * conversation. chat.js feeds it the conversation's status and SUPPORT object (docs/protocol.md).
 */
(function (chat) {
  "use strict";

  // Conversations whose rating the customer declined ("No thanks"): not asked again after a reload.
  const DECLINED_KEY = "chatbot.csat-declined.v1";
  // Errors that belong to a form rather than to the chat's notice line.
  const CONTACT_ERRORS = new Set(["invalid_email", "not_waiting"]);
  const RATING_ERRORS = new Set(["not_rateable", "already_rated"]);
  const FIELD_ERRORS = new Set(["invalid_field", "message_too_long", "empty_message"]);

  class SupportPanel {
    /**
     * send(frame) returns false when the socket is closed; showNotice(text) uses the chat's notice;
     * keepingNewest(change) makes a change that resizes the transcript keep its newest line in sight.
     */
    constructor({ elements, config, send, showNotice, keepingNewest }) {
      Object.assign(this, { elements, send, showNotice, keepingNewest });
      this.enabled = Boolean(config.talkToPerson);
      this.status = "bot";
      this.pendingForm = null; // "contact" | "rating": which form the next error belongs to
      this.ratingFor = null; // the conversation id the rating form is about
      const { escalate, contact, rating } = elements;
      escalate.addEventListener("click", () => this.requestPerson());
      contact.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendContact();
      });
      rating.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendRating();
      });
      rating.form.addEventListener("change", () => this._showStars());
      rating.dismiss.addEventListener("click", () => {
        this._remember(this.ratingFor);
        this._hideRating();
      });
      this.update("bot", null);
    }

    requestPerson() {
      if (!this.send({ type: "escalate" })) {
        this.showNotice("You are offline. Try again when the connection is back.");
        return;
      }
      this.elements.escalate.disabled = true; // until the status frame says where we stand
    }

    /** Whether "Talk to a person" is on offer now: switched on, and the bot (or nobody) has the chat. */
    canRequestPerson() {
      return this.enabled && (this.status === "bot" || this.status === "closed");
    }

    /** The conversation's status and SUPPORT (null while the bot answers) changed. */
    update(status, support) {
      this.status = status;
      const { escalate, contact } = this.elements;
      escalate.hidden = !this.canRequestPerson();
      escalate.disabled = false;
      const askForContact =
        status === "waiting_for_staff" && support && !support.staff_available && !support.contact_left;
      if (contact.form.hidden === askForContact) this.keepingNewest(() => (contact.form.hidden = !askForContact));
      if (!askForContact) this._clearError(contact.error);
      if (status !== "closed" && status !== "bot") this._hideRating();
    }

    sendContact() {
      const { email, message, error } = this.elements.contact;
      const address = email.value.trim();
      if (!address || !email.checkValidity()) {
        this._fieldError(email, error, "Please enter a valid e-mail address, like name@example.com.");
        email.focus();
        return;
      }
      this._clearError(error, email);
      this.pendingForm = "contact";
      if (!this.send({ type: "contact", email: address, message: message.value.trim() })) {
        this._fieldError(null, error, "You are offline. Your details will need to be sent again.");
      }
    }

    /** A `csat_request` frame: ask how it went. */
    askRating(frame) {
      if (typeof frame.conversation !== "string" || this._declined().includes(frame.conversation)) return;
      const { form, title, error, thanks } = this.elements.rating;
      this.ratingFor = frame.conversation;
      title.textContent = frame.staff_name ? `How did ${frame.staff_name} do?` : "How did we do?";
      form.reset();
      this._showStars();
      this._clearError(error);
      thanks.textContent = "";
      this.keepingNewest(() => (form.hidden = false));
    }

    sendRating() {
      const { form, comment, error } = this.elements.rating;
      const chosen = form.querySelector("input[name=rating]:checked");
      if (!chosen) {
        this._fieldError(null, error, "Please choose from 1 to 5 stars.");
        form.querySelector("input[name=rating]").focus();
        return;
      }
      this.pendingForm = "rating";
      const frame = { type: "csat", conversation: this.ratingFor, rating: Number(chosen.value), comment: comment.value.trim() };
      if (!this.send(frame)) this._fieldError(null, error, "You are offline. Please try again in a moment.");
    }

    /** A `csat_recorded` frame. */
    ratingRecorded() {
      this.pendingForm = null;
      this.keepingNewest(() => {
        this._hideRating();
        this.elements.rating.thanks.textContent = "Thank you for your feedback!";
      });
    }

    /** An `error` frame: true when it was about one of our forms (shown there, not as a notice). */
    handleError(frame) {
      if (frame.code === "escalation_disabled") {
        this.enabled = false; // an admin switched it off since the page loaded
        this.update(this.status, null);
        return false; // the notice says so
      }
      const form = CONTACT_ERRORS.has(frame.code)
        ? "contact"
        : RATING_ERRORS.has(frame.code)
          ? "rating"
          : FIELD_ERRORS.has(frame.code) && !frame.client_id
            ? this.pendingForm
            : null;
      if (!form) return false;
      this.pendingForm = null;
      const target = form === "contact" ? this.elements.contact : this.elements.rating;
      this._fieldError(form === "contact" ? target.email : null, target.error, frame.detail || "Please check and try again.");
      if (frame.code === "already_rated") window.setTimeout(() => this._hideRating(), 2500);
      return true;
    }

    _hideRating() {
      this.elements.rating.form.hidden = true;
    }

    _declined() {
      try {
        const stored = JSON.parse(window.localStorage.getItem(DECLINED_KEY) || "[]");
        return Array.isArray(stored) ? stored : [];
      } catch (error) {
        return []; // storage blocked (some third-party iframes) or unreadable: ask again, harmlessly
      }
    }

    _remember(conversationId) {
      if (!conversationId) return;
      try {
        const kept = [...this._declined().filter((id) => id !== conversationId), conversationId].slice(-20);
        window.localStorage.setItem(DECLINED_KEY, JSON.stringify(kept));
      } catch (error) {
        // Not remembered: the next reload asks once more.
      }
    }

    _showStars() {
      const { form, caption } = this.elements.rating;
      const chosen = form.querySelector("input[name=rating]:checked");
      const value = chosen ? Number(chosen.value) : 0;
      for (const star of form.querySelectorAll(".rating__star")) {
        const input = form.querySelector(`#${star.htmlFor}`);
        star.classList.toggle("is-lit", Number(input.value) <= value);
      }
      caption.textContent = chosen ? form.querySelector(`label[for="${chosen.id}"]`).dataset.caption : "";
    }

    _fieldError(input, region, text) {
      region.textContent = text;
      if (input) input.setAttribute("aria-invalid", "true");
    }

    _clearError(region, input) {
      region.textContent = "";
      if (input) input.removeAttribute("aria-invalid");
    }
  }

  chat.SupportPanel = SupportPanel;
})((window.ChatbotChat = window.ChatbotChat || {}));
