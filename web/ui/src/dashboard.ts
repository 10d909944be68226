// The dashboard: the province at a glance, as the Department of Information and Communications reports it
// upward, and what needs someone now (a facility nobody can be called at, a facility whose cameras are all
// down, a camera that has been down past the alert threshold). Refreshed every ten seconds.
import { getJSON, parseTime, urls, type Camera, type Dashboard, type DashboardFacility } from "./api";
import { watchCameras } from "./cameras";
import { h, relabel } from "./dom";
import { facilityStatusLabel, t, type Key } from "./i18n";
import { formatPercent, formatPhone, formatSpan } from "./format";
import type { View } from "./nav";
import { clearError, messageOf, showError } from "./notice";
import { cameraHref, dataTable, every, mailLink, pageLink, swap, td, telLink } from "./page";
import { formatDateTime, formatTime, rfc3339 } from "./zone";

const refreshMs = 10_000;

export function createDashboard(): View {
  let data: Dashboard | null = null;
  let cameras = new Map<string, Camera>();
  let loadedAt = 0;

  const title = h("h1", { class: "page-title", "data-testid": "province-name" });
  const facts = h("p", { class: "page-facts", "data-testid": "province-facts" });
  const updated = h("p", { class: "updated muted", "aria-live": "off" });
  const stats = h("div", { class: "stats", "data-testid": "dash-stats" });
  const attention = h("ul", { class: "attention-list", "data-testid": "attention" });
  const table = h("div", { class: "table-wrap" });
  const el = h(
    "section",
    { class: "page dashboard", "data-testid": "dashboard" },
    h("header", { class: "page-head" }, h("div", {}, title, facts), h("span", { class: "spacer" }), updated),
    stats,
    h("section", { class: "panel" }, h("h2", { i18n: "dash.attention" }), attention),
    h("section", { class: "panel" }, h("h2", { i18n: "dash.facilities" }), table),
  );
  title.textContent = t("app.loading");

  let states = "";
  const unwatch = watchCameras((list) => {
    cameras = new Map(list.map((c) => [c.id, c]));
    // A camera that changed state changes the counters: they follow at once rather than at the next refresh.
    const now = list.map((c) => `${c.id}:${c.state}`).join(",");
    if (states && now !== states) void poll.refresh();
    states = now;
    render();
  });
  const poll = every(refreshMs, load);

  async function load(): Promise<void> {
    try {
      data = await getJSON<Dashboard>(urls.dashboard());
      loadedAt = Date.now();
      clearError("dashboard");
    } catch (err) {
      showError("dashboard", `${t("dash.loadFailed")}: ${messageOf(err)}`);
      return;
    }
    render();
  }

  function render(): void {
    document.title = `${t("nav.dashboard")} · vigil`;
    if (!data) return;
    const d = data;
    const p = d.province;
    swap(title, p.name || t("dash.noProvince"));
    const factParts = [
      p.code ? t("dash.code", { code: p.code }) : "",
      p.operator ? t("dash.operator", { operator: p.operator }) : "",
      !p.in_reference_list && p.name ? t("dash.notInList") : "",
    ].filter(Boolean);
    swap(facts, factParts.join(" · "));
    swap(updated, t("dash.updated", { time: formatTime(loadedAt) }));
    renderStats(d);
    renderAttention(d);
    renderTable(d);
  }

  function renderStats(d: Dashboard): void {
    const c = d.cameras;
    const enabled = c.total - c.disabled;
    const sub = [
      c.connecting ? t("dash.connectingN", { n: c.connecting }) : "",
      c.disabled ? t("dash.disabledN", { n: c.disabled }) : "",
    ].filter(Boolean).join(" · ");
    swap(
      stats,
      stat("cameras", "dash.cameras", String(c.total), t("dash.facilitiesN", { n: d.facilities.length })),
      stat("online", "dash.online", `${c.online}/${enabled}`, sub, c.online < enabled ? "warn" : "ok"),
      stat("offline", "dash.offline", String(c.offline), "", c.offline > 0 ? "bad" : "ok"),
      stat("never", "dash.never", String(c.never_connected), "", c.never_connected > 0 ? "warn" : "ok"),
      stat("uptime", "dash.uptime", formatPercent(d.uptime_today), t("dash.uptimeNote")),
      stat("alerts", "dash.alerts", String(d.open_alerts.length), "", d.open_alerts.length > 0 ? "bad" : "ok"),
    );
  }

  function renderAttention(d: Dashboard): void {
    const byId = new Map(d.facilities.map((f) => [f.id, f]));
    const name = (id: string) => byId.get(id)?.name || id;
    const items: HTMLElement[] = [];
    for (const id of d.attention.all_cameras_offline) {
      items.push(h("li", { class: "bad", "data-testid": "attention-item", "data-kind": "all-offline", "data-facility": id },
        pageLink(`/facilities/${encodeURIComponent(id)}`, {}, {}, name(id)), ": ", t("dash.allOffline")));
    }
    for (const id of d.attention.no_primary_contact) {
      items.push(h("li", { class: "warn", "data-testid": "attention-item", "data-kind": "no-contact", "data-facility": id },
        pageLink(`/facilities/${encodeURIComponent(id)}`, {}, {}, name(id)), ": ", t("dash.noContact")));
    }
    const now = Date.now();
    for (const a of [...d.open_alerts].sort((x, y) => x.down_since.localeCompare(y.down_since))) {
      const since = parseTime(a.down_since);
      const cam = cameras.get(a.camera);
      const [path, params] = cameraHref(a.camera, since === null ? null : rfc3339(since));
      items.push(h("li", { class: "bad", "data-testid": "attention-item", "data-kind": "alert", "data-camera": a.camera },
        pageLink(path, params, { "data-testid": "alert-link" }, cam?.name || a.camera),
        ` (${name(a.facility)}): `,
        since === null ? "" : t("dash.downSince", { time: formatDateTime(since), duration: formatSpan((now - since) / 1000) }),
        a.reason ? h("span", { class: "reason" }, ` — ${a.reason}`) : ""));
    }
    if (items.length === 0) items.push(h("li", { class: "ok", "data-testid": "attention-none" }, t("dash.allGood")));
    swap(attention, ...items);
  }

  function renderTable(d: Dashboard): void {
    const rows = d.facilities.map((f) => facilityRow(f));
    swap(table, dataTable({ "data-testid": "dash-facilities" },
      ["col.facility", "col.status", { key: "col.camerasOnline", cls: "num" }, { key: "col.uptimeToday", cls: "num" },
        { key: "col.openAlerts", cls: "num" }, "col.primaryContact"],
      rows, "dash.noFacilities"));
  }

  return {
    el,
    relabel() {
      relabel(el);
      render();
    },
    destroy() {
      poll.stop();
      unwatch();
      document.title = "vigil";
    },
  };
}

function stat(id: string, label: Key, value: string, sub: string, tone = ""): HTMLElement {
  return h("div", { class: `stat ${tone}`, "data-testid": `stat-${id}` },
    h("span", { class: "stat-label" }, t(label)),
    h("span", { class: "stat-value" }, value),
    sub ? h("span", { class: "stat-sub" }, sub) : null);
}

function facilityRow(f: DashboardFacility): HTMLTableRowElement {
  const p = f.primary_contact;
  const contact = p
    ? h("div", { class: "contact-cell" },
      h("strong", {}, p.name), p.title ? h("span", { class: "muted" }, ` · ${p.title}`) : "",
      h("br"),
      p.phone ? telLink(p.phone, formatPhone(p.phone)) : "",
      p.phone && p.email ? " · " : "",
      p.email ? mailLink(p.email) : "")
    : h("span", { class: "missing" }, t("dash.noContactShort"));
  const camText = `${f.online}/${f.cameras}`;
  return h("tr", { "data-testid": "dash-facility", "data-facility": f.id, class: f.all_offline ? "row-bad" : "" },
    td({}, pageLink(`/facilities/${encodeURIComponent(f.id)}`, {}, {}, f.name || f.id)),
    td({}, h("span", { class: `badge fstatus-${f.status}` }, facilityStatusLabel(f.status))),
    td({ class: "num" }, h("span", { class: f.online < f.cameras ? "warn-text" : "" }, camText),
      f.never_connected ? h("span", { class: "muted small" }, ` (${t("dash.neverN", { n: f.never_connected })})`) : ""),
    td({ class: "num" }, formatPercent(f.uptime_today)),
    td({ class: "num" }, f.open_alerts ? h("span", { class: "bad-text" }, String(f.open_alerts)) : "0"),
    td({}, contact),
  );
}
