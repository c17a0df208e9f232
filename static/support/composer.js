/*
 * The staff composer: a reply to the customer or an internal note, canned responses ("/" and a
 * shortcut, or arrow keys in the list), the model's draft taken over for editing, and typing signals.
 *
 * Keys: Enter sends, Shift+Enter adds a line; in the canned list ↑/↓ choose, Enter or Tab insert,
 * Escape closes; Alt+N switches to a note, Alt+R to a reply.
 */
(function (support, chat) {
  "use strict";

  const { element } = support;
  const CANNED_QUERY = /^\/([\w-]*)$/;

  class StaffComposer {
    /**
     * onSend({mode, text, suggestionId}) returns true when the frame went out;
     * onTyping(isTyping) for replies only (notes are not the customer's business).
     */
    constructor({ elements, maxMessageChars, maxNoteChars, onSend, onTyping }) {
      Object.assign(this, { elements, maxMessageChars, maxNoteChars, onSend });
      this.typingSignal = new chat.TypingSignal(onTyping);
      this.canned = [];
      this.matches = [];
      this.active = -1;
      this.suggestionId = null; // the draft the reply box was started from
      const { form, input } = elements;
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.send();
      });
      form.addEventListener("change", (event) => event.target.name === "mode" && this._modeChanged());
      input.addEventListener("input", () => this._changed());
      input.addEventListener("keydown", (event) => this._keydown(event));
      input.addEventListener("blur", () => {
        this.typingSignal.stop();
        window.setTimeout(() => this._closeCanned(), 150); // after a click on an option
      });
      this._modeChanged();
    }

    get mode() {
      return this.elements.form.querySelector("input[name=mode]:checked").value;
    }

    setCanned(canned) {
      this.canned = Array.isArray(canned) ? canned : [];
    }

    /** Start a reply from the model's draft; sending it records whether it was edited. */
    useDraft(suggestion) {
      this.setMode("reply");
      this.suggestionId = suggestion.id;
      this.elements.input.value = suggestion.text;
      this._changed();
      this.focus();
      this.elements.input.setSelectionRange(suggestion.text.length, suggestion.text.length);
    }

    /** A reply the server could not store: back in the box to send again, unless something new is there. */
    restore(text) {
      if (this.elements.input.value.trim()) return;
      this.setMode("reply");
      this.elements.input.value = text;
      this._changed();
    }

    /** Another conversation was opened: start empty. */
    reset() {
      this.typingSignal.stop();
      this.suggestionId = null;
      this.elements.input.value = "";
      this.setMode("reply");
      this._changed();
    }

    setMode(mode) {
      this.elements.form.querySelector(`input[name=mode][value=${mode}]`).checked = true;
      this._modeChanged();
    }

    focus() {
      this.elements.input.focus();
    }

    send() {
      const text = this.elements.input.value.trim();
      const limit = this.mode === "note" ? this.maxNoteChars : this.maxMessageChars;
      if (!text || chat.characterCount(text) > limit) return;
      this.typingSignal.stop();
      const suggestionId = this.mode === "reply" ? this.suggestionId : null;
      if (!this.onSend({ mode: this.mode, text, suggestionId })) return;
      this.elements.input.value = "";
      if (this.mode === "reply") this.suggestionId = null;
      this._changed();
      this.focus();
    }

    _modeChanged() {
      const note = this.mode === "note";
      const { form, label, input, sendButton } = this.elements;
      form.classList.toggle("staff-composer--note", note);
      label.textContent = note ? "Internal note, seen only by staff" : "Reply to the customer";
      input.placeholder = note ? "Write an internal note (the customer never sees it)…" : "Write to the customer… (/ for canned responses)";
      sendButton.textContent = note ? "Add note" : "Send";
      if (note) this.typingSignal.stop();
      this._changed();
    }

    _changed() {
      const { input, counter, sendButton } = this.elements;
      const count = chat.characterCount(input.value);
      const limit = this.mode === "note" ? this.maxNoteChars : this.maxMessageChars;
      sendButton.disabled = count === 0 || count > limit;
      input.setAttribute("aria-invalid", count > limit ? "true" : "false");
      counter.textContent = count > limit * 0.8 ? `${count} / ${limit}` : "";
      this._updateCanned();
      if (this.mode === "reply" && count > 0) this.typingSignal.typed();
      else this.typingSignal.stop();
    }

    _keydown(event) {
      // event.code: on a Mac, Alt+N types a character, but the key is still KeyN.
      if (event.altKey && (event.code === "KeyN" || event.code === "KeyR")) {
        event.preventDefault();
        this.setMode(event.code === "KeyN" ? "note" : "reply");
        return;
      }
      if (!this.elements.list.hidden) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          this._highlight(this.active + (event.key === "ArrowDown" ? 1 : -1));
          return;
        }
        if ((event.key === "Enter" || event.key === "Tab") && this.active >= 0) {
          event.preventDefault();
          this._insert(this.matches[this.active]);
          return;
        }
        if (event.key === "Escape") {
          event.preventDefault();
          this._closeCanned();
          return;
        }
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        this.send();
      }
    }

    _updateCanned() {
      const match = CANNED_QUERY.exec(this.elements.input.value);
      if (!match || !this.canned.length) {
        this._closeCanned();
        return;
      }
      const query = match[1].toLowerCase();
      this.matches = this.canned.filter(
        (canned) => canned.shortcut.startsWith(query) || canned.title.toLowerCase().includes(query),
      );
      const { list, status } = this.elements;
      list.replaceChildren(
        ...this.matches.map((canned, index) => {
          const option = element("li", "canned__option");
          option.id = `canned-option-${index}`;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.append(element("span", "canned__shortcut", `/${canned.shortcut}`));
          option.append(element("span", "canned__title", canned.title));
          option.addEventListener("mousedown", (event) => {
            event.preventDefault(); // keep the focus in the text field
            this._insert(canned);
          });
          return option;
        }),
      );
      list.hidden = this.matches.length === 0;
      status.textContent = this.matches.length
        ? `${this.matches.length} canned response${this.matches.length === 1 ? "" : "s"}; arrow keys to choose, Enter to insert.`
        : "No canned response matches.";
      this._highlight(this.matches.length ? 0 : -1);
    }

    _highlight(index) {
      const options = [...this.elements.list.children];
      if (!options.length) return;
      this.active = (index + options.length) % options.length;
      options.forEach((option, i) => option.setAttribute("aria-selected", i === this.active ? "true" : "false"));
      this.elements.input.setAttribute("aria-activedescendant", options[this.active].id);
      options[this.active].scrollIntoView({ block: "nearest" });
    }

    _insert(canned) {
      this.elements.input.value = canned.text;
      this._closeCanned();
      this._changed();
      this.elements.status.textContent = `Inserted “${canned.title}”.`;
    }

    _closeCanned() {
      this.elements.list.hidden = true;
      this.elements.list.replaceChildren();
      this.elements.input.removeAttribute("aria-activedescendant");
      this.matches = [];
      this.active = -1;
    }

  }

  support.StaffComposer = StaffComposer;
})((window.SupportConsole = window.SupportConsole || {}), window.ChatbotChat);
