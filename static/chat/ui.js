/*
 * The small widgets around the transcript: the composer (textarea, counter, keys), the inline notice,
 * the typing indicator and the connection status line. They only touch their own elements.
 */
(function (chat) {
  "use strict";

  const COUNTER_FROM_FRACTION = 0.8; // the counter appears at 80 % of the limit
  const TYPING_REPEAT_MS = 3000;
  const TYPING_IDLE_MS = 4000;
  const numberFormat = new Intl.NumberFormat();

  /** Characters as the server counts them (code points: an emoji is one, not two). */
  function characterCount(text) {
    return [...text.trim()].length;
  }

  /**
   * "Is typing" for the other side: on at the first keystroke and repeated every few seconds while it
   * goes on, off after a pause, on sending, or on leaving the field. onChange(isTyping) sends it.
   */
  class TypingSignal {
    constructor(onChange) {
      this.onChange = onChange;
      this.since = 0;
      this.idleTimer = null;
    }

    typed() {
      const now = Date.now();
      if (now - this.since > TYPING_REPEAT_MS) {
        this.since = now;
        this.onChange(true);
      }
      window.clearTimeout(this.idleTimer);
      this.idleTimer = window.setTimeout(() => this.stop(), TYPING_IDLE_MS);
    }

    stop() {
      window.clearTimeout(this.idleTimer);
      if (this.since === 0) return;
      this.since = 0;
      this.onChange(false);
    }
  }

  class Composer {
    /** onSubmit(text) returns true when the message was taken (the field is then cleared). */
    constructor({ form, input, sendButton, counter, maxChars, onSubmit, onTypingChange }) {
      Object.assign(this, { form, input, sendButton, counter, maxChars, onSubmit });
      this.typingSignal = new TypingSignal(onTypingChange);
      input.addEventListener("input", () => this._changed());
      input.addEventListener("keydown", (event) => this._keydown(event));
      input.addEventListener("blur", () => this.typingSignal.stop());
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit();
      });
      this._changed();
    }

    submit() {
      const text = this.input.value.trim();
      if (!text || characterCount(text) > this.maxChars) return;
      this.typingSignal.stop();
      if (this.onSubmit(text)) {
        this.input.value = "";
        this._changed();
      }
      this.input.focus();
    }

    focus() {
      this.input.focus();
    }

    _keydown(event) {
      // Enter sends, Shift+Enter is a new line; Enter that confirms an IME composition is neither.
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      this.submit();
    }

    _changed() {
      this._resize();
      const count = characterCount(this.input.value);
      const over = count > this.maxChars;
      this.sendButton.disabled = count === 0 || over;
      this.input.setAttribute("aria-invalid", over ? "true" : "false");
      this.counter.hidden = count < this.maxChars * COUNTER_FROM_FRACTION;
      this.counter.classList.toggle("composer__counter--over", over);
      this.counter.textContent = over
        ? `${numberFormat.format(count - this.maxChars)} characters over the ` +
          `${numberFormat.format(this.maxChars)} limit`
        : `${numberFormat.format(count)} / ${numberFormat.format(this.maxChars)}`;
      if (count > 0) this.typingSignal.typed();
      else this.typingSignal.stop();
    }

    /** Grows the field with its content up to the CSS max-height, then it scrolls. */
    _resize() {
      this.input.style.height = "auto";
      this.input.style.height = `${this.input.scrollHeight}px`;
    }

  }

  /** A polite inline notice: one at a time, with an optional action and a dismiss button. */
  class Notice {
    constructor({ region, text, action, dismiss }) {
      Object.assign(this, { region, text, action, dismiss });
      this.onAction = null;
      action.addEventListener("click", () => {
        const onAction = this.onAction;
        this.clear();
        if (onAction) onAction();
      });
      dismiss.addEventListener("click", () => this.clear());
    }

    show(message, { actionLabel = "", onAction = null } = {}) {
      this.text.textContent = message;
      this.action.textContent = actionLabel;
      this.action.hidden = !onAction;
      this.onAction = onAction;
      this.region.classList.add("is-visible");
    }

    clear() {
      this.region.classList.remove("is-visible");
      this.text.textContent = "";
      this.onAction = null;
    }
  }

  /**
   * "The assistant is typing…". The status region stays in the DOM (a live region that appears
   * together with its text is often not announced); only its text and visibility change.
   */
  class TypingIndicator {
    constructor({ region, label, names }) {
      Object.assign(this, { region, label, names });
    }

    show(sender) {
      const text = `${this.names[sender] || this.names.bot} is typing…`;
      if (this.label.textContent !== text) this.label.textContent = text;
      this.region.classList.add("is-visible");
    }

    hide() {
      this.region.classList.remove("is-visible");
      this.label.textContent = "";
    }
  }

  const CONNECTION_TEXT = {
    connecting: "Connecting…",
    open: "Online",
    offline: "You are offline. Messages will be sent when the connection is back.",
  };

  class ConnectionStatus {
    /** texts: what "connecting", "open" and "offline" read as (the chat's by default). */
    constructor({ region, text, retry, onRetry, texts = CONNECTION_TEXT }) {
      Object.assign(this, { region, text, retry, texts });
      retry.addEventListener("click", onRetry);
    }

    show(state, { delayMs = 0 } = {}) {
      this.region.dataset.state = state;
      this.retry.hidden = state !== "waiting";
      this.text.textContent =
        state === "waiting"
          ? `Connection lost. Reconnecting in ${Math.max(1, Math.round(delayMs / 1000))} s…`
          : this.texts[state];
    }
  }

  chat.characterCount = characterCount;
  chat.TypingSignal = TypingSignal;
  chat.Composer = Composer;
  chat.Notice = Notice;
  chat.TypingIndicator = TypingIndicator;
  chat.ConnectionStatus = ConnectionStatus;
})((window.ChatbotChat = window.ChatbotChat || {}));
