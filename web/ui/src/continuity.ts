// Continuity: how long the province's cameras were online over a period (today, 7 days, 30 days, or two
// dates), per facility and per camera, with their outages and the footage missing; and the alert history,
// open alerts first, with every delivery of every alert.
import {
  getJSON,
  parseTime,
  urls,
  type Alert,
  type AlertsAnswer,
  type CameraUptime,
  type Delivery,
  type UptimeAnswer,
  type UptimeSummary,
} from "./api";
import { h, relabel } from "./dom";
import { lookup, t, type Key } from "./i18n";
import { formatPercent, formatSpan } from "./format";
import { replaceQuery, type View } from "./nav";
import { clearError, messageOf, showError } from "./notice";
import { cameraHref, dataTable, every, pageLink, swap, td } from "./page";
import { formatDate, formatDateTime, formatHM, fromParts, parseTyped, partsAt, rfc3339, startOfDay } from "./zone";

const periods = ["today", "7d", "30d", "custom"] as const;
type Period = (typeof periods)[number];
const periodKeys: Record<Period, Key> = { today: "cont.today", "7d": "cont.7d", "30d": "cont.30d", custom: "cont.custom" };
// Today's figures move by the second; a past period's do not, and a month of them costs the server more.
const todayRefreshMs = 30_000;
const maxCustomDays = 31;
const dayMs = 86_400_000;

interface Range {
  start: number;
  end: number;
}

export function createContinuity(query: URLSearchParams): View {
  const asked = query.get("period") as Period | null;
  let period: Period = asked && (periods as readonly string[]).includes(asked) ? asked : "today";
  let uptime: UptimeAnswer | null = null;
  let alerts: AlertsAnswer | null = null;
  let seq = 0;
  let loading = false;

  const buttons = periods.map((p) => h("button", { type: "button", "data-testid": `period-${p}`, "data-period": p,
    onclick: () => choose(p) }, h("span", { i18n: periodKeys[p] })));
  const fromInput = h("input", { type: "text", class: "date-input", "data-testid": "period-from", placeholder: "dd/mm/yyyy",
    inputmode: "numeric", autocomplete: "off", i18nLabel: "cont.from", id: "cont-from" });
  const toInput = h("input", { type: "text", class: "date-input", "data-testid": "period-to", placeholder: "dd/mm/yyyy",
    inputmode: "numeric", autocomplete: "off", i18nLabel: "cont.to", id: "cont-to" });
  const rangeError = h("p", { class: "field-error", role: "alert", "data-testid": "period-error", hidden: true });
  const customForm = h("form", { class: "custom-range", novalidate: true, hidden: true,
    onsubmit: (e: Event) => {
      e.preventDefault();
      void load();
    } },
    h("label", { for: "cont-from", i18n: "cont.from" }), fromInput,
    h("label", { for: "cont-to", i18n: "cont.to" }), toInput,
    h("button", { type: "submit", class: "primary", "data-testid": "period-apply" }, h("span", { i18n: "cont.show" })),
    rangeError);
  const refreshBtn = h("button", { type: "button", "data-testid": "cont-refresh", onclick: () => void load() },
    "⟳ ", h("span", { i18n: "cont.refresh" }));
  const periodText = h("p", { class: "muted period-text", "data-testid": "period-text" });
  const summary = h("div", { class: "stats", "data-testid": "cont-summary" });
  const table = h("div", { class: "table-wrap" });
  const alertsWrap = h("div", { class: "table-wrap" });
  const el = h(
    "section",
    { class: "page continuity-page", "data-testid": "continuity" },
    h("header", { class: "page-head" }, h("h1", { class: "page-title", i18n: "cont.title" })),
    h("div", { class: "toolbar" },
      h("div", { class: "segmented", role: "group", i18nLabel: "cont.period" }, ...buttons),
      customForm,
      h("span", { class: "spacer" }),
      refreshBtn),
    periodText,
    summary,
    h("section", { class: "panel" }, h("h2", { i18n: "cont.byFacility" }), table),
    h("section", { class: "panel" }, h("h2", { i18n: "cont.alerts" }), alertsWrap),
  );

  // A custom period comes back from the address, or starts as the last seven days.
  const today = startOfDay(Date.now());
  fromInput.value = readDate(query.get("from")) ?? formatDate(today - 6 * dayMs + 3 * 3600_000);
  toInput.value = readDate(query.get("to")) ?? formatDate(today);

  const poll = every(todayRefreshMs, async () => {
    if (period === "today" || !uptime) await load();
  });

  function choose(p: Period): void {
    period = p;
    renderControls();
    if (p === "custom") fromInput.focus();
    void load();
  }

  /** The custom range: from the start of the first day to the end of the last, in the configured zone. */
  function customRange(): Range | string {
    const a = parseTyped(fromInput.value);
    const b = parseTyped(toInput.value);
    if (!a.ok || !b.ok) return t("cont.badDate");
    const start = startOfDay(a.ms);
    const last = partsAt(startOfDay(b.ms));
    const end = fromParts({ ...last, day: last.day + 1, hour: 0, minute: 0, second: 0 });
    if (end <= start) return t("cont.backwards");
    if (end - start > maxCustomDays * dayMs + 3600_000) return t("cont.tooLong", { n: maxCustomDays });
    return { start, end };
  }

  async function load(): Promise<void> {
    const mine = ++seq;
    let url: string;
    rangeError.hidden = true;
    if (period === "custom") {
      const r = customRange();
      if (typeof r === "string") {
        rangeError.textContent = r;
        rangeError.hidden = false;
        return;
      }
      url = urls.uptime("custom", r.start, r.end);
      replaceQuery({ period, from: fromInput.value.trim(), to: toInput.value.trim() });
    } else {
      url = urls.uptime(period);
      replaceQuery({ period: period === "today" ? null : period });
    }
    loading = true;
    renderControls();
    try {
      const u = await getJSON<UptimeAnswer>(url);
      const start = parseTime(u.period.start) ?? 0;
      const end = parseTime(u.period.end) ?? Date.now();
      const a = await getJSON<AlertsAnswer>(urls.alerts("all", start, end));
      if (mine !== seq) return;
      uptime = u;
      alerts = a;
      clearError("continuity");
    } catch (err) {
      if (mine === seq) showError("continuity", `${t("cont.loadFailed")}: ${messageOf(err)}`);
      return;
    } finally {
      if (mine === seq) {
        loading = false;
        renderControls();
      }
    }
    render();
  }

  function renderControls(): void {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.period === period));
    customForm.hidden = period !== "custom";
    refreshBtn.disabled = loading;
    el.classList.toggle("is-loading", loading);
  }

  function render(): void {
    document.title = `${t("nav.continuity")} · vigil`;
    renderControls();
    const u = uptime;
    if (!u) {
      swap(summary, h("p", { class: "loading" }, t("app.loading")));
      return;
    }
    const start = parseTime(u.period.start) ?? 0;
    const end = parseTime(u.period.end) ?? 0;
    const now = parseTime(u.period.now) ?? Date.now();
    const endShown = end - 1000;
    let text = t("cont.range", { from: formatDateTime(start), to: formatDateTime(endShown) });
    if (now < end) text += ` · ${t("cont.asOf", { time: formatHM(now) })}`;
    swap(periodText, text);

    const p = u.province;
    swap(summary, ...(p ? [
      stat("province-uptime", "cont.uptime", formatPercent(p.uptime), p.uptime === null ? t("cont.notObserved") : t("cont.observed", {
        time: formatSpan(p.observed_seconds) })),
      stat("cameras", "cont.cameras", String(p.cameras), p.never_connected ? t("cont.neverN", { n: p.never_connected }) : ""),
      stat("outages", "cont.outages", String(p.outages), "", p.outages ? "warn" : "ok"),
      stat("outage-time", "cont.outageTime", formatSpan(p.outage_seconds)),
      stat("longest", "cont.longest", p.outages ? formatSpan(p.longest_outage_seconds) : "—"),
      stat("missing", "cont.missing", formatSpan(p.footage_missing_minutes * 60)),
    ] : []));

    const rows: HTMLTableRowElement[] = [];
    for (const f of u.facilities) {
      rows.push(summaryRow(f.id, f.name || f.id, f));
      for (const c of u.cameras.filter((c) => c.facility === f.id)) rows.push(cameraRow(c));
    }
    const known = new Set(u.facilities.map((f) => f.id));
    for (const c of u.cameras.filter((c) => !known.has(c.facility))) rows.push(cameraRow(c));
    swap(table, dataTable({ "data-testid": "cont-table" },
      ["col.facilityCamera", { key: "col.uptime", cls: "num" }, { key: "col.outages", cls: "num" }, "col.longest",
        { key: "col.outageTime", cls: "num" }, { key: "col.missing", cls: "num" }, "col.neverConnected"],
      rows, "cont.noCameras"));
    renderAlerts();
  }

  function renderAlerts(): void {
    const list = [...(alerts?.alerts ?? [])].sort((a, b) =>
      Number(b.state === "open") - Number(a.state === "open") || b.down_since.localeCompare(a.down_since));
    const nodes: Node[] = [dataTable({ "data-testid": "alert-table" },
      ["col.alertState", "col.camera", "col.facility", "col.downSince", "col.closedAt", { key: "col.duration", cls: "num" },
        "col.reason", "col.deliveries"],
      list.map((a) => alertRow(a)), "cont.noAlerts")];
    if (alerts?.truncated) nodes.unshift(h("p", { class: "warn-text" }, t("cont.truncated", { n: list.length })));
    swap(alertsWrap, ...nodes);
  }

  renderControls();
  render();
  return {
    el,
    relabel() {
      relabel(el);
      render();
    },
    destroy() {
      seq++;
      poll.stop();
      document.title = "vigil";
    },
  };
}

/** A dd/mm/yyyy date from the address, or null. */
function readDate(s: string | null): string | null {
  if (!s) return null;
  const r = parseTyped(s);
  return r.ok ? formatDate(r.ms) : null;
}

function stat(id: string, label: Key, value: string, sub = "", tone = ""): HTMLElement {
  return h("div", { class: `stat ${tone}`, "data-testid": `cont-${id}` },
    h("span", { class: "stat-label" }, t(label)),
    h("span", { class: "stat-value", "data-testid": id === "province-uptime" ? "province-uptime" : null }, value),
    sub ? h("span", { class: "stat-sub" }, sub) : null);
}

function summaryRow(id: string, name: string, s: UptimeSummary): HTMLTableRowElement {
  return h("tr", { class: "group-row", "data-testid": "cont-facility", "data-facility": id },
    td({}, pageLink(`/facilities/${encodeURIComponent(id)}`, {}, {}, name),
      h("span", { class: "muted small" }, ` · ${t("cont.camerasN", { n: s.cameras })}`)),
    td({ class: "num strong" }, formatPercent(s.uptime)),
    td({ class: "num" }, String(s.outages)),
    td({}, s.outages ? formatSpan(s.longest_outage_seconds) : "—"),
    td({ class: "num" }, s.outages ? formatSpan(s.outage_seconds) : "—"),
    td({ class: "num" }, missingText(s.footage_missing_minutes)),
    td({}, s.never_connected ? h("span", { class: "warn-text" }, t("cont.neverN", { n: s.never_connected })) : ""),
  );
}

function cameraRow(c: CameraUptime): HTMLTableRowElement {
  const o = c.longest_outage;
  const oStart = parseTime(o?.start);
  const [path, params] = cameraHref(c.id, oStart === null ? null : rfc3339(oStart));
  const [livePath] = cameraHref(c.id);
  let longest: (Node | string)[] = ["—"];
  if (o && oStart !== null) {
    longest = [
      pageLink(path, params, { title: t("cont.openAt") }, formatSpan(o.seconds)),
      h("span", { class: "muted small" }, ` · ${t("cont.startedAt", { time: formatDateTime(oStart) })}${o.open ? ` (${t("cont.ongoing")})` : ""}`),
      o.reason ? h("div", { class: "small reason" }, o.reason) : "",
    ];
  }
  return h("tr", { class: `camera-row${c.enabled ? "" : " disabled"}`, "data-testid": "cont-camera", "data-camera": c.id },
    td({ class: "indent" }, pageLink(livePath, {}, {}, c.name || c.id), h("span", { class: "muted small" }, ` · ${c.id}`),
      c.enabled ? "" : h("span", { class: "muted small" }, ` · ${t("cont.disabled")}`)),
    td({ class: "num" }, formatPercent(c.uptime)),
    td({ class: "num" }, String(c.outages)),
    td({}, ...longest),
    td({ class: "num" }, c.outages ? formatSpan(c.outage_seconds) : "—"),
    td({ class: "num" }, missingText(c.footage_missing_minutes)),
    td({}, c.never_connected ? h("span", { class: "badge state-offline", "data-testid": "never-connected" }, t("cont.never")) : ""),
  );
}

function missingText(minutes: number): string {
  return minutes > 0 ? formatSpan(minutes * 60) : "—";
}

function alertRow(a: Alert): HTMLTableRowElement {
  const since = parseTime(a.down_since);
  const closed = parseTime(a.closed_at ?? undefined);
  const [path, params] = cameraHref(a.camera_id, since === null ? null : rfc3339(since));
  return h("tr", { "data-testid": "alert-row", "data-alert": a.id, "data-state": a.state, class: a.state === "open" ? "row-bad" : "" },
    td({}, h("span", { class: `badge ${a.state === "open" ? "state-offline" : "state-online"}` },
      t(a.state === "open" ? "cont.alertOpen" : "cont.alertClosed"))),
    td({}, pageLink(path, params, { title: t("cont.openAt") }, a.camera_name || a.camera_id)),
    td({}, pageLink(`/facilities/${encodeURIComponent(a.facility_id)}`, {}, {}, a.facility_name || a.facility_id)),
    td({}, since === null ? "—" : formatDateTime(since)),
    td({}, closed === null ? "—" : formatDateTime(closed)),
    td({ class: "num" }, formatSpan(a.duration_seconds)),
    td({}, a.reason || "—", a.close_reason ? h("div", { class: "muted small" }, `${t("cont.closeReason")}: ${a.close_reason}`) : ""),
    td({}, deliveries(a.deliveries)),
  );
}

/** Each channel's deliveries of each event, as its last attempt left them. */
function deliveries(list: Delivery[]): HTMLElement | string {
  if (!list.length) return h("span", { class: "muted" }, t("cont.noDeliveries"));
  const last = new Map<string, Delivery>();
  for (const d of list) {
    const key = `${d.event}\u0000${d.channel}\u0000${d.target}`;
    const seen = last.get(key);
    if (!seen || d.attempt >= seen.attempt) last.set(key, d);
  }
  return h("ul", { class: "deliveries" }, ...[...last.values()].map((d) => {
    const at = parseTime(d.at);
    return h("li", { "data-testid": "delivery", "data-status": d.status, title: d.error ?? "" },
      h("span", { class: "badge" }, lookup(`channel.${d.channel}`) ?? d.channel), " ",
      d.target ? `${d.target} · ` : "",
      lookup(`event.${d.event}`) ?? d.event, ": ",
      h("span", { class: d.status === "sent" ? "ok-text" : d.status === "failed" ? "bad-text" : "warn-text" },
        lookup(`delivery.${d.status}`) ?? d.status),
      ` · ${t("cont.attempts", { n: d.attempt })}`,
      at === null ? "" : h("span", { class: "muted small" }, ` · ${formatDateTime(at)}`),
      d.error ? h("div", { class: "muted small" }, d.error) : "");
  }));
}
