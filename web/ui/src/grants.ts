// The facilities a user or an API token may see, picked on the users page: every facility, or some of them;
// and for an investigator the footage window (from, until), typed as dd/mm/yyyy HH:mm in the configured
// zone. Administrators and operators act for the whole province whatever their grants, so they pick none.
import type { Grant, Role } from "./api";
import { h, relabel } from "./dom";
import { t } from "./i18n";
import { currentZone, formatDate, formatHM, parseTyped, rfc3339 } from "./zone";

export interface FacilityName {
  id: string;
  name: string;
}

export interface GrantPicker {
  el: HTMLElement;
  /** the facilities to offer */
  setFacilities(list: FacilityName[]): void;
  /** shows what the role needs: nothing (province-wide roles), facilities, and a window for investigators */
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

let pickerSeq = 0;

export function grantPicker(): GrantPicker {
  const seq = ++pickerSeq;
  const all = h("input", { type: "checkbox", id: `grant-all-${seq}`, "data-testid": "grant-all",
    onchange: () => syncAll() });
  const list = h("div", { class: "grant-list", role: "group" });
  const from = h("input", { type: "text", id: `grant-from-${seq}`, "data-testid": "grant-from", placeholder: "dd/mm/yyyy HH:mm",
    inputmode: "numeric", autocomplete: "off" });
  const until = h("input", { type: "text", id: `grant-until-${seq}`, "data-testid": "grant-until", placeholder: "dd/mm/yyyy HH:mm",
    inputmode: "numeric", autocomplete: "off" });
  const zoneNote = h("p", { class: "field-hint" });
  const windowBox = h("div", { class: "grant-window", hidden: true },
    h("div", { class: "field" }, h("label", { for: from.id, i18n: "grant.from" }), from),
    h("div", { class: "field" }, h("label", { for: until.id, i18n: "grant.until" }), until),
    zoneNote);
  const wideNote = h("p", { class: "muted grant-wide", i18n: "grant.provinceWide", hidden: true });
  const choices = h("div", { class: "grant-choices" },
    h("div", { class: "field-check" }, all, h("label", { for: all.id, i18n: "grant.all" })),
    list,
    windowBox);
  const el = h("fieldset", { class: "grant-picker wide", "data-testid": "grant-picker" },
    h("legend", { i18n: "grant.legend" }), wideNote, choices);
  // Ids granted that are not (or no longer) facilities stay chosen rather than be lost on save.
  let facilities: FacilityName[] = [];
  let chosen = new Set<string>();

  function boxes(): HTMLInputElement[] {
    return [...list.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
  }

  function renderList(): void {
    chosen = new Set(boxes().filter((b) => b.checked).map((b) => b.value).concat([...chosen]));
    const known = new Set(facilities.map((f) => f.id));
    const shown = [...facilities, ...[...chosen].filter((id) => !known.has(id)).map((id) => ({ id, name: id }))];
    list.replaceChildren(...shown.map((f) => {
      const id = `grant-${seq}-${f.id}`;
      const box = h("input", { type: "checkbox", id, value: f.id, "data-testid": "grant-facility",
        onchange: () => {
          if (box.checked) chosen.add(f.id);
          else chosen.delete(f.id);
        } });
      box.checked = chosen.has(f.id);
      return h("div", { class: "field-check" }, box, h("label", { for: id }, f.name || f.id, " ",
        h("span", { class: "muted small mono" }, f.id)));
    }));
    syncAll();
  }

  /** "All facilities" covers the list: its boxes are then moot, so they are greyed out. */
  function syncAll(): void {
    for (const b of boxes()) b.disabled = all.checked;
  }

  function renderZone(): void {
    zoneNote.textContent = t("grant.windowHint", { zone: currentZone() });
  }

  /** The typed bound as RFC 3339, "" for an empty box, or null when it is not a date and time. */
  function bound(input: HTMLInputElement): string | null {
    const raw = input.value.trim();
    if (!raw) return "";
    const parsed = parseTyped(raw);
    return parsed.ok ? rfc3339(parsed.ms) : null;
  }

  const api: GrantPicker = {
    el,
    setFacilities(list) {
      facilities = list;
      renderList();
    },
    setRole(role) {
      const wide = provinceWide(role);
      wideNote.hidden = !wide;
      choices.hidden = wide;
      windowBox.hidden = role !== "investigator";
    },
    fill(grants) {
      all.checked = grants.some((g) => g.facility === "*");
      chosen = new Set(grants.filter((g) => g.facility !== "*").map((g) => g.facility));
      for (const b of boxes()) b.checked = false;
      renderList();
      // One window for all of a user's facilities: the form edits the first one set.
      const w = grants.find((g) => g.from || g.until);
      from.value = w?.from ? typedAt(w.from) : "";
      until.value = w?.until ? typedAt(w.until) : "";
    },
    read(role) {
      if (provinceWide(role)) return []; // admins and operators reach every facility by their role: the server takes no grants
      const ids = all.checked ? ["*"] : boxes().filter((b) => b.checked).map((b) => b.value);
      if (ids.length === 0) return t("grant.noneChosen");
      if (role !== "investigator") return ids.map((facility) => ({ facility }));
      const a = bound(from);
      const b = bound(until);
      if (a === null || b === null) return t("grant.badTime");
      if (a && b && Date.parse(b) <= Date.parse(a)) return t("grant.backwards");
      return ids.map((facility) => ({ facility, ...(a ? { from: a } : {}), ...(b ? { until: b } : {}) }));
    },
    relabel() {
      relabel(el);
      renderZone();
    },
  };
  renderZone();
  return api;
}

/** An RFC 3339 time as the window boxes show it: dd/mm/yyyy HH:mm in the configured zone. */
function typedAt(s: string): string {
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? `${formatDate(ms)} ${formatHM(ms)}` : "";
}
