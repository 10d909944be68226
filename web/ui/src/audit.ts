// The audit log (administrators only): who signed in, watched, played back or exported which camera's
// footage, and who changed users, tokens and the registry; newest first, filtered by time, user, camera and
// action, a hundred at a time ("older" pages back), and downloadable as CSV with the same filters.
import {
  ApiError,
  auditActions,
  getJSON,
  parseTime,
  urls,
  type AuditEvent,
  type AuditFilter,
  type AuditPage,
  type Camera,
} from "./api";
import { h, relabel } from "./dom";
import { lookup, t } from "./i18n";
import { replaceQuery, type View } from "./nav";
import { clearError, messageOf, showError } from "./notice";
import { cameraHref, dataTable, pageLink, refusal, swap, td } from "./page";
import { roleLabel } from "./session";
import { formatDate, formatDateTime, formatTime, parseTyped, rfc3339 } from "./zone";

const pageSize = 100;

export function createAudit(query: URLSearchParams): View {
  let events: AuditEvent[] = [];
  let nextBefore: number | string | null = null;
  let loaded = false;
  let loading = false;
  let filter: AuditFilter = {};
  let seq = 0;
  let destroyed = false;

  const input = (testid: string, id: string, placeholder = "") => h("input", { type: "text", "data-testid": testid, id,
    placeholder, autocomplete: "off", spellcheck: "false" });
  const fromInput = input("audit-from", "audit-from", "dd/mm/yyyy HH:mm");
  const toInput = input("audit-to", "audit-to", "dd/mm/yyyy HH:mm");
  const actorInput = input("audit-actor", "audit-actor");
  const cameraSelect = h("select", { "data-testid": "audit-camera", id: "audit-camera" },
    h("option", { value: "", i18n: "audit.anyCamera" }));
  const actionSelect = h("select", { "data-testid": "audit-action", id: "audit-action" },
    h("option", { value: "", i18n: "audit.anyAction" }),
    ...auditActions.map((a) => h("option", { value: a }, actionLabel(a))));
  const filterError = h("p", { class: "form-error", role: "alert", "data-testid": "audit-filter-error", hidden: true });
  const field = (id: string, key: Parameters<typeof t>[0], control: HTMLElement) =>
    h("div", { class: "field" }, h("label", { for: id, i18n: key }), control);
  const form = h("form", { class: "form audit-filters", novalidate: true, "data-testid": "audit-filters",
    onsubmit: (e: Event) => {
      e.preventDefault();
      apply();
    } },
  field("audit-from", "audit.from", fromInput),
  field("audit-to", "audit.to", toInput),
  field("audit-actor", "audit.actor", actorInput),
  field("audit-camera", "audit.camera", cameraSelect),
  field("audit-action", "audit.action", actionSelect),
  h("div", { class: "form-actions" },
    h("button", { type: "submit", class: "primary", "data-testid": "audit-apply" }, h("span", { i18n: "audit.apply" })),
    h("button", { type: "button", "data-testid": "audit-clear", onclick: () => clearFilters() }, h("span", { i18n: "audit.clear" }))),
  filterError);

  const csv = h("a", { class: "button", download: "", "data-testid": "audit-csv", i18nLabel: "audit.csvLabel" },
    "⤓ ", h("span", { i18n: "audit.csv" }));
  const refresh = h("button", { type: "button", "data-testid": "audit-refresh", onclick: () => void load(false) },
    "⟳ ", h("span", { i18n: "audit.refresh" }));
  const count = h("p", { class: "muted count-line", "data-testid": "audit-count", "aria-live": "polite" });
  const table = h("div", { class: "table-wrap" });
  const older = h("button", { type: "button", "data-testid": "audit-older", hidden: true, onclick: () => void load(true) },
    h("span", { i18n: "audit.older" }));
  const body = h("div", { class: "audit-body" },
    h("section", { class: "panel" }, form),
    h("div", { class: "toolbar" }, count, h("span", { class: "spacer" }), refresh, csv),
    table,
    h("div", { class: "pager-line" }, older));
  const el = h("section", { class: "page audit-page", "data-testid": "audit" },
    h("header", { class: "page-head" }, h("div", {},
      h("h1", { class: "page-title", i18n: "audit.title" }),
      h("p", { class: "page-intro", i18n: "audit.intro" }))),
    body);

  // The filters come back from the address, so a filtered view can be bookmarked or sent.
  fromInput.value = query.get("from") ?? "";
  toInput.value = query.get("to") ?? "";
  actorInput.value = query.get("actor") ?? "";
  setOption(cameraSelect, query.get("camera") ?? "");
  setOption(actionSelect, query.get("action") ?? "");
  void loadCameras();
  apply();

  /** Reads the filters; false (with the reason shown) when a time is not one. */
  function readFilters(): boolean {
    const from = typedTime(fromInput.value);
    const to = typedTime(toInput.value);
    const bad = from === undefined ? fromInput : to === undefined ? toInput : null;
    markInvalid(fromInput, from === undefined);
    markInvalid(toInput, to === undefined);
    if (bad) {
      showFilterError(t("audit.badTime"));
      bad.focus();
      return false;
    }
    if (from && to && to <= from) {
      showFilterError(t("audit.backwards"));
      return false;
    }
    showFilterError("");
    filter = { from, to, actor: actorInput.value.trim(), camera: cameraSelect.value, action: actionSelect.value };
    return true;
  }

  function showFilterError(text: string): void {
    filterError.hidden = text === "";
    filterError.textContent = text;
  }

  function apply(): void {
    if (!readFilters()) return;
    replaceQuery({ from: fromInput.value.trim(), to: toInput.value.trim(), actor: filter.actor, camera: filter.camera,
      action: filter.action });
    csv.href = urls.auditCSV(filter);
    void load(false);
  }

  function clearFilters(): void {
    fromInput.value = "";
    toInput.value = "";
    actorInput.value = "";
    cameraSelect.value = "";
    actionSelect.value = "";
    apply();
  }

  /** The first page (more = false), or the next older one. */
  async function load(more: boolean): Promise<void> {
    const mine = ++seq;
    loading = true;
    renderControls();
    try {
      const page = await getJSON<AuditPage>(urls.audit(filter, more ? nextBefore : null, pageSize));
      if (mine !== seq || destroyed) return;
      events = more ? [...events, ...(page.events ?? [])] : page.events ?? [];
      nextBefore = page.next_before ?? null;
      loaded = true;
      clearError("audit");
    } catch (err) {
      if (mine !== seq || destroyed) return;
      if (err instanceof ApiError && err.status === 403) {
        body.replaceChildren(refusal(err.message));
        return;
      }
      showError("audit", `${t("audit.loadFailed")}: ${messageOf(err)}`);
    } finally {
      if (mine === seq) {
        loading = false;
        renderControls();
      }
    }
    render();
  }

  async function loadCameras(): Promise<void> {
    try {
      const list = (await getJSON<{ cameras: Camera[] }>(urls.cameras())).cameras ?? [];
      const chosen = cameraSelect.value;
      for (const c of [...list].sort((a, b) => a.id.localeCompare(b.id))) {
        if (![...cameraSelect.options].some((o) => o.value === c.id)) {
          cameraSelect.append(h("option", { value: c.id }, `${c.name} (${c.id})`));
        }
      }
      cameraSelect.value = chosen;
    } catch {
      /* the camera filter still works for a camera named in the address */
    }
  }

  function renderControls(): void {
    refresh.disabled = loading;
    older.disabled = loading;
    older.hidden = nextBefore === null;
    el.classList.toggle("is-loading", loading);
  }

  function render(): void {
    document.title = `${t("nav.audit")} · vigil`;
    if (!loaded) {
      swap(table, h("p", { class: "loading" }, t("app.loading")));
      return;
    }
    swap(count, nextBefore === null ? t("audit.count", { n: events.length }) : t("audit.countMore", { n: events.length }));
    swap(table, dataTable({ "data-testid": "audit-table" },
      ["col.time", "col.user", "col.role", "col.address", "col.action", "col.camera", "col.footage",
        { key: "col.size", cls: "num" }, "col.detail", "col.outcome"],
      events.map((e) => eventRow(e)), "audit.none"));
    renderControls();
  }

  render();
  return {
    el,
    relabel() {
      relabel(el);
      for (const o of actionSelect.options) if (o.value) o.textContent = actionLabel(o.value);
      render();
    },
    destroy() {
      destroyed = true;
      seq++;
      document.title = "vigil";
    },
  };
}

function eventRow(e: AuditEvent): HTMLTableRowElement {
  const at = parseTime(e.at);
  const ok = e.outcome === "" || e.outcome === "ok";
  return h("tr", { "data-testid": "audit-row", "data-id": String(e.id), "data-action": e.action, "data-actor": e.actor,
    "data-outcome": e.outcome, class: ok ? "" : "row-bad" },
  td({ class: "mono nowrap" }, at === null ? e.at : formatDateTime(at)),
  td({}, e.actor || "—", e.actor_kind !== "user" ? h("span", { class: "badge kind-badge" }, kindLabel(e.actor_kind)) : ""),
  td({}, e.role ? roleLabel(e.role) : "—"),
  td({ class: "mono" }, e.address || "—"),
  td({}, actionLabel(e.action)),
  td({}, e.camera || "—", e.facility ? h("div", { class: "muted small" }, e.facility) : ""),
  td({}, footage(e)),
  td({ class: "num" }, e.bytes ? formatBytes(e.bytes) : "—"),
  td({ class: "detail" }, e.detail || ""),
  td({}, h("span", { class: `badge ${ok ? "state-online" : "state-offline"}` }, outcomeLabel(e.outcome))),
  );
}

/** The footage an event looked at: its range, linked to the recording at its start. */
function footage(e: AuditEvent): Node | string {
  const start = parseTime(e.start);
  const end = parseTime(e.end);
  if (start === null) return "—";
  const text = end === null ? formatDateTime(start)
    : `${formatDateTime(start)} → ${formatDate(start) === formatDate(end) ? formatTime(end) : formatDateTime(end)}`;
  if (!e.camera) return text;
  const [path, params] = cameraHref(e.camera, rfc3339(start));
  return pageLink(path, params, { title: t("audit.openFootage") }, text);
}

/** An optional typed time: undefined when it is not one, null when empty. */
function typedTime(raw: string): number | null | undefined {
  if (!raw.trim()) return null;
  const parsed = parseTyped(raw);
  return parsed.ok ? parsed.ms : undefined;
}

function markInvalid(control: HTMLElement, invalid: boolean): void {
  if (invalid) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

function setOption(select: HTMLSelectElement, value: string): void {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(h("option", { value }, value));
  select.value = value;
}

function actionLabel(action: string): string {
  return lookup(`action.${action}`) ?? action;
}

function outcomeLabel(outcome: string): string {
  return lookup(`outcome.${outcome || "ok"}`) ?? outcome;
}

function kindLabel(kind: string): string {
  return lookup(`actor.${kind}`) ?? kind;
}

/** "830 KB", "12.4 MB", "1.2 GB": the size of what someone took away. */
function formatBytes(n: number): string {
  if (n < 1e6) return `${Math.max(1, Math.round(n / 1e3))} KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}
