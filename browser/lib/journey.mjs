// The keyboard-only visitor a journey drives. Every action is a key press (Tab,
// Shift+Tab, Enter, Space, arrows, typing); there are no mouse clicks. Opening a URL is
// allowed only to start a journey or to follow a link from an e-mail. Every page that is
// shown is scanned with axe-core (WCAG 2.1 A/AA) and must have no violations; focus must be
// visible on every element reached with Tab; no console errors, CSP violations or 5xx.
import { axeScan, formatViolations } from "./axe.mjs";

const NAV_TIMEOUT = 15_000;

export class Visitor {
  /**
   * @param {import('playwright-core').BrowserContext} context
   * @param {import('playwright-core').Page} page
   * @param {string} base
   * @param {{ problems: string[], pages: string[], label: string }} record
   */
  constructor(context, page, base, record) {
    this.context = context;
    this.page = page;
    this.base = base;
    this.record = record;
    this.docId = 0;
    this.scannedDoc = -1;
    page.on("console", (msg) => {
      // Failed loads are judged below from the responses themselves (a 422 page is fine).
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        this.problem(`console error on ${page.url()}: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => this.problem(`script error on ${page.url()}: ${err.message}`));
    page.on("response", (resp) => {
      const isPage = resp.request().resourceType() === "document";
      if (resp.status() >= 500 || (!isPage && resp.status() >= 400)) {
        this.problem(`${resp.status()} for ${resp.request().resourceType()} ${resp.url()}`);
      }
    });
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) this.docId += 1;
    });
  }

  problem(text) {
    this.record.problems.push(`[${this.record.label}] ${text}`);
  }

  /** The path of the current page. */
  path() {
    const u = new URL(this.page.url());
    return u.pathname + u.search;
  }

  // ---------- navigation that is not a key press ----------

  /** Open a URL (start of a journey, or a link from an e-mail). */
  async open(pathOrUrl) {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : this.base + pathOrUrl;
    const resp = await this.page.goto(url, { waitUntil: "load", timeout: NAV_TIMEOUT });
    await this.scan();
    return resp;
  }

  // ---------- finding things ----------

  /**
   * A target: "text" (a link or button with that accessible name), or an object
   * { role, name, exact = true, nth } for page.getByRole, or { label, nth } for a form field.
   */
  locate(target) {
    if (typeof target === "string") {
      return this.page.getByRole("link", { name: target, exact: true }).or(
        this.page.getByRole("button", { name: target, exact: true }),
      );
    }
    if (target.label) return this.page.getByLabel(target.label, { exact: target.exact ?? true });
    return this.page.getByRole(target.role, { name: target.name, exact: target.exact ?? true });
  }

  describe(target) {
    if (typeof target === "string") return `"${target}"`;
    if (target.label) return `field "${target.label}"${target.nth ? ` #${target.nth + 1}` : ""}`;
    return `${target.role} "${target.name}"${target.nth ? ` #${target.nth + 1}` : ""}`;
  }

  async describeFocus() {
    return this.page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return "(page)";
      const name = (el.getAttribute("aria-label") || el.innerText || el.value || el.id || "").trim().slice(0, 40);
      return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${name}"`;
    });
  }

  async isFocused(target) {
    const nth = typeof target === "object" && target.nth != null ? target.nth : null;
    return this.locate(target).evaluateAll(
      (els, n) => (n == null ? els.includes(document.activeElement) : els[n] === document.activeElement),
      nth,
    );
  }

  /** Press Tab (or Shift+Tab) until `target` has focus. Fails with the focus stops seen. */
  async tabTo(target, { max = 150, backwards = false } = {}) {
    const count = await this.locate(target).count();
    if (count === 0) {
      throw new Error(`no ${this.describe(target)} on ${this.path()}`);
    }
    if (await this.isFocused(target)) return;
    const stops = [];
    for (let i = 0; i < max; i++) {
      await this.page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
      if (await this.isFocused(target)) {
        await this.checkFocusVisible();
        return;
      }
      stops.push(await this.describeFocus());
    }
    throw new Error(
      `could not reach ${this.describe(target)} with ${backwards ? "Shift+Tab" : "Tab"} on ${this.path()}; ` +
        `focus went: ${stops.slice(0, 60).join(" → ")}`,
    );
  }

  /** WCAG 2.4.7: the focused element shows where the focus is. */
  async checkFocusVisible() {
    const info = await this.page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
      const shadow = s.boxShadow && s.boxShadow !== "none";
      return {
        visible: outline || shadow,
        size: r.width > 0 && r.height > 0,
        what: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${(el.innerText || el.value || "").trim().slice(0, 30)}"`,
      };
    });
    if (info && !info.visible) this.problem(`no visible focus indicator on ${info.what} at ${this.path()}`);
    if (info && !info.size) this.problem(`focused element has no size: ${info.what} at ${this.path()}`);
  }

  // ---------- actions ----------

  /** Press a key; when `navigates`, wait for the next page and scan it. */
  async press(key, { navigates = false } = {}) {
    if (!navigates) {
      await this.page.keyboard.press(key);
      return;
    }
    const before = this.docId;
    const nav = this.page.waitForEvent("framenavigated", {
      predicate: (f) => f === this.page.mainFrame(),
      timeout: NAV_TIMEOUT,
    });
    await this.page.keyboard.press(key);
    await nav.catch(() => {
      if (this.docId === before) throw new Error(`pressing ${key} on ${this.path()} did not open a page`);
    });
    await this.page.waitForLoadState("load", { timeout: NAV_TIMEOUT });
    await this.scan();
  }

  /** Tab to a link and press Enter: the next page opens. */
  async follow(linkName, opts = {}) {
    const target = typeof linkName === "string" ? { role: "link", name: linkName, ...opts } : linkName;
    await this.tabTo(target, opts);
    await this.press("Enter", { navigates: true });
  }

  /** Tab to a button and press Enter (submits its form): the next page opens. */
  async submit(buttonName, opts = {}) {
    await this.tabTo({ role: "button", name: buttonName, ...opts }, opts);
    await this.press("Enter", { navigates: true });
  }

  /** Tab to a text field, select what is in it, and type `text`. */
  async fill(label, text, opts = {}) {
    await this.tabTo({ label, ...opts }, opts);
    await this.page.keyboard.press("ControlOrMeta+A");
    await this.page.keyboard.press("Delete");
    if (text) await this.page.keyboard.type(text);
  }

  /** Tab to a checkbox and press Space so that it ends up `checked`. */
  async check(label, checked = true, opts = {}) {
    const target = { role: "checkbox", name: label, ...opts };
    await this.tabTo(target, opts);
    const loc = this.locate(target).nth(opts.nth ?? 0);
    if ((await loc.isChecked()) !== checked) await this.page.keyboard.press("Space");
    if ((await loc.isChecked()) !== checked) throw new Error(`Space did not toggle checkbox "${label}"`);
  }

  /** Tab to a drop-down list and move with the arrow keys to the option `optionText`. */
  async select(label, optionText, opts = {}) {
    await this.tabTo({ label, ...opts }, opts);
    const loc = this.locate({ label, ...opts }).nth(opts.nth ?? 0);
    const current = () => loc.evaluate((el) => el.options[el.selectedIndex]?.text.trim());
    const total = await loc.evaluate((el) => el.options.length);
    for (const key of ["ArrowDown", "ArrowUp"]) {
      for (let i = 0; i <= total; i++) {
        if ((await current()) === optionText) return;
        await this.page.keyboard.press(key);
      }
    }
    throw new Error(`could not choose "${optionText}" in "${label}" with the arrow keys`);
  }

  /** Tab into a radio group and move with the arrow keys to the option `label`. */
  async choose(label, opts = {}) {
    const target = { role: "radio", name: label, ...opts };
    const group = this.page.getByRole("radio");
    // Tab reaches the checked radio of the group; the arrows move (and select).
    for (let i = 0; i < 150; i++) {
      const onRadio = await group.evaluateAll((els) => els.includes(document.activeElement));
      if (onRadio) break;
      await this.page.keyboard.press("Tab");
    }
    for (let i = 0; i < 10; i++) {
      if (await this.isFocused(target)) break;
      await this.page.keyboard.press("ArrowDown");
    }
    if (!(await this.locate(target).isChecked())) throw new Error(`could not choose radio "${label}"`);
  }

  // ---------- checks ----------

  /** Scan the current document with axe once. */
  async scan() {
    if (this.scannedDoc === this.docId) return;
    this.scannedDoc = this.docId;
    const url = this.path();
    this.record.pages.push(url);
    const violations = await axeScan(this.page);
    if (violations.length) this.problem(formatViolations(url, violations));
  }

  async text() {
    return this.page.evaluate(() => document.body.innerText);
  }

  async expectText(...needles) {
    const text = await this.text();
    for (const n of needles) {
      if (!text.includes(n)) throw new Error(`expected "${n}" on ${this.path()}; the page says:\n${text.slice(0, 1500)}`);
    }
  }

  async expectNoText(needle) {
    const text = await this.text();
    if (text.includes(needle)) throw new Error(`did not expect "${needle}" on ${this.path()}`);
  }

  async expectPath(prefix) {
    const p = this.path();
    if (!p.startsWith(prefix)) throw new Error(`expected to be on ${prefix}…, but on ${p}`);
  }

  async expectLang(lang) {
    const l = await this.page.evaluate(() => document.documentElement.lang);
    if (l !== lang) throw new Error(`expected <html lang="${lang}">, got "${l}" on ${this.path()}`);
  }

  /** The element that has focus, as a short description. */
  async focused() {
    return this.describeFocus();
  }
}
