// The camera survey (khảo sát, đánh giá hiện trạng camera): run it for the province, one facility or one
// camera, follow its progress, and read, download or print the latest report: per facility, every camera
// as measured (reachable and why not, codec, resolution, frame rate, GOP, bitrate, audio, transport) and
// whether it meets the province's minimum, with every reason it fails.
import {
  ApiError,
  getJSON,
  parseTime,
  sendJSON,
  urls,
  type Camera,
  type Facility,
  type SurveyCamera,
  type SurveyLatest,
  type SurveyReport,
  type SurveyStream,
  type SurveySummary,
} from "./api";
import { watchCameras } from "./cameras";
import { h, relabel } from "./dom";
import { currentLang, lookup, t, type Key } from "./i18n";
import { formatBitrate, formatFPS, formatGB } from "./format";
import type { View } from "./nav";
import { clearError, messageOf, showError, toast } from "./notice";
import { cameraHref, pageLink, swap, td } from "./page";
import { formatDate, formatDateTime, formatHM } from "./zone";

// While a survey runs its progress is followed closely; otherwise the page looks now and then for one
// started elsewhere.
const runningPollMs = 1500;
const idlePollMs = 15_000;

export function createSurvey(): View {
  let latest: SurveyLatest | null = null;
  let facilities: Facility[] = [];
  let cameras: Camera[] = [];
  let starting = false;
  let timer = 0;
  let destroyed = false;

  const runAll = h("button", { type: "button", class: "primary", "data-testid": "survey-all", onclick: () => void start({}) },
    h("span", { i18n: "survey.runAll" }));
  const facSelect = h("select", { "data-testid": "survey-facility-select", i18nLabel: "survey.chooseFacility" });
  const runFac = h("button", { type: "button", "data-testid": "survey-facility",
    onclick: () => void start({ facility: facSelect.value }) }, h("span", { i18n: "survey.runFacility" }));
  const camSelect = h("select", { "data-testid": "survey-camera-select", i18nLabel: "survey.chooseCamera" });
  const runCam = h("button", { type: "button", "data-testid": "survey-camera",
    onclick: () => void start({ camera: camSelect.value }) }, h("span", { i18n: "survey.runCamera" }));
  const bar = h("progress", { max: 1, value: 0 });
  const progressText = h("span", { class: "progress-text" });
  const progress = h("div", { class: "survey-progress", "data-testid": "survey-progress", hidden: true, role: "status" }, bar, progressText);

  const csv = h("a", { class: "button", href: urls.surveyCSV(), download: "", "data-testid": "survey-csv" }, "⤓ ", h("span", { i18n: "survey.csv" }));
  const xlsx = h("a", { class: "button", href: urls.surveyXLSX(), download: "", "data-testid": "survey-xlsx" }, "⤓ ", h("span", { i18n: "survey.xlsx" }));
  const print = h("button", { type: "button", "data-testid": "survey-print", onclick: () => window.print() }, h("span", { i18n: "survey.print" }));
  const report = h("div", { class: "report", "data-testid": "survey-report" });

  const el = h(
    "section",
    { class: "page survey-page", "data-testid": "survey" },
    h("header", { class: "page-head no-print" }, h("h1", { class: "page-title", i18n: "survey.title" })),
    h("p", { class: "page-intro no-print", i18n: "survey.intro" }),
    h("div", { class: "panel survey-run no-print" },
      h("div", { class: "run-group" }, runAll),
      h("div", { class: "run-group" }, facSelect, runFac),
      h("div", { class: "run-group" }, camSelect, runCam),
      progress),
    h("div", { class: "toolbar no-print" }, h("h2", { i18n: "survey.latest" }), h("span", { class: "spacer" }), csv, xlsx, print),
    report,
  );

  const unwatch = watchCameras((list) => {
    cameras = list;
    renderSelects();
  });
  void loadFacilities();
  void poll();

  async function loadFacilities(): Promise<void> {
    try {
      facilities = (await getJSON<{ facilities: Facility[] }>(urls.facilities())).facilities ?? [];
    } catch (err) {
      showError("survey-facilities", messageOf(err));
      return;
    }
    renderSelects();
  }

  async function poll(): Promise<void> {
    window.clearTimeout(timer);
    try {
      latest = await getJSON<SurveyLatest>(urls.surveyLatest());
      clearError("survey");
    } catch (err) {
      if (!destroyed) showError("survey", `${t("survey.loadFailed")}: ${messageOf(err)}`);
    }
    if (destroyed) return;
    render();
    timer = window.setTimeout(() => void poll(), latest?.running ? runningPollMs : idlePollMs);
  }

  async function start(scope: { facility?: string; camera?: string }): Promise<void> {
    if (starting) return;
    starting = true;
    renderControls();
    try {
      const a = await sendJSON<{ run_id: number; scope: string; cameras: number }>("POST", urls.survey(scope));
      if (a) {
        // Shown at once, before the next poll confirms it.
        latest = { report: latest?.report ?? null,
          running: { run_id: a.run_id, scope: a.scope, started: new Date().toISOString(), cameras: a.cameras, done: 0 } };
      }
    } catch (err) {
      const text = err instanceof ApiError && err.status === 409 ? t("survey.busy") : messageOf(err);
      toast(`${t("survey.notStarted")}: ${text}`, 8000);
    } finally {
      starting = false;
    }
    if (destroyed) return;
    render();
    void poll();
  }

  function renderSelects(): void {
    const facValue = facSelect.value;
    // Only facilities with cameras: surveying one without is refused.
    const facIds = new Map<string, string>();
    for (const f of facilities) if (cameras.some((c) => c.facility === f.id)) facIds.set(f.id, f.name || f.id);
    for (const c of cameras) if (!facIds.has(c.facility)) facIds.set(c.facility, c.facility_name || c.facility);
    const facOptions = [...facIds].map(([id, name]) => h("option", { value: id }, name));
    if (signature(facOptions) !== facSelect.dataset.signature) {
      facSelect.replaceChildren(...facOptions);
      facSelect.dataset.signature = signature(facOptions);
      if (facValue && facIds.has(facValue)) facSelect.value = facValue;
    }
    const camValue = camSelect.value;
    const groups: HTMLOptGroupElement[] = [];
    for (const [fid, fname] of facIds) {
      const list = cameras.filter((c) => c.facility === fid);
      if (list.length) groups.push(h("optgroup", { label: fname }, ...list.map((c) => h("option", { value: c.id }, `${c.name} (${c.id})`))));
    }
    if (signature(groups) !== camSelect.dataset.signature) {
      camSelect.replaceChildren(...groups);
      camSelect.dataset.signature = signature(groups);
      if (camValue && cameras.some((c) => c.id === camValue)) camSelect.value = camValue;
    }
    renderControls();
  }

  function renderControls(): void {
    const busy = starting || !!latest?.running;
    runAll.disabled = busy;
    runFac.disabled = busy || !facSelect.value;
    runCam.disabled = busy || !camSelect.value;
    facSelect.disabled = busy;
    camSelect.disabled = busy;
    const r = latest?.running;
    progress.hidden = !r;
    if (r) {
      bar.max = Math.max(1, r.cameras);
      bar.value = r.done;
      const startedAt = parseTime(r.started);
      progressText.textContent = t("survey.running", {
        scope: scopeLabel(r.scope),
        done: r.done,
        total: r.cameras,
        time: startedAt === null ? "" : formatHM(startedAt),
      });
    }
    const has = !!latest?.report;
    for (const a of [csv, xlsx]) a.setAttribute("aria-disabled", String(!has));
    print.disabled = !has;
  }

  function scopeLabel(scope: string): string {
    if (scope.startsWith("facility:")) {
      const id = scope.slice("facility:".length);
      return t("survey.scopeFacility", { name: facilities.find((f) => f.id === id)?.name || id });
    }
    if (scope.startsWith("camera:")) {
      const id = scope.slice("camera:".length);
      return t("survey.scopeCamera", { name: cameras.find((c) => c.id === id)?.name || id });
    }
    return t("survey.scopeAll");
  }

  function render(): void {
    document.title = `${t("nav.survey")} · vigil`;
    renderControls();
    const rep = latest?.report;
    if (!latest) {
      swap(report, h("p", { class: "loading" }, t("app.loading")));
    } else if (!rep) {
      swap(report, h("p", { class: "empty-note", "data-testid": "survey-empty" }, t("survey.none")));
    } else {
      swap(report, ...reportNodes(rep, cameras));
    }
  }

  render();
  return {
    el,
    relabel() {
      relabel(el);
      facSelect.dataset.signature = "";
      camSelect.dataset.signature = "";
      renderSelects();
      render();
    },
    destroy() {
      destroyed = true;
      window.clearTimeout(timer);
      unwatch();
      document.title = "vigil";
    },
  };
}

function signature(nodes: HTMLElement[]): string {
  return nodes.map((n) => n.outerHTML).join("");
}

/** The report as it is printed: a title block, the province's summary, then each facility's cameras. */
function reportNodes(rep: SurveyReport, cameras: Camera[]): Node[] {
  const from = parseTime(rep.surveyed_from);
  const to = parseTime(rep.surveyed_to);
  const generated = parseTime(rep.generated);
  let when = "";
  if (from !== null && to !== null) {
    when = formatDate(from) === formatDate(to)
      ? t("report.on", { date: formatDate(to) })
      : t("report.between", { from: formatDate(from), to: formatDate(to) });
  }
  const head = h("header", { class: "report-head" },
    h("h2", { class: "report-title", "data-testid": "report-title" }, t("report.title")),
    rep.province ? h("p", { class: "report-province" }, rep.province) : null,
    h("p", { class: "report-date" }, [when, generated === null ? "" : t("report.generated", { time: formatDateTime(generated) })]
      .filter(Boolean).join(" · ")),
    h("p", { class: "report-minimum" }, h("strong", {}, t("report.minimum")), " ", minimumText(rep)));

  const s = rep.province_summary;
  const summary = h("section", { class: "report-summary", "data-testid": "survey-summary" },
    h("h3", {}, t("report.provinceSummary")),
    h("div", { class: "stats compact" },
      stat("cameras", t("report.cameras"), String(s.cameras)),
      stat("reachable", t("report.reachable"), String(s.reachable), s.reachable < s.cameras ? "warn" : "ok"),
      stat("meeting", t("report.meeting"), String(s.meeting_minimum), s.meeting_minimum < s.cameras ? "warn" : "ok"),
      stat("failing", t("report.failing"), String(s.failing), s.failing > 0 ? "bad" : "ok"),
      stat("storage", t("report.storage"), formatGB(s.storage_per_day_bytes))),
    failureCounts(s),
    rep.not_surveyed?.length
      ? h("p", { class: "muted", "data-testid": "not-surveyed" }, t("report.notSurveyed", {
        list: rep.not_surveyed.map((id) => cameras.find((c) => c.id === id)?.name || id).join(", "),
      }))
      : null);

  const sections = rep.facilities.map((f) => {
    const rows = rep.cameras.filter((c) => c.facility === f.id).map((c) => cameraRow(c));
    return h("section", { class: "report-facility", "data-testid": "report-facility", "data-facility": f.id },
      h("h3", {}, f.name || f.id),
      h("p", { class: "facility-summary" }, summaryLine(f)),
      failureCounts(f),
      h("div", { class: "table-wrap" }, h("table", { class: "data report-table", "data-testid": "survey-table" },
        h("thead", {}, h("tr", {}, ...reportColumns.map((k) => h("th", { scope: "col" }, t(k))))),
        h("tbody", {}, ...rows))));
  });
  return [head, summary, ...sections];
}

const reportColumns: Key[] = [
  "report.col.camera", "report.col.reachable", "report.col.codec", "report.col.resolution", "report.col.fps",
  "report.col.gop", "report.col.bitrate", "report.col.audio", "report.col.transport", "report.col.verdict",
];

function stat(id: string, label: string, value: string, tone = ""): HTMLElement {
  return h("div", { class: `stat ${tone}`, "data-testid": `survey-stat-${id}` },
    h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}

function summaryLine(s: SurveySummary): string {
  return t("report.summaryLine", {
    cameras: s.cameras, reachable: s.reachable, meeting: s.meeting_minimum, failing: s.failing,
    storage: formatGB(s.storage_per_day_bytes),
  });
}

function failureCounts(s: SurveySummary): HTMLElement | null {
  const counts = Object.entries(s.failure_counts ?? {});
  if (!counts.length) return null;
  counts.sort((a, b) => b[1] - a[1]);
  return h("p", { class: "failure-counts" }, h("strong", {}, t("report.failReasons")), " ",
    counts.map(([code, n]) => `${reasonLabel(code)} (${n})`).join(", "));
}

function reasonLabel(code: string): string {
  return lookup(`reason.${code}`) ?? code;
}

function minimumText(rep: SurveyReport): string {
  const m = rep.minimum;
  const parts: string[] = [];
  if (m.resolution && m.resolution !== "none") parts.push(t("report.minResolution", { r: m.resolution }));
  if (m.fps) parts.push(t("report.minFps", { n: formatFPS(m.fps) }));
  if (m.codecs?.length) parts.push(t("report.minCodecs", { list: m.codecs.join(", ") }));
  if (m.max_gop_seconds) parts.push(t("report.minGop", { n: m.max_gop_seconds }));
  if (m.continuous) parts.push(t("report.minContinuous", { n: m.max_stall_seconds }));
  return parts.length ? parts.join("; ") : t("report.minNone");
}

/** The people-facing text of a message the server gives in both languages. */
function localized(en: string | undefined, vi: string | undefined): string {
  return (currentLang() === "vi" ? vi || en : en || vi) ?? "";
}

function cameraRow(c: SurveyCamera): HTMLTableRowElement {
  const s = c.main;
  const measured = s.reachable && !s.reason;
  const dash = "—";
  const [path, params] = cameraHref(c.camera_id);
  const note = localized(s.message, s.message_vi);
  return h("tr", { "data-testid": "survey-row", "data-camera": c.camera_id, class: c.meets_minimum ? "" : "row-bad" },
    td({}, pageLink(path, params, {}, h("strong", {}, c.name || c.camera_id)),
      h("div", { class: "muted small" }, [c.camera_id, c.location].filter(Boolean).join(" · ")),
      c.enabled ? null : h("div", { class: "muted small" }, t("report.disabled"))),
    td({ "data-testid": "survey-reachable" },
      s.reachable ? h("span", { class: "ok-text" }, t("report.yes")) : h("span", { class: "bad-text" }, t("report.no")),
      // Why not, in short: the verdict says it in full.
      s.reason ? h("div", { class: "small", title: note }, reasonLabel(s.reason)) : note ? h("div", { class: "muted small" }, note) : null),
    td({}, measured && s.codec ? [s.codec, s.profile, s.level].filter(Boolean).join(" ") : dash),
    td({ "data-testid": "survey-resolution" }, measured && s.width && s.height ? `${s.width}×${s.height}` : dash),
    td({ class: "num" }, measured ? formatFPS(s.fps) : dash),
    td({}, measured ? gopText(s) : dash),
    td({ class: "num" }, measured ? formatBitrate(s.bitrate_bps) : dash),
    td({}, measured ? audioText(s) : dash),
    td({}, s.transport || dash),
    td({ "data-testid": "survey-verdict" }, ...(c.meets_minimum
      ? [h("span", { class: "badge verdict-ok" }, t("report.meets"))]
      : [h("span", { class: "badge verdict-bad" }, t("report.fails")),
        h("ul", { class: "failures" }, ...(c.failures ?? []).map((f) => h("li", {}, localized(f.message, f.message_vi))))])),
  );
}

function gopText(s: SurveyStream): string {
  const secs = Math.round(s.gop_seconds * 10) / 10;
  if (s.gop_open) return t("report.gopOpen", { s: secs });
  return t("report.gop", { n: s.gop_frames, s: secs });
}

function audioText(s: SurveyStream): string {
  if (!s.audio) return t("report.noAudio");
  const rate = s.audio_rate ? ` ${Math.round(s.audio_rate / 100) / 10} kHz` : "";
  const ch = s.audio_channels ? ` · ${s.audio_channels === 1 ? "mono" : s.audio_channels === 2 ? "stereo" : `${s.audio_channels} ch`}` : "";
  return `${s.audio}${rate}${ch}`;
}
