// What the province's pages (dashboard, facilities, survey, continuity) share: links that stay inside the
// UI, tables, polling, and forms whose fields show the server's complaints beside them.
import { ApiError, type FieldProblem } from "./api";
import { h, type Props } from "./dom";
import { currentLang, t, type Key } from "./i18n";
import { buildQuery, navigate } from "./nav";
import { messageOf } from "./notice";

type Child = Node | string | null | undefined | false;

/** The current ?lang=, which every link inside the UI carries on. */
export function currentLangParam(): string | null {
  return new URLSearchParams(location.search).get("lang");
}

/** An address inside the UI with its query and the current ?lang=. */
export function pageHref(path: string, params: Record<string, string | null | undefined> = {}): string {
  return path + buildQuery({ ...params, lang: currentLangParam() });
}

/**
 * A link inside the UI: a real href (so a new tab, a copied link or a middle click work), followed without
 * reloading the page on a plain click.
 */
export function pageLink(
  path: string,
  params: Record<string, string | null | undefined>,
  props: Props,
  ...children: Child[]
): HTMLAnchorElement {
  const a = h("a", { ...props, href: pageHref(path, params) }, ...children);
  a.addEventListener("click", (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.pathname + a.search);
  });
  return a;
}

/** The camera view of one camera, at a second if given (playback) or live. */
export function cameraHref(id: string, at?: string | null): [string, Record<string, string | null>] {
  return [`/camera/${encodeURIComponent(id)}`, { t: at ?? null }];
}

/**
 * Replaces container's children with nodes only when what they show changed, so a poll that brings the same
 * data neither churns the DOM nor steals focus or a text selection.
 */
export function swap(container: HTMLElement, ...nodes: Child[]): void {
  const probe = document.createElement(container.tagName);
  for (const n of nodes) if (n !== null && n !== undefined && n !== false) probe.append(n);
  if (probe.innerHTML === container.innerHTML) return;
  container.replaceChildren(...probe.childNodes);
}

export interface Column {
  key: Key;
  cls?: string;
}

/** A table with a header row from the dictionary; emptyKey fills a table without rows. */
export function dataTable(props: Props, columns: (Key | Column)[], rows: HTMLTableRowElement[], emptyKey?: Key): HTMLTableElement {
  const cols = columns.map((c) => (typeof c === "string" ? { key: c } : c));
  const head = h("tr", {}, ...cols.map((c) => h("th", { scope: "col", class: c.cls, i18n: c.key })));
  const body = h("tbody", {}, ...rows);
  if (rows.length === 0 && emptyKey) {
    body.append(h("tr", { class: "empty" }, h("td", { colspan: cols.length, i18n: emptyKey })));
  }
  return h("table", { class: "data", ...props }, h("thead", {}, head), body);
}

/** A table cell. */
export function td(props: Props, ...children: Child[]): HTMLTableCellElement {
  return h("td", props, ...children);
}

/**
 * Runs fn now and then every ms after the previous run ended (runs never overlap); returns the stop
 * function. refresh() runs it again at once.
 */
export function every(ms: number, fn: () => Promise<void> | void): { stop(): void; refresh(): Promise<void> } {
  let stopped = false;
  let timer = 0;
  let running: Promise<void> | null = null;
  const run = (): Promise<void> => {
    if (running) return running;
    window.clearTimeout(timer);
    running = (async () => {
      try {
        await fn();
      } finally {
        running = null;
        if (!stopped) timer = window.setTimeout(() => void run(), ms);
      }
    })();
    return running;
  };
  void run();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
    },
    refresh: run,
  };
}

/** A tel: link showing the number grouped for reading; the href keeps the dialable +84 form. */
export function telLink(phone: string, shown: string, props: Props = {}): HTMLAnchorElement {
  return h("a", { ...props, href: `tel:${phone.replace(/[^\d+]/g, "")}`, class: "tel" }, shown);
}

export function mailLink(email: string, props: Props = {}): HTMLAnchorElement {
  return h("a", { ...props, href: `mailto:${email}` }, email);
}

// ---- forms ----

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface FormField {
  name: string;
  control: Control;
  el: HTMLElement;
  error: HTMLElement;
}

let fieldSeq = 0;

/** A labelled control with room for its error under it. name is the API's field name. */
export function formField(name: string, label: Key, control: Control, hint?: Key): FormField {
  const id = `f-${name}-${++fieldSeq}`;
  control.id = id;
  control.name = name;
  control.dataset.field = name;
  const error = h("p", { class: "field-error", id: `${id}-err`, "data-testid": "field-error", "data-field": name, hidden: true });
  const hintEl = hint ? h("p", { class: "field-hint", id: `${id}-hint`, i18n: hint }) : null;
  control.setAttribute("aria-describedby", hintEl ? `${id}-hint ${id}-err` : `${id}-err`);
  const el = h("div", { class: `field field-${name}` }, h("label", { for: id, i18n: label }), control, hintEl, error);
  return { name, control, el, error };
}

// What the server's (English) messages mean, said in Vietnamese beside them.
const problemHints: Record<string, Key> = {
  phone: "hint.phone",
  email: "hint.email",
  id: "hint.id",
  facility_id: "hint.id",
  status_since: "hint.date",
  confirmed: "hint.date",
  capacity: "hint.capacity",
  status: "hint.status",
};

/** The text of one field's problem: in Vietnamese, a hint of ours, then the server's own words. */
export function problemNodes(field: string, message: string): Node[] {
  if (message === "required") return [document.createTextNode(t("form.required"))];
  const hint = problemHints[field];
  if (currentLang() === "vi" && hint) {
    return [h("span", {}, t(hint)), h("span", { class: "server-msg", lang: "en" }, message)];
  }
  return [document.createTextNode(message)];
}

/**
 * The errors of one form: each problem the server names goes under its field (aria-invalid set); the rest,
 * and any other failure, into the form's general message.
 */
export class FormErrors {
  private problems: FieldProblem[] = [];
  private failure: unknown = null;

  constructor(
    private readonly fields: FormField[],
    private readonly general: HTMLElement,
  ) {}

  clear(): void {
    this.problems = [];
    this.failure = null;
    this.render();
  }

  show(err: unknown): void {
    this.failure = err;
    this.problems = err instanceof ApiError ? err.fields : [];
    this.render();
    // The first field in error takes the focus, so keyboard and screen-reader users land on it.
    const first = this.fields.find((f) => this.problems.some((p) => p.field === f.name));
    first?.control.focus();
  }

  /** Redraws in the current language. */
  render(): void {
    const known = new Set(this.fields.map((f) => f.name));
    for (const f of this.fields) {
      const mine = this.problems.filter((p) => p.field === f.name);
      f.error.hidden = mine.length === 0;
      f.error.replaceChildren(...mine.flatMap((p, i) => [...(i ? [h("br")] : []), ...problemNodes(f.name, p.message)]));
      if (mine.length) f.control.setAttribute("aria-invalid", "true");
      else f.control.removeAttribute("aria-invalid");
    }
    const rest = this.problems.filter((p) => !known.has(p.field));
    let text = "";
    if (rest.length) text = rest.map((p) => `${p.field}: ${p.message}`).join("; ");
    else if (this.failure && this.problems.length === 0) text = messageOf(this.failure);
    this.general.hidden = text === "";
    this.general.textContent = text;
  }
}

/** Sets a control's value; a select gets an option for a value it does not list, so nothing is lost. */
export function setValue(control: Control, value: string): void {
  if (control instanceof HTMLSelectElement && value && ![...control.options].some((o) => o.value === value)) {
    control.append(h("option", { value }, value));
  }
  control.value = value;
}

/**
 * What a page shows in place of what the user may not see (a 403): the reason, in the page itself, and the
 * way back to the wall. message is the server's own words, or ours when the UI knows before asking.
 */
export function refusal(message: string, props: Props = {}): HTMLElement {
  return h("section", { class: "refusal", role: "alert", "data-testid": "refusal", ...props },
    h("h1", { i18n: "auth.refusedTitle" }),
    h("p", { class: "refusal-reason", "data-testid": "refusal-reason" }, message),
    pageLink("/", {}, { "data-testid": "refusal-back" }, t("auth.home")));
}
