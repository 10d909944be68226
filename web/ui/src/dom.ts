// A small element builder, so views read as the tree they make.
import { t, type Key } from "./i18n";

type Child = Node | string | null | undefined | false;
type Value = string | number | boolean | null | undefined;

export interface Props {
  [attr: string]: Value | EventListener | Key | undefined;
  /** text from the dictionary, kept current when the language changes */
  i18n?: Key;
  /** aria-label and title from the dictionary (icon buttons) */
  i18nLabel?: Key;
  /** placeholder from the dictionary */
  i18nPlaceholder?: Key;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "i18n") {
      el.dataset.i18n = value as string;
      el.textContent = t(value as Key);
    } else if (name === "i18nLabel") {
      el.dataset.i18nLabel = value as string;
      el.setAttribute("aria-label", t(value as Key));
      el.title = t(value as Key);
    } else if (name === "i18nPlaceholder") {
      el.dataset.i18nPlaceholder = value as string;
      el.setAttribute("placeholder", t(value as Key));
    } else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value as EventListener);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

/** Rewrites every dictionary-bound text under root in the current language. */
export function relabel(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n as Key);
  }
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-label]")) {
    const text = t(el.dataset.i18nLabel as Key);
    el.setAttribute("aria-label", text);
    el.title = text;
  }
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder as Key));
  }
}

/** Sets text only when it changed, so polling does not churn the DOM or screen readers. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el: Element, name: string, value: string | null): void {
  if (value === null) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== value) {
    el.setAttribute(name, value);
  }
}
