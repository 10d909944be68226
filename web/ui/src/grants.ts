// The facilities a user or an API token may see, picked on the users page: every facility, or some of them;
// and for an investigator each granted facility's own footage window (from, until), typed as
// dd/mm/yyyy HH:mm in the configured zone. Administrators and operators act for the whole province whatever
// their grants, so they pick none.
//
// A window is part of what was granted: saving a form whose boxes were not touched sends back every grant
// exactly as it came (its RFC 3339 bounds to the millisecond, and the grants' order, which the server reads
// first-match), so opening and saving a user never widens nor moves what they may see.
import type { Grant, Role } from "./api";
import { h, relabel } from "./dom";
import { t } from "./i18n";
import { currentZone, formatTyped, parseTyped, rfc3339 } from "./zone";

export interface FacilityName {
  id: string;
  name: string;
}

export interface GrantPicker {
  el: HTMLElement;
  /** the facilities to offer */
  setFacilities(list: FacilityName[]): void;
  /** shows what the role needs: nothing (province-wide roles), facilities, and windows for investigators */
  setRole(role: Role): void;
  fill(grants: Grant[]): void;
  /** the grants chosen for role, or what is wrong with them */
  read(role: Role): Grant[] | string;
  relabel(): void;
}

/** Roles that see every facility whatever their grants (the server's rule too). */
export function provinceWide(role: string): boolean {
  return role === "admin" || role === "operator";
}

/** The grant's facility that stands for every facility. */
const allId = "*";

/** One facility (or every facility) that may be granted: its box and, for an investigator, its window. */
interface Row {
  id: string;
  el: HTMLElement;
  box: HTMLInputElement;
  /** the facility's name in the label */
  name: HTMLElement;
  window: HTMLElement;
  from: HTMLInputElement;
  until: HTMLInputElement;
  /** the bounds of the grant fill gave, and the text it put in the boxes for them */
  given: Record<Bound, { value: string; text: string }>;
}

type Bound = "from" | "until";

let pickerSeq = 0;

export function grantPicker(): GrantPicker {
  const seq = ++pickerSeq;
  const rows = new Map<string, Row>();
  const list = h("div", { class: "grant-list", role: "group" });
  const all = row(allId);
  all.name.dataset.i18n = "grant.all";
  all.name.textContent = t("grant.all");
  all.el.classList.add("grant-all-row");
  const allNote = h("p", { class: "field-hint grant-all-note", i18n: "grant.allOwnWindow", hidden: true });
  const zoneNote = h("p", { class: "field-hint grant-zone", hidden: true });
  const wideNote = h("p", { class: "muted grant-wide", i18n: "grant.provinceWide", hidden: true });
  const choices = h("div", { class: "grant-choices" }, all.el, allNote, list, zoneNote);
  const el = h("fieldset", { class: "grant-picker wide", "data-testid": "grant-picker" },
    h("legend", { i18n: "grant.legend" }), wideNote, choices);
  let facilities: FacilityName[] = [];
  let role: Role = "viewer";
  // The facilities of the grants fill gave, in their order: read keeps it.
  let givenOrder: string[] = [];

  /** The row of id, made the first time it is asked for and kept, so what was typed in it survives a re-render. */
  function row(id: string): Row {
    const known = rows.get(id);
    if (known) return known;
    const key = id === allId ? "all" : `f-${id}`;
    const boxId = `grant-${seq}-${key}`;
    const box = h("input", { type: "checkbox", id: boxId, value: id,
      "data-testid": id === allId ? "grant-all" : "grant-facility", onchange: () => sync() });
    const name = h("span", { class: "grant-name" });
    const bound = (which: Bound) => h("input", { type: "text", id: `grant-${seq}-${key}-${which}`, class: "grant-bound",
      "data-testid": `grant-${which}`, "data-facility": id, placeholder: "dd/mm/yyyy HH:mm", inputmode: "numeric",
      autocomplete: "off" });
    const from = bound("from");
    const until = bound("until");
    const window = h("div", { class: "grant-row-window", hidden: true },
      h("label", { for: from.id, i18n: "grant.from" }), from,
      h("label", { for: until.id, i18n: "grant.until" }), until);
    const label = h("label", { for: boxId }, name);
    const el = h("div", { class: "grant-row", "data-testid": "grant-row", "data-facility": id },
      h("div", { class: "field-check" }, box, label), window);
    const r: Row = { id, el, box, name, window, from, until,
      given: { from: { value: "", text: "" }, until: { value: "", text: "" } } };
    rows.set(id, r);
    return r;
  }

  function renderList(): void {
    const known = new Set(facilities.map((f) => f.id));
    // Ids granted that are not (or no longer) facilities stay chosen rather than be lost on save.
    const orphans = [...rows.values()].filter((r) => r.id !== allId && r.box.checked && !known.has(r.id))
      .map((r) => ({ id: r.id, name: r.id }));
    list.replaceChildren(...[...facilities, ...orphans].map((f) => {
      const r = row(f.id);
      r.name.replaceChildren(f.name || f.id, " ", h("span", { class: "muted small mono" }, f.id));
      return r.el;
    }));
    sync();
  }

  /**
   * What shows follows the role and the boxes: a checked row of an investigator shows its window. For other
   * roles "All facilities" covers the list, so its boxes are greyed out; an investigator's facility checked
   * beside "All facilities" keeps a window of its own, so theirs stay open.
   */
  function sync(): void {
    const investigator = role === "investigator";
    el.classList.toggle("grant-investigator", investigator);
    for (const r of rows.values()) {
      if (r.id !== allId) r.box.disabled = all.box.checked && !investigator;
      r.window.hidden = !(investigator && r.box.checked);
    }
    allNote.hidden = !(investigator && all.box.checked);
    zoneNote.hidden = !investigator;
  }

  function renderZone(): void {
    zoneNote.textContent = t("grant.windowHint", { zone: currentZone() });
  }

  /**
   * A row's bound as RFC 3339: the grant's own value while its box shows what fill put there, else what
   * was typed; "" for an empty box, null when it is not a date and time.
   */
  function boundOf(r: Row, which: Bound): string | null {
    const raw = r[which].value.trim();
    const given = r.given[which];
    if (given.value && raw === given.text) return given.value;
    if (!raw) return "";
    const parsed = parseTyped(raw);
    return parsed.ok ? rfc3339(parsed.ms) : null;
  }

  /** The chosen grants in the order fill gave; new facilities before "All facilities" (so they count), new "all" last. */
  function ordered(chosen: Map<string, Grant>): Grant[] {
    const out = givenOrder.filter((id) => chosen.has(id));
    const fresh = [...chosen.keys()].filter((id) => id !== allId && !givenOrder.includes(id));
    const star = out.indexOf(allId);
    out.splice(star < 0 ? out.length : star, 0, ...fresh);
    if (chosen.has(allId) && !out.includes(allId)) out.push(allId);
    return out.map((id) => chosen.get(id) as Grant);
  }

  const api: GrantPicker = {
    el,
    setFacilities(list) {
      facilities = list;
      renderList();
    },
    setRole(r) {
      role = r;
      const wide = provinceWide(r);
      wideNote.hidden = !wide;
      choices.hidden = wide;
      sync();
    },
    fill(grants) {
      for (const r of rows.values()) {
        r.box.checked = false;
        for (const which of ["from", "until"] as const) {
          r.given[which] = { value: "", text: "" };
          r[which].value = "";
          r[which].removeAttribute("aria-invalid");
        }
      }
      givenOrder = [];
      for (const g of grants) {
        if (givenOrder.includes(g.facility)) continue;
        givenOrder.push(g.facility);
        const r = row(g.facility);
        r.box.checked = true;
        for (const which of ["from", "until"] as const) {
          const value = g[which] ?? "";
          const text = value ? typedAt(value) : "";
          r.given[which] = { value, text };
          r[which].value = text;
        }
      }
      renderList();
    },
    read(r) {
      if (provinceWide(r)) return []; // admins and operators reach every facility by their role: the server takes no grants
      const investigator = r === "investigator";
      // Without windows, a box greyed out beside "All facilities" is moot.
      const ids = all.box.checked && !investigator
        ? [allId]
        : [...rows.values()].filter((x) => x.box.checked).map((x) => x.id);
      if (ids.length === 0) return t("grant.noneChosen");
      const chosen = new Map<string, Grant>();
      for (const id of ids) {
        if (!investigator) {
          chosen.set(id, { facility: id });
          continue;
        }
        const x = row(id);
        const from = boundOf(x, "from");
        const until = boundOf(x, "until");
        x.from.toggleAttribute("aria-invalid", from === null);
        x.until.toggleAttribute("aria-invalid", until === null);
        const where = id === allId ? t("grant.all") : facilityName(id);
        if (from === null || until === null) return `${where}: ${t("grant.badTime")}`;
        if (from && until && Date.parse(until) <= Date.parse(from)) return `${where}: ${t("grant.backwards")}`;
        chosen.set(id, { facility: id, ...(from ? { from } : {}), ...(until ? { until } : {}) });
      }
      return ordered(chosen);
    },
    relabel() {
      relabel(el);
      renderZone();
    },
  };

  function facilityName(id: string): string {
    return facilities.find((f) => f.id === id)?.name || id;
  }

  renderZone();
  renderList();
  return api;
}

/** An RFC 3339 time as the window boxes show it: dd/mm/yyyy HH:mm(:ss) in the configured zone. */
function typedAt(s: string): string {
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? formatTyped(ms) : "";
}
