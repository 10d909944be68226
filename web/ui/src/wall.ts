// The live wall: every camera of a facility (or all of them) in a grid of 1, 4, 9 or 16 tiles, paged
// when there are more cameras than tiles. Only the tiles on screen hold a stream.
import { urls, type Camera, parseTime } from "./api";
import { watchCameras } from "./cameras";
import { h, relabel, setAttr, setText } from "./dom";
import { stateLabel, t } from "./i18n";
import type { HlsConfig } from "hls.js";
import { LiveStream, liveStatusText, plainHlsLoader, releaseVideo, type LiveStatus } from "./live";
import { buildQuery, navigate, replaceQuery, type View } from "./nav";
import { formatDateTime, formatTime } from "./zone";

const grids = [1, 4, 9, 16] as const;
type Grid = (typeof grids)[number];
const defaultGrid: Grid = 4;

interface WallState {
  facility: string;
  grid: Grid;
  page: number;
}

function readState(query: URLSearchParams): WallState {
  const g = Number(query.get("grid"));
  const page = Math.floor(Number(query.get("page")));
  return {
    facility: query.get("facility") || "all",
    grid: (grids as readonly number[]).includes(g) ? (g as Grid) : defaultGrid,
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  };
}

export function createWall(query: URLSearchParams): View {
  const state = readState(query);
  let cameras: Camera[] | null = null;
  const tiles = new Map<string, Tile>();

  const facilityBar = h("div", { class: "facilities", role: "group", i18nLabel: "wall.facilities" });
  const gridBar = h("div", { class: "grids", role: "group", i18nLabel: "wall.grid" });
  const pageText = h("span", { class: "page-text", "aria-live": "polite" });
  const prev = h("button", { type: "button", class: "icon", i18nLabel: "wall.prev", onclick: () => goPage(-1) }, "‹");
  const next = h("button", { type: "button", class: "icon", i18nLabel: "wall.next", onclick: () => goPage(1) }, "›");
  const pager = h("div", { class: "pager" }, prev, pageText, next);
  const grid = h("div", { class: "wall-grid" });
  const empty = h("p", { class: "wall-empty", i18n: "wall.loading" });
  const el = h(
    "section",
    { class: "wall", "data-testid": "wall", i18nLabel: "wall.label" },
    h("div", { class: "toolbar" }, facilityBar, h("div", { class: "spacer" }), pager, gridBar),
    empty,
    grid,
  );

  for (const n of grids) {
    gridBar.append(
      h(
        "button",
        {
          type: "button",
          class: "grid-btn",
          "data-testid": `grid-${n}`,
          "data-grid": n,
          "aria-label": t("wall.gridN", { n }),
          title: t("wall.gridN", { n }),
          onclick: () => setGrid(n),
        },
        gridIcon(n),
      ),
    );
  }

  const unwatch = watchCameras((list) => {
    cameras = list;
    render();
  });

  function setGrid(n: Grid): void {
    if (n === state.grid) return;
    // A tile's stream settings depend on the grid (see tileConfig), so the tiles start afresh.
    for (const tile of tiles.values()) tile.destroy();
    tiles.clear();
    state.grid = n;
    state.page = 1;
    render();
  }

  function setFacility(id: string): void {
    state.facility = id;
    state.page = 1;
    render();
  }

  function goPage(delta: number): void {
    state.page += delta;
    render();
  }

  function render(): void {
    renderGridButtons();
    if (!cameras) return;
    const facilities = groupByFacility(cameras);
    if (state.facility !== "all" && !facilities.has(state.facility)) state.facility = "all";
    renderFacilities(facilities);
    const shown = state.facility === "all" ? cameras : (facilities.get(state.facility) ?? []);
    const pages = Math.max(1, Math.ceil(shown.length / state.grid));
    state.page = Math.min(Math.max(1, state.page), pages);
    setText(pageText, t("wall.page", { page: state.page, pages }));
    pager.hidden = pages <= 1;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    const onPage = shown.slice((state.page - 1) * state.grid, state.page * state.grid);
    renderTiles(onPage);
    empty.hidden = shown.length > 0;
    if (!empty.hidden) {
      empty.dataset.i18n = "wall.empty";
      empty.textContent = t("wall.empty");
    }
    replaceQuery({
      facility: state.facility === "all" ? null : state.facility,
      grid: state.grid === defaultGrid ? null : String(state.grid),
      page: state.page === 1 ? null : String(state.page),
    });
  }

  function renderGridButtons(): void {
    for (const b of gridBar.querySelectorAll<HTMLButtonElement>("button")) {
      setAttr(b, "aria-pressed", String(Number(b.dataset.grid) === state.grid));
    }
  }

  function renderFacilities(facilities: Map<string, Camera[]>): void {
    const entries: [string, Camera[]][] = [["all", cameras ?? []], ...facilities];
    const buttons = entries.map(([id, list]) => {
      const online = list.filter((c) => c.state === "online").length;
      const label = id === "all" ? t("wall.all") : id;
      const b = h(
        "button",
        {
          type: "button",
          class: "facility",
          "data-testid": "facility",
          "data-facility": id,
          "aria-pressed": String(id === state.facility),
          onclick: () => setFacility(id),
        },
        h("span", { class: "facility-name" }, label),
        h("span", { class: online < list.length ? "count warn" : "count" }, `${online}/${list.length}`),
      );
      return b;
    });
    // Rebuilt only when something shown changed, so a focused button keeps its focus across polls.
    const signature = buttons.map((b) => b.outerHTML).join("");
    if (facilityBar.dataset.signature !== signature) {
      facilityBar.replaceChildren(...buttons);
      facilityBar.dataset.signature = signature;
    }
  }

  function renderTiles(onPage: Camera[]): void {
    const keep = new Set(onPage.map((c) => c.id));
    for (const [id, tile] of tiles) {
      if (!keep.has(id)) {
        tile.destroy();
        tiles.delete(id);
      }
    }
    const cells: HTMLElement[] = [];
    for (const cam of onPage) {
      let tile = tiles.get(cam.id);
      if (!tile) {
        tile = new Tile(cam, state.grid);
        tiles.set(cam.id, tile);
      }
      tile.update(cam);
      cells.push(tile.el);
    }
    const cols = Math.sqrt(state.grid);
    while (cells.length < state.grid && onPage.length > 0) cells.push(h("div", { class: "tile-empty" }));
    grid.style.setProperty("--cols", String(cols));
    // Moving a playing video in the DOM restarts its decoder, so the cells are only touched on change.
    const same = cells.length === grid.children.length && cells.every((c, i) => grid.children[i] === c);
    if (!same) grid.replaceChildren(...cells);
  }

  return {
    el,
    relabel() {
      relabel(el);
      for (const b of gridBar.querySelectorAll<HTMLButtonElement>("button")) {
        const text = t("wall.gridN", { n: Number(b.dataset.grid) });
        b.setAttribute("aria-label", text);
        b.title = text;
      }
      facilityBar.dataset.signature = "";
      render();
      for (const tile of tiles.values()) tile.relabel();
    },
    destroy() {
      unwatch();
      for (const tile of tiles.values()) tile.destroy();
      tiles.clear();
    },
  };
}

function groupByFacility(cameras: Camera[]): Map<string, Camera[]> {
  const out = new Map<string, Camera[]>();
  for (const c of [...cameras].sort((a, b) => a.facility.localeCompare(b.facility))) {
    const list = out.get(c.facility) ?? [];
    list.push(c);
    out.set(c.facility, list);
  }
  return out;
}

function gridIcon(n: number): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  const k = Math.sqrt(n);
  const cell = 16 / k;
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", String(c * cell + 0.75));
      rect.setAttribute("y", String(r * cell + 0.75));
      rect.setAttribute("width", String(cell - 1.5));
      rect.setAttribute("height", String(cell - 1.5));
      rect.setAttribute("rx", "1");
      svg.append(rect);
    }
  }
  return svg;
}

// LL-HLS holds a blocking playlist request open per stream and the browser allows six connections per
// server over HTTP/1.1: a wall of LL-HLS tiles starves itself. Tiles therefore play plain HLS a few
// seconds behind (see plainHlsLoader), except a single large tile.
function tileConfig(grid: Grid): Partial<HlsConfig> {
  return grid === 1
    ? { lowLatencyMode: true }
    : {
        lowLatencyMode: false,
        pLoader: plainHlsLoader(),
        liveSyncDuration: 3,
        liveMaxLatencyDuration: 10,
        maxBufferLength: 6,
        backBufferLength: 4,
      };
}

/** One camera's cell: its live picture while it is online, or why it is not. */
class Tile {
  readonly el: HTMLAnchorElement;
  private readonly name = h("span", { class: "tile-name" });
  private readonly facility = h("span", { class: "tile-facility" });
  private readonly badge = h("span", { class: "badge" });
  private readonly status = h("div", { class: "tile-status", hidden: true });
  private readonly offline = h("div", { class: "tile-offline", "data-testid": "tile-offline" });
  private video: HTMLVideoElement | null = null;
  private stream: LiveStream | null = null;
  private liveStatus: LiveStatus | null = null;
  private cam: Camera;

  constructor(
    cam: Camera,
    private readonly grid: Grid,
  ) {
    this.cam = cam;
    this.el = h(
      "a",
      {
        class: "tile",
        href: "/camera/" + encodeURIComponent(cam.id),
        "data-testid": "tile",
        "data-camera": cam.id,
        onclick: (e: Event) => this.open(e as MouseEvent),
      },
      this.status,
      h("div", { class: "tile-top" }, this.name, this.badge),
      h("div", { class: "tile-bottom" }, this.facility),
    );
  }

  private open(e: MouseEvent): void {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const lang = new URLSearchParams(location.search).get("lang");
    navigate(this.el.pathname + buildQuery({ lang }));
  }

  update(cam: Camera): void {
    this.cam = cam;
    setAttr(this.el, "data-state", cam.state);
    setAttr(this.el, "aria-label", t("tile.open", { name: cam.name }));
    setText(this.name, cam.name);
    setText(this.facility, cam.facility);
    setText(this.badge, stateLabel(cam.state));
    this.badge.className = `badge state-${cam.state}`;
    // An online tile holds a video and no offline panel; any other holds the panel and no video.
    if (cam.state === "online") {
      this.offline.remove();
      this.startStream();
    } else {
      this.stopStream();
      if (!this.offline.isConnected) this.status.after(this.offline);
      this.renderOffline();
    }
    this.renderStatus();
  }

  relabel(): void {
    this.update(this.cam);
  }

  private renderOffline(): void {
    const cam = this.cam;
    const since = parseTime(cam.since);
    const sinceText = since === null ? "" : formatDateTime(since);
    const key =
      cam.state === "disabled" ? "tile.disabledSince" : cam.state === "connecting" ? "tile.connectingSince" : "tile.lostSince";
    const lines: HTMLElement[] = [h("p", { class: "tile-since" }, t(key, { time: sinceText }))];
    if (cam.last_error) lines.push(h("p", { class: "tile-reason" }, cam.last_error));
    const next = parseTime(cam.next_attempt);
    if (next !== null && cam.state !== "disabled") {
      lines.push(h("p", { class: "tile-next" }, t("tile.nextAttempt", { time: formatTime(next), n: cam.attempts + 1 })));
    }
    const html = lines.map((l) => l.outerHTML).join("");
    if (this.offline.innerHTML !== html) this.offline.replaceChildren(...lines);
  }

  private startStream(): void {
    if (this.stream) return;
    const video = h("video", { class: "tile-video", muted: true, playsinline: true, autoplay: true });
    // The attribute alone does not mute a video created by script.
    video.muted = true;
    this.video = video;
    this.el.prepend(video);
    this.stream = new LiveStream({
      video,
      urls: [urls.liveSub(this.cam.id), urls.live(this.cam.id)],
      config: tileConfig(this.grid),
      onStatus: (s) => {
        this.liveStatus = s;
        this.renderStatus();
      },
    });
    this.stream.start();
  }

  private stopStream(): void {
    this.stream?.destroy();
    this.stream = null;
    this.liveStatus = null;
    if (this.video) {
      releaseVideo(this.video);
      this.video.remove();
      this.video = null;
    }
  }

  private renderStatus(): void {
    const s = this.liveStatus;
    let text = "";
    if (s && this.cam.state === "online") text = liveStatusText(s, this.cam);
    this.status.hidden = text === "";
    setText(this.status, text);
  }

  destroy(): void {
    this.stopStream();
    this.el.remove();
  }
}
