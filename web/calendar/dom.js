// @ts-check
// Small DOM helpers. Text always goes in through textContent (never an HTML string), so a
// patient called "<b>x</b>" is shown as typed and cannot run anything.

/**
 * The one element matching `selector`, of the expected class; a missing element is a bug in
 * the page, so it throws rather than returning null.
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {new (...args: any[]) => T} [kind]
 * @returns {T}
 */
export function $(selector, kind) {
  const found = document.querySelector(selector);
  const want = kind ?? /** @type {new (...args: any[]) => T} */ (/** @type {unknown} */ (HTMLElement));
  if (!(found instanceof want)) throw new Error(`The page has no ${want.name} ${selector}`);
  return found;
}

/** @param {string} selector */
export const form = (selector) => $(selector, HTMLFormElement);
/** @param {string} selector */
export const select = (selector) => $(selector, HTMLSelectElement);
/** @param {string} selector */
export const dialog = (selector) => $(selector, HTMLDialogElement);
/** @param {string} selector */
export const button = (selector) => $(selector, HTMLButtonElement);

/**
 * A named control of a form, of the expected class.
 * @template {Element} T
 * @param {HTMLFormElement} owner
 * @param {string} name
 * @param {new (...args: any[]) => T} kind
 * @returns {T}
 */
export function field(owner, name, kind) {
  const found = owner.elements.namedItem(name);
  if (!(found instanceof kind)) throw new Error(`The form has no ${kind.name} named ${name}`);
  return found;
}

/**
 * A new element with a class and text (or children).
 * @param {string} tag
 * @param {string} [className]
 * @param {...(Node | string)} children
 * @returns {HTMLElement}
 */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

/** A list item saying that a list is empty. @param {string} text */
export function emptyItem(text) {
  return el("li", "muted", text);
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * The page's one message line.
 * @param {string} message
 * @param {"info" | "ok" | "error"} [kind]
 */
export function toast(message, kind = "info") {
  const box = $("#toast");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  // Errors stay until the next message: no change is ever lost silently.
  if (kind !== "error") toastTimer = setTimeout(() => (box.hidden = true), 6000);
}

/**
 * Options of a select from named items.
 * @param {HTMLSelectElement} target
 * @param {{id: string, name: string}[]} items
 * @param {{empty?: string, selectedId?: string | null}} [options]
 */
export function fillSelect(target, items, { empty, selectedId } = {}) {
  target.replaceChildren();
  if (empty) target.append(new Option(empty, ""));
  for (const item of items) target.append(new Option(item.name, item.id, false, item.id === selectedId));
}

export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/** @param {Date} a @param {Date} b */
export function minutesBetween(a, b) {
  return Math.round((b.getTime() - a.getTime()) / 60000);
}

/** @param {string | number} amount @param {string} currency */
export function money(amount, currency) {
  try {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(+amount);
  } catch {
    return `${amount} ${currency}`;
  }
}
