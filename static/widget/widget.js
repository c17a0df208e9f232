/*
 * The embeddable support widget. A company pastes one tag into its site (docs/widget.md):
 *
 *   <script src="https://SUPPORT-HOST/static/widget/widget.js"
 *           data-chatbot-host="https://SUPPORT-HOST" defer></script>
 *
 * It adds a floating launcher button that opens a panel holding an iframe to SUPPORT-HOST/embed/.
 * The launcher and the panel chrome live in a shadow root whose host resets every inherited
 * property, so the company's CSS cannot restyle them; the chat itself is a separate document in
 * the iframe. The iframe is created on first open, so visitors who never open the chat never
 * load it (nor get a support cookie).
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const DEFAULT_COLOUR = "#1d4ed8";
  const POSITIONS = ["bottom-right", "bottom-left"];

  function readOptions() {
    const data = script.dataset;
    let base;
    try {
      base = new URL(data.chatbotHost || script.src, document.baseURI);
    } catch (error) {
      base = null;
    }
    if (!base || !/^https?:$/.test(base.protocol)) {
      console.error("Support widget: data-chatbot-host must be an http(s) URL, got", data.chatbotHost);
      return null;
    }
    // The app may live under a path (https://example.com/support): keep it, add embed/ below it.
    if (data.chatbotHost) base.pathname = base.pathname.replace(/\/?$/, "/");
    else base.pathname = "/";
    const embedUrl = new URL("embed/", base);

    let position = data.position || "bottom-right";
    if (!POSITIONS.includes(position)) {
      console.warn(`Support widget: unknown data-position "${position}", using bottom-right`);
      position = "bottom-right";
    }
    const colourValue = data.colour || data.color || DEFAULT_COLOUR;
    const colour = CSS.supports("color", colourValue) ? colourValue : DEFAULT_COLOUR;
    if (colour !== colourValue) console.warn(`Support widget: "${colourValue}" is not a CSS colour`);
    const title = (data.title || "Chat with us").trim().slice(0, 60) || "Chat with us";
    return { embedUrl, position, colour, title };
  }

  /** Black or white, whichever reads better on `colour` (WCAG relative luminance). */
  function textColourOn(colour, probeParent) {
    const probe = document.createElement("span");
    probe.style.color = colour;
    probeParent.append(probe);
    const channels = getComputedStyle(probe).color.match(/[\d.]+/g).slice(0, 3).map(Number);
    probe.remove();
    const [r, g, b] = channels.map((value) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    const contrastWithWhite = 1.05 / (luminance + 0.05);
    const contrastWithBlack = (luminance + 0.05) / 0.05;
    return contrastWithWhite >= contrastWithBlack ? "#ffffff" : "#111827";
  }

  const STYLES = `
    :host {
      all: initial !important;
      position: fixed !important;
      bottom: 20px !important;
      z-index: 2147483000 !important;
      display: block !important;
      width: 0 !important;
      height: 0 !important;
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif !important;
      font-size: 16px !important;
      line-height: 1.4 !important;
      color: #0f172a !important;
    }
    :host([data-position="bottom-right"]) { right: 20px !important; }
    :host([data-position="bottom-left"]) { left: 20px !important; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    button { font: inherit; margin: 0; cursor: pointer; }
    button:focus-visible { outline: 3px solid #0f172a; outline-offset: 3px; box-shadow: 0 0 0 6px #ffffff; }
    .launcher {
      position: absolute; bottom: 0; display: grid; place-items: center;
      width: 60px; height: 60px; padding: 0; border: 0; border-radius: 50%;
      background: var(--accent); color: var(--on-accent);
      box-shadow: 0 8px 24px rgba(15, 23, 42, 0.28); transition: transform 0.15s ease;
    }
    .launcher:hover { transform: scale(1.06); }
    :host([data-position="bottom-right"]) .launcher, :host([data-position="bottom-right"]) .panel { right: 0; }
    :host([data-position="bottom-left"]) .launcher, :host([data-position="bottom-left"]) .panel { left: 0; }
    .launcher .icon-close { display: none; }
    .launcher[aria-expanded="true"] .icon-open { display: none; }
    .launcher[aria-expanded="true"] .icon-close { display: block; }
    .panel {
      position: absolute; bottom: 76px; display: flex; flex-direction: column;
      width: 380px; height: min(640px, calc(100vh - 120px));
      border-radius: 16px; overflow: hidden; background: #ffffff;
      box-shadow: 0 16px 48px rgba(15, 23, 42, 0.3);
    }
    .panel__header {
      display: flex; align-items: center; gap: 8px; padding: 12px 12px 12px 18px;
      background: var(--accent); color: var(--on-accent);
    }
    .panel__title { flex: 1; margin: 0; font-size: 16px; font-weight: 650; }
    .panel__close {
      display: grid; place-items: center; width: 36px; height: 36px; padding: 0;
      border: 0; border-radius: 8px; background: transparent; color: inherit;
    }
    .panel__close:hover { background: rgba(127, 127, 127, 0.25); }
    iframe { flex: 1; display: block; width: 100%; height: 100%; border: 0; background: #ffffff; }
    @media (max-width: 480px) {
      .panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; }
      .launcher[aria-expanded="true"] { display: none; }
    }
    @media (prefers-reduced-motion: reduce) { .launcher { transition: none; } }
  `;

  const CHAT_ICON =
    '<svg class="icon-open" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  const CLOSE_ICON =
    '<svg class="icon-close" viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">' +
    '<path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/></svg>';

  class SupportWidget {
    constructor(options) {
      this.options = options;
      this.iframe = null;
      this.host = document.createElement("chatbot-widget");
      this.host.dataset.position = options.position;
      this.root = this.host.attachShadow({ mode: "open" });
      this._build();
    }

    _build() {
      const style = document.createElement("style");
      style.textContent = STYLES;
      this.panel = document.createElement("div");
      this.panel.className = "panel";
      this.panel.id = "chatbot-panel";
      this.panel.hidden = true;
      this.panel.setAttribute("role", "dialog");
      this.panel.setAttribute("aria-label", this.options.title);
      const header = document.createElement("div");
      header.className = "panel__header";
      const heading = document.createElement("h2");
      heading.className = "panel__title";
      heading.textContent = this.options.title;
      const close = document.createElement("button");
      close.type = "button";
      close.className = "panel__close";
      close.setAttribute("aria-label", "Close chat");
      close.innerHTML = CLOSE_ICON.replace('class="icon-close" ', ""); // a constant, never user text
      close.addEventListener("click", () => this.close());
      header.append(heading, close);
      this.panel.append(header);

      this.launcher = document.createElement("button");
      this.launcher.type = "button";
      this.launcher.className = "launcher";
      this.launcher.setAttribute("aria-label", this.options.title);
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-controls", this.panel.id);
      this.launcher.innerHTML = CHAT_ICON + CLOSE_ICON; // constants, never user text
      this.launcher.addEventListener("click", () => this.toggle());

      // The colours go on an element inside the shadow root: no selector of the page can reach it.
      this.frame = document.createElement("div");
      this.frame.append(this.panel, this.launcher);
      this.root.append(style, this.frame);
      this.host.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && this.isOpen) this.close();
      });
      window.addEventListener("message", (event) => this._fromChat(event));
    }

    mount() {
      document.body.append(this.host);
      this.frame.style.setProperty("--accent", this.options.colour);
      this.frame.style.setProperty("--on-accent", textColourOn(this.options.colour, this.root));
    }

    get isOpen() {
      return !this.panel.hidden;
    }

    open() {
      if (!this.iframe) this._createIframe();
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      this._focusChat();
    }

    close() {
      if (!this.isOpen) return;
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.focus(); // give focus back to where the conversation was opened
    }

    toggle() {
      if (this.isOpen) this.close();
      else this.open();
    }

    _createIframe() {
      this.iframe = document.createElement("iframe");
      this.iframe.title = this.options.title;
      this.iframe.src = this.options.embedUrl.href;
      this.iframe.addEventListener("load", () => {
        if (this.isOpen) this._focusChat();
      });
      this.panel.append(this.iframe);
    }

    _focusChat() {
      this.iframe.focus();
      this.iframe.contentWindow?.postMessage({ type: "chatbot:focus" }, this.options.embedUrl.origin);
    }

    /** Escape pressed inside the chat's iframe arrives as a message from exactly that frame. */
    _fromChat(event) {
      if (!this.iframe || event.source !== this.iframe.contentWindow) return;
      if (event.origin !== this.options.embedUrl.origin) return;
      if (event.data && event.data.type === "chatbot:close") this.close();
    }
  }

  // No options to read (loaded as a module), or the tag pasted twice (even both in <head>).
  if (!script || window.ChatbotWidget) return;
  const options = readOptions();
  if (!options) return;
  const widget = new SupportWidget(options);
  const start = () => widget.mount();
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
  // A small API for pages that want their own "Contact us" button to open the chat.
  window.ChatbotWidget = { open: () => widget.open(), close: () => widget.close(), toggle: () => widget.toggle() };
})();
