// The timeline under the player: what was recorded (spans), what was not (gaps), when the camera was
// down and why (outages), the playhead, and a range selection for export. The track maps x to wall-clock
// time linearly, edge to edge, so every pointer position is a time.
import { getJSON, parseTime, urls, type Timeline as TimelineAnswer } from "./api";
import { h, relabel, setAttr, setText } from "./dom";
import { currentLang, stateLabel, t } from "./i18n";
import { clearError, messageOf, showError } from "./notice";
import { formatDate, formatDateTime, formatDuration, formatHM, formatTime, offsetAt } from "./zone";

export interface Range {
  start: number;
  end: number;
}

export interface TimelineHooks {
  /** a click, or the end of a playhead drag: go to that time */
  seek(ms: number): void;
  /** the playhead is being dragged over ms */
  scrub(ms: number): void;
  selectionChanged(range: Range | null): void;
}

interface Outage extends Range {
  state: string;
  reason: string;
}

interface Data {
  from: number;
  to: number;
  spans: Range[];
  gaps: Range[];
  outages: Outage[];
}

type Drag =
  | { kind: "select"; anchor: number; x0: number; moved: boolean }
  | { kind: "scrub"; x0: number; moved: boolean }
  | { kind: "press"; x0: number; start0: number; moved: boolean };

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;
/** zoom levels, widest first */
export const zooms = [day, 12 * hour, 6 * hour, 3 * hour, hour, 30 * minute, 15 * minute, 5 * minute, minute];
const tickSteps = [
  second, 2 * second, 5 * second, 10 * second, 15 * second, 30 * second,
  minute, 2 * minute, 5 * minute, 10 * minute, 15 * minute, 30 * minute,
  hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour, day,
];
const labelMinPx = 70;
const minorMinPx = 8;
const maxExport = day;
const refreshMs = 10000;
const maxFetch = 31 * day;
/** how far past now the window may reach, so "now" sits just inside the right edge */
const nowMargin = 0.03;
const dragThresholdPx = 4;
const playheadGrabPx = 7;

export class Timeline {
  readonly el: HTMLElement;
  private zoom = 4; // one hour
  private startMs: number;
  private follow = true;
  private live = true;
  private playhead: number | null = null;
  private scrubAt: number | null = null;
  private selection: Range | null = null;
  private selectMode = false;
  private selCheck: { key: string; spans: Range[] | null } | null = null;
  private data: Data | null = null;
  private fetchSeq = 0;
  private fetchTimer = 0;
  private readonly refreshTimer: number;
  private drag: Drag | null = null;
  private lastScrub = 0;
  private wheelAt = 0;
  private width = 0;
  private readonly resize: ResizeObserver;

  private readonly track: HTMLElement;
  private readonly grid = h("div", { class: "tl-grid", "aria-hidden": "true" });
  private readonly future = h("div", { class: "tl-future", "aria-hidden": "true" });
  private readonly nowLine = h("div", { class: "tl-now", "aria-hidden": "true" });
  private readonly playheadEl = h("div", { class: "tl-playhead", "data-testid": "playhead", "aria-hidden": "true" });
  private readonly selEl = h("div", { class: "tl-selection", "data-testid": "selection" });
  private readonly hover = h("div", { class: "tl-hover", hidden: true });
  private readonly ticks = h("div", { class: "tl-ticks", "aria-hidden": "true" });
  private readonly days = h("div", { class: "tl-days", "aria-hidden": "true" });
  private readonly windowLabel = h("span", { class: "tl-window" });
  private readonly zoomLabel = h("span", { class: "tl-zoom" });
  private readonly zoomIn: HTMLButtonElement;
  private readonly zoomOut: HTMLButtonElement;
  private readonly selectToggle: HTMLButtonElement;
  private readonly selInfo = h("div", { class: "tl-selinfo", hidden: true });

  constructor(
    private readonly cameraId: string,
    private readonly hooks: TimelineHooks,
    /** false for someone who may not export: no range selection (its only use is the export) */
    private readonly canSelect = true,
  ) {
    this.startMs = Date.now() + zooms[this.zoom] * nowMargin - zooms[this.zoom];
    this.track = h("div", {
      class: "tl-track",
      "data-testid": "timeline-track",
      tabindex: 0,
      role: "slider",
      i18nLabel: "tl.label",
      "aria-valuemin": 0,
    });
    this.track.append(this.grid, this.future, this.nowLine, this.playheadEl, this.hover);
    this.zoomOut = h("button", { type: "button", class: "icon", "data-testid": "zoom-out", i18nLabel: "tl.zoomOut", onclick: () => this.zoomBy(-1) }, "−");
    this.zoomIn = h("button", { type: "button", class: "icon", "data-testid": "zoom-in", i18nLabel: "tl.zoomIn", onclick: () => this.zoomBy(1) }, "+");
    this.selectToggle = h("button", { type: "button", class: "tl-select-toggle", "aria-pressed": "false", onclick: () => this.toggleSelectMode() },
      h("span", { i18n: "tl.select" }));
    this.selectToggle.setAttribute("aria-label", t("tl.selectLabel"));
    this.selectToggle.dataset.i18nLabel = "tl.selectLabel";
    this.selectToggle.title = t("tl.selectLabel");
    const bar = h(
      "div",
      { class: "tl-bar" },
      h("button", { type: "button", class: "icon", "data-testid": "pan-back", i18nLabel: "tl.panBack", onclick: () => this.pan(-0.5) }, "◀"),
      h("button", { type: "button", class: "icon", "data-testid": "pan-forward", i18nLabel: "tl.panForward", onclick: () => this.pan(0.5) }, "▶"),
      h("button", { type: "button", class: "tl-now-btn", "data-testid": "timeline-now", i18nLabel: "tl.nowLabel", onclick: () => this.toNow() },
        h("span", { i18n: "tl.now" })),
      this.windowLabel,
      h("span", { class: "spacer" }),
      this.legend(),
      this.canSelect ? this.selectToggle : null,
      h("span", { class: "tl-zoomgroup" }, this.zoomOut, this.zoomLabel, this.zoomIn),
    );
    this.el = h("section", { class: "timeline", "data-testid": "timeline", i18nLabel: "tl.label" },
      bar, this.days, this.track, this.ticks, this.selInfo);

    this.track.addEventListener("pointerdown", (e) => this.onDown(e));
    this.track.addEventListener("pointermove", (e) => this.onMove(e));
    this.track.addEventListener("pointerup", (e) => this.onUp(e));
    this.track.addEventListener("pointercancel", () => this.cancelDrag());
    this.track.addEventListener("pointerleave", () => (this.hover.hidden = true));
    this.track.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.resize = new ResizeObserver(() => this.render());
    this.resize.observe(this.track);
    this.refreshTimer = window.setInterval(() => this.refreshIfLive(), refreshMs);
    this.render();
    this.scheduleFetch(0);
  }

  destroy(): void {
    window.clearInterval(this.refreshTimer);
    window.clearTimeout(this.fetchTimer);
    this.fetchSeq++;
    this.resize.disconnect();
    clearError("timeline");
  }

  relabel(): void {
    relabel(this.el);
    this.render();
    this.renderSelection();
  }

  get span(): number {
    return zooms[this.zoom];
  }

  get endMs(): number {
    return this.startMs + this.span;
  }

  /** Moves the playhead; while following, the window keeps it in view (live: the window ends at now). */
  setPlayhead(ms: number | null, live: boolean): void {
    this.playhead = ms;
    this.live = live;
    // The window never moves under a pointer that is dragging on it.
    if (this.follow && ms !== null && !this.drag) {
      const before = this.startMs;
      if (live) {
        this.placeEnd(Date.now());
      } else if (ms < this.startMs || ms > this.startMs + this.span * 0.95) {
        // A page turn puts the playhead near the left edge. Near now the window cannot turn (it stops at
        // now): it then stays put rather than creep along under the user's pointer.
        this.startMs = ms - this.span * 0.1;
        this.clamp();
        const outside = ms < before || ms > before + this.span;
        if (!outside && Math.abs(this.startMs - before) < this.span * 0.25) this.startMs = before;
      }
      if (this.pxOf(Math.abs(this.startMs - before)) >= 1) {
        this.render();
        this.scheduleFetch(150);
        return;
      }
      this.startMs = before;
    }
    this.renderPlayhead();
  }

  /** After a jump (a seek, going live): the window follows the playhead again. */
  reveal(ms: number | null): void {
    this.follow = true;
    if (ms !== null && (ms < this.startMs || ms > this.endMs)) {
      this.startMs = ms - this.span / 2;
      this.clamp();
      this.render();
      this.scheduleFetch(0);
    }
  }

  setSelection(range: Range | null): void {
    this.selection = this.canSelect && range && range.end > range.start ? range : null;
    this.renderSelection();
  }

  getSelection(): Range | null {
    return this.selection;
  }

  zoomBy(delta: number, anchor?: number): void {
    const next = Math.min(Math.max(this.zoom + delta, 0), zooms.length - 1);
    if (next === this.zoom) return;
    const at = anchor ?? (this.playhead !== null && this.playhead >= this.startMs && this.playhead <= this.endMs
      ? this.playhead
      : this.startMs + this.span / 2);
    const frac = (at - this.startMs) / this.span;
    this.zoom = next;
    this.startMs = at - frac * this.span;
    this.clamp();
    this.render();
    this.scheduleFetch(100);
  }

  pan(fraction: number): void {
    this.follow = false;
    this.startMs += fraction * this.span;
    this.clamp();
    this.render();
    this.scheduleFetch(100);
  }

  toNow(): void {
    this.follow = this.live;
    this.placeEnd(Date.now());
    this.render();
    this.scheduleFetch(0);
  }

  private toggleSelectMode(): void {
    this.selectMode = !this.selectMode;
    this.selectToggle.setAttribute("aria-pressed", String(this.selectMode));
    this.track.classList.toggle("selecting", this.selectMode);
  }

  private legend(): HTMLElement {
    const item = (cls: string, key: "tl.recorded" | "tl.gap" | "tl.outage") =>
      h("span", { class: "tl-legend-item" }, h("span", { class: `swatch ${cls}` }), h("span", { i18n: key }));
    return h("span", { class: "tl-legend" }, item("span", "tl.recorded"), item("gap", "tl.gap"), item("outage", "tl.outage"));
  }

  private placeEnd(ms: number): void {
    this.startMs = ms + this.span * nowMargin - this.span;
  }

  /** The window never reaches into the future beyond a small margin. */
  private clamp(): void {
    const maxStart = Date.now() + this.span * nowMargin - this.span;
    if (this.startMs > maxStart) this.startMs = maxStart;
  }

  private pxOf(ms: number): number {
    return (ms / this.span) * this.width;
  }

  private pct(ms: number): number {
    return ((ms - this.startMs) / this.span) * 100;
  }

  private msAt(clientX: number): number {
    const r = this.track.getBoundingClientRect();
    const frac = Math.min(Math.max((clientX - r.left) / r.width, 0), 1);
    return Math.round(this.startMs + frac * this.span);
  }

  // ---- drawing ----

  private render(): void {
    this.width = this.track.getBoundingClientRect().width || this.width || 1;
    this.el.dataset.startMs = String(Math.round(this.startMs));
    this.el.dataset.endMs = String(Math.round(this.endMs));
    setAttr(this.track, "aria-valuemax", String(Math.round(this.span / 1000)));
    const sameDay = formatDate(this.startMs) === formatDate(this.endMs);
    setText(this.windowLabel, sameDay
      ? `${formatDateTime(this.startMs)} – ${formatTime(this.endMs)}`
      : `${formatDateTime(this.startMs)} – ${formatDateTime(this.endMs)}`);
    setText(this.zoomLabel, zoomText(this.span));
    this.zoomIn.disabled = this.zoom === zooms.length - 1;
    this.zoomOut.disabled = this.zoom === 0;
    this.renderData();
    this.renderTicks();
    this.renderNow();
    this.renderPlayhead();
    this.renderSelection();
  }

  private renderData(): void {
    for (const old of this.track.querySelectorAll(".tl-seg")) old.remove();
    const d = this.data;
    if (!d) return;
    const frag = document.createDocumentFragment();
    const add = (r: Range, kind: "span" | "gap" | "outage", title?: string) => {
      const s = Math.max(r.start, this.startMs);
      const e = Math.min(r.end, this.endMs);
      if (e <= s) return;
      const el = h("div", {
        class: `tl-seg ${kind}`,
        "data-testid": kind,
        "data-start-ms": Math.round(r.start),
        "data-end-ms": Math.round(r.end),
        title,
      });
      el.style.left = `${this.pct(s)}%`;
      el.style.width = `${((e - s) / this.span) * 100}%`;
      frag.append(el);
    };
    for (const g of d.gaps) add(g, "gap");
    for (const s of d.spans) add(s, "span");
    for (const o of d.outages) {
      const reason = o.reason ? `: ${o.reason}` : "";
      add(o, "outage", `${stateLabel(o.state)}${reason}\n${formatDateTime(o.start)} – ${formatDateTime(o.end)}`);
    }
    this.track.insertBefore(frag, this.selEl.isConnected ? this.selEl : this.nowLine);
  }

  private renderTicks(): void {
    const pxPerMs = this.width / this.span;
    const major = tickSteps.find((s) => s * pxPerMs >= labelMinPx) ?? day;
    const minor = [...tickSteps].reverse().find((s) => s < major && major % s === 0 && s * pxPerMs >= minorMinPx);
    const labels: HTMLElement[] = [];
    const lines: HTMLElement[] = [];
    const withSeconds = major < minute;
    for (const at of ticksIn(this.startMs, this.endMs, minor ?? major)) {
      const isMajor = isAligned(at, major);
      const line = h("div", { class: isMajor ? "tick major" : "tick" });
      line.style.left = `${this.pct(at)}%`;
      lines.push(line);
      if (isMajor) {
        // Labels at the edges are pulled inside rather than cut off.
        const x = this.pxOf(at - this.startMs);
        const edge = x < 28 ? " edge-left" : x > this.width - 28 ? " edge-right" : "";
        const label = h("span", { class: "tick-label" + edge }, withSeconds ? formatTime(at) : formatHM(at));
        label.style.left = `${this.pct(at)}%`;
        labels.push(label);
      }
    }
    this.grid.replaceChildren(...lines);
    this.ticks.replaceChildren(...labels);
    this.renderDays();
  }

  private renderDays(): void {
    const items: HTMLElement[] = [h("span", { class: "day first" }, formatDate(this.startMs))];
    for (const at of ticksIn(this.startMs, this.endMs, day)) {
      const x = this.pxOf(at - this.startMs);
      // A midnight near the left edge would overlap the first label: that label then shows its day.
      if (x < 90) {
        items[0].textContent = formatDate(at);
        continue;
      }
      const label = h("span", { class: "day" }, formatDate(at));
      label.style.left = `${this.pct(at)}%`;
      items.push(label);
    }
    this.days.replaceChildren(...items);
  }

  private renderNow(): void {
    const now = Date.now();
    const inside = now >= this.startMs && now <= this.endMs;
    this.nowLine.hidden = !inside;
    this.future.hidden = !inside;
    if (inside) {
      this.nowLine.style.left = `${this.pct(now)}%`;
      this.future.style.left = `${this.pct(now)}%`;
      this.future.style.width = `${100 - this.pct(now)}%`;
    }
  }

  private renderPlayhead(): void {
    const at = this.scrubAt ?? this.playhead;
    const visible = at !== null && at >= this.startMs && at <= this.endMs;
    this.playheadEl.hidden = !visible;
    if (visible) this.playheadEl.style.left = `${this.pct(at)}%`;
    this.playheadEl.classList.toggle("live", this.live && this.scrubAt === null);
    if (at !== null) {
      setAttr(this.track, "aria-valuenow", String(Math.round((at - this.startMs) / 1000)));
      setAttr(this.track, "aria-valuetext", formatDateTime(at));
    }
    if (this.live) this.renderNow();
  }

  private renderSelection(): void {
    const sel = this.selection;
    this.selInfo.hidden = !sel;
    // Without a selection there is no selection element (nor export link) at all.
    if (!sel) {
      this.selEl.remove();
      delete this.selInfo.dataset.signature;
      this.selInfo.replaceChildren();
      return;
    }
    if (!this.selEl.isConnected) this.track.insertBefore(this.selEl, this.nowLine);
    this.selEl.dataset.startMs = String(sel.start);
    this.selEl.dataset.endMs = String(sel.end);
    const s = Math.max(sel.start, this.startMs);
    const e = Math.min(sel.end, this.endMs);
    this.selEl.style.display = e > s ? "" : "none";
    this.selEl.style.left = `${this.pct(s)}%`;
    this.selEl.style.width = `${((e - s) / this.span) * 100}%`;
    this.renderSelInfo(sel);
  }

  /** Redraws the selection's panel when what it says changed: a link replaced under the pointer loses its click. */
  private renderSelInfo(sel: Range): void {
    const signature = `${sel.start}|${sel.end}|${currentLang()}|${this.recordedNothing(sel)}`;
    if (this.selInfo.dataset.signature === signature) return;
    this.selInfo.dataset.signature = signature;
    const range = t("sel.range", {
      start: formatDateTime(sel.start),
      end: formatDate(sel.start) === formatDate(sel.end) ? formatTime(sel.end) : formatDateTime(sel.end),
      duration: formatDuration(sel.end - sel.start),
    });
    const tooLong = sel.end - sel.start > maxExport;
    const empty = this.recordedNothing(sel);
    const blocked = tooLong || empty;
    const link = h("a", {
      class: "button primary",
      "data-testid": "export",
      download: "",
      href: blocked ? null : urls.export(this.cameraId, sel.start, sel.end),
      "aria-disabled": blocked ? "true" : null,
      i18nLabel: "sel.exportLabel",
    }, "⤓ ", h("span", { i18n: "sel.export" }));
    const noteKey = tooLong ? "sel.tooLong" : empty ? "sel.empty" : null;
    const note = noteKey ? h("span", { class: "tl-sel-note", "data-testid": "selection-note", i18n: noteKey }) : "";
    this.selInfo.replaceChildren(
      h("span", { class: "tl-sel-title", i18n: "sel.label" }),
      h("span", { class: "tl-sel-range", "data-testid": "selection-range" }, range),
      h("button", { type: "button", "data-testid": "selection-play", onclick: () => this.hooks.seek(sel.start) },
        "▶ ", h("span", { i18n: "sel.play" })),
      link,
      note,
      h("button", { type: "button", class: "icon", "data-testid": "selection-clear", i18nLabel: "sel.clear",
        onclick: () => this.clearSelection() }, "×"),
    );
  }

  /**
   * True only when it is known that nothing was recorded in the range: from the loaded timeline, or
   * (for a selection outside it, as from a shared link) from a request of its own.
   */
  private recordedNothing(sel: Range): boolean {
    const d = this.data;
    const overlaps = (spans: Range[]) => spans.some((r) => r.start < sel.end && r.end > sel.start);
    if (d && d.from <= sel.start && d.to >= Math.min(sel.end, Date.now()) - 1000) return !overlaps(d.spans);
    const key = `${sel.start}|${sel.end}`;
    if (this.selCheck?.key === key) return this.selCheck.spans !== null && !overlaps(this.selCheck.spans);
    this.selCheck = { key, spans: null };
    if (sel.end - sel.start <= maxFetch) void this.checkSelection(sel, key);
    return false;
  }

  private async checkSelection(sel: Range, key: string): Promise<void> {
    try {
      const answer = await getJSON<TimelineAnswer>(urls.timeline(this.cameraId, sel.start, sel.end));
      if (this.selCheck?.key !== key) return;
      this.selCheck.spans = toData(answer, sel.start, sel.end).spans;
      if (this.selection) this.renderSelInfo(this.selection);
    } catch {
      /* unknown: the export link stays, and the server explains any failure */
    }
  }

  clearSelection(): void {
    if (!this.selection) return;
    this.selection = null;
    this.renderSelection();
    this.hooks.selectionChanged(null);
  }

  // ---- pointer ----

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.track.focus({ preventScroll: true });
    this.track.setPointerCapture(e.pointerId);
    const x = e.clientX;
    const r = this.track.getBoundingClientRect();
    const headX = this.playhead === null ? NaN : r.left + ((this.playhead - this.startMs) / this.span) * r.width;
    if (this.canSelect && (e.shiftKey || this.selectMode)) {
      this.drag = { kind: "select", anchor: this.msAt(x), x0: x, moved: false };
    } else if (Math.abs(x - headX) <= playheadGrabPx) {
      this.drag = { kind: "scrub", x0: x, moved: false };
    } else {
      this.drag = { kind: "press", x0: x, start0: this.startMs, moved: false };
    }
  }

  private onMove(e: PointerEvent): void {
    this.showHover(e.clientX);
    const d = this.drag;
    if (!d) return;
    const dx = e.clientX - d.x0;
    if (Math.abs(dx) > dragThresholdPx) d.moved = true;
    if (!d.moved) return;
    const at = this.msAt(e.clientX);
    if (d.kind === "select") {
      this.selection = snapRange(d.anchor, at);
      this.renderSelection();
    } else if (d.kind === "scrub") {
      this.scrubAt = Math.min(at, Date.now());
      this.renderPlayhead();
      if (performance.now() - this.lastScrub > 150) {
        this.lastScrub = performance.now();
        this.hooks.scrub(this.scrubAt);
      }
    } else {
      this.follow = false;
      this.startMs = d.start0 - (dx / this.width) * this.span;
      this.clamp();
      this.render();
    }
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    const at = Math.min(this.msAt(e.clientX), Date.now());
    if (d.kind === "select" && d.moved) {
      this.selection = snapRange(d.anchor, this.msAt(e.clientX));
      this.renderSelection();
      this.hooks.selectionChanged(this.selection);
    } else if (d.kind === "press" && d.moved) {
      this.scheduleFetch(0);
    } else {
      this.scrubAt = null;
      this.hooks.seek(at);
      this.renderPlayhead();
    }
  }

  private cancelDrag(): void {
    this.drag = null;
    this.scrubAt = null;
    this.renderPlayhead();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const horizontal = Math.abs(e.deltaX) > Math.abs(e.deltaY) || e.shiftKey;
    if (horizontal) {
      const delta = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.deltaY;
      this.follow = false;
      this.startMs += (delta / this.width) * this.span;
      this.clamp();
      this.render();
      this.scheduleFetch(200);
      return;
    }
    // One zoom step per gesture notch: trackpads send dozens of small deltas.
    if (performance.now() - this.wheelAt < 120 || e.deltaY === 0) return;
    this.wheelAt = performance.now();
    this.zoomBy(e.deltaY < 0 ? 1 : -1, this.msAt(e.clientX));
  }

  private showHover(clientX: number): void {
    const at = this.msAt(clientX);
    const multiDay = formatDate(this.startMs) !== formatDate(this.endMs);
    setText(this.hover, multiDay ? formatDateTime(at) : formatTime(at));
    this.hover.style.left = `${this.pct(at)}%`;
    this.hover.hidden = false;
  }

  // ---- data ----

  private scheduleFetch(delay: number): void {
    window.clearTimeout(this.fetchTimer);
    this.fetchTimer = window.setTimeout(() => void this.fetchIfNeeded(false), delay);
  }

  private refreshIfLive(): void {
    if (this.endMs >= Date.now() - this.span * nowMargin) void this.fetchIfNeeded(true);
    else this.renderNow();
  }

  private async fetchIfNeeded(force: boolean): Promise<void> {
    const now = Date.now();
    const wantTo = Math.min(this.endMs, now);
    const d = this.data;
    // Near now the data may lag by up to one refresh: the periodic refresh, not every slide, renews it.
    const slack = wantTo >= now - refreshMs ? refreshMs + 1000 : 1000;
    if (!force && d && d.from <= this.startMs && d.to >= wantTo - slack) return;
    // Half a window of margin each side, so small pans need no request.
    let from = this.startMs - this.span / 2;
    const to = Math.min(this.endMs + this.span / 2, now);
    if (to - from > maxFetch) from = to - maxFetch;
    if (to <= from) return;
    const seq = ++this.fetchSeq;
    this.track.classList.add("loading");
    try {
      const answer = await getJSON<TimelineAnswer>(urls.timeline(this.cameraId, from, to));
      if (seq !== this.fetchSeq) return;
      this.data = toData(answer, from, to);
      clearError("timeline");
      this.renderData();
      if (this.selection) this.renderSelInfo(this.selection);
    } catch (err) {
      if (seq === this.fetchSeq) showError("timeline", messageOf(err));
    } finally {
      if (seq === this.fetchSeq) this.track.classList.remove("loading");
    }
  }
}

function toData(a: TimelineAnswer, from: number, to: number): Data {
  const ranges = (list: { start: string; end: string }[] | null | undefined): Range[] => {
    const out: Range[] = [];
    for (const r of list ?? []) {
      const s = parseTime(r.start);
      const e = parseTime(r.end);
      if (s !== null && e !== null && e > s) out.push({ start: s, end: e });
    }
    return out;
  };
  const outages: Outage[] = [];
  for (const o of a.outages ?? []) {
    const s = parseTime(o.start);
    const e = parseTime(o.end);
    if (s !== null && e !== null && e > s) outages.push({ start: s, end: e, state: o.state, reason: o.reason ?? "" });
  }
  return { from, to, spans: ranges(a.spans), gaps: ranges(a.gaps), outages };
}

/** A selection in whole seconds, at least one second long, never past now. */
function snapRange(a: number, b: number): Range {
  const now = Date.now();
  const start = Math.floor(Math.min(a, b, now) / 1000) * 1000;
  const end = Math.max(Math.ceil(Math.min(Math.max(a, b), now) / 1000) * 1000, start + 1000);
  return { start, end };
}

/** Instants in [from, to] at which the zone's clock is a multiple of step (whole minutes, hours, days). */
function ticksIn(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  const off = offsetAt(from);
  let at = Math.ceil((from + off) / step) * step - off;
  for (; at <= to && out.length < 2000; at += step) out.push(at);
  return out;
}

function isAligned(at: number, step: number): boolean {
  return (at + offsetAt(at)) % step === 0;
}

function zoomText(span: number): string {
  if (span === minute) return t("tl.span1m");
  if (span < hour) return t("tl.spanMin", { n: span / minute });
  if (span === hour) return t("tl.span1h");
  return t("tl.spanH", { n: span / hour });
}
