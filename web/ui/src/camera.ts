// The camera view: one camera, live or recorded, with its controls, its timeline and export. The address
// bar follows the second on screen (?t=), the speed and the selection, so the address is the share link.
// What the user may do shapes it: live only (a viewer) has no timeline, no jump and no export; recordings
// only (an investigator) has no way to live; without export there is no range selection.
import { ApiError, getJSON, parseTime, urls, type Camera } from "./api";
import { watchCameras } from "./cameras";
import { h, relabel, setAttr, setText } from "./dom";
import { stateLabel, t, type Key } from "./i18n";
import { icon, type IconName } from "./icons";
import { buildQuery, navigate, replaceQuery, type View } from "./nav";
import { messageOf, showError, toast } from "./notice";
import { Player, speeds, type Mode } from "./player";
import { Timeline } from "./timeline";
import { refusal } from "./page";
import { can, currentUser } from "./session";
import { formatDateTime, formatTime, parseRFC3339, parseTyped, rfc3339, startOfDay } from "./zone";

// The address follows playback about once a second: often enough to share, rarely enough for browsers'
// limits on history updates.
const urlEveryMs = 1000;
// Where someone who may not watch live starts when the address names no time: the last hour's footage.
const noLiveStartMs = 3600_000;

export function createCameraView(id: string, query: URLSearchParams): View {
  const mayLive = can("live");
  const mayPlayback = can("playback");
  const mayExport = mayPlayback && can("export");
  let cam: Camera | null = null;
  let playerStatus: string | null = null;
  let lastUrlAt = 0;
  let lastUrlSecond = NaN;
  let destroyed = false;
  /** the first camera answer starts playback (someone without live, with no time in the address) */
  let startWithCamera = false;

  const video = () => player.video;

  // ---- header: which camera, its state, the mode ----
  const camSelect = h("select", { class: "cam-select", "data-testid": "camera-select", i18nLabel: "cam.choose",
    onchange: () => switchCamera(camSelect.value) });
  const badge = h("span", { class: "badge" });
  const info = h("span", { class: "cam-info" });
  const modeEl = h("span", { class: "mode", "data-testid": "mode", "data-mode": "live" });

  // ---- the picture ----
  const statusEl = h("div", { class: "player-status", hidden: true, "aria-live": "polite" });
  const playerBox = h("div", { class: "player", "data-testid": "player" });

  // ---- controls ----
  const playBtn = iconButton("play", "play", "ctl.pause", () => player.togglePlay());
  const stepBack = iconButton("step-back", "stepBack", "ctl.stepBack", () => player.step(-1));
  const stepFwd = iconButton("step-forward", "stepForward", "ctl.stepForward", () => player.step(1));
  const back10 = iconButton("back-10", "back10", "ctl.back10", () => player.skip(-10));
  const fwd10 = iconButton("forward-10", "forward10", "ctl.fwd10", () => player.skip(10));
  const speed = h("select", { class: "speed", "data-testid": "speed", i18nLabel: "ctl.speed", onchange: () => setSpeed(Number(speed.value)) });
  for (const s of speeds) speed.append(h("option", { value: String(s) }, s === 0.5 ? "½×" : `${s}×`));
  const goLive = h("button", { type: "button", class: "go-live", "data-testid": "go-live", i18nLabel: "ctl.goLiveLabel",
    onclick: () => toLive() }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { i18n: "ctl.goLive" }));
  const clock = h("output", { class: "clock", "data-testid": "clock", i18nLabel: "ctl.clock" });
  const muteBtn = iconButton("mute", "muted", "ctl.soundOn", () => {
    video().muted = !video().muted;
  });
  const snapBtn = iconButton("snapshot", "snapshot", "ctl.snapshot", () => snapshot());
  const fullBtn = iconButton("fullscreen", "fullscreen", "ctl.fullscreen", () => fullscreen());
  const shareBtn = h("button", { type: "button", class: "share", "data-testid": "share", i18nLabel: "ctl.shareLabel",
    onclick: () => void share() }, icon("link"), h("span", { i18n: "ctl.share" }));
  const helpBtn = h("button", { type: "button", class: "icon help-btn", "data-testid": "help", i18nLabel: "ctl.help",
    "aria-expanded": "false", onclick: () => toggleHelp() }, "?");

  // ---- jump to a time ----
  const jumpInput = h("input", { type: "text", class: "jump-input", "data-testid": "jump-input", id: `jump-${id}`,
    autocomplete: "off", spellcheck: "false", i18nPlaceholder: "jump.placeholder",
    "aria-describedby": `jump-error-${id}` });
  const jumpError = h("p", { class: "jump-error", id: `jump-error-${id}`, role: "alert", hidden: true });
  const datePick = h("input", { type: "date", class: "date-pick", tabindex: -1, "aria-hidden": "true",
    onchange: () => pickedDate() });
  const jumpForm = h("form", { class: "jump", novalidate: true, onsubmit: (e: Event) => { e.preventDefault(); jump(); } },
    h("label", { for: `jump-${id}`, class: "sr-only", i18n: "jump.label" }),
    jumpInput,
    h("span", { class: "date-wrap" }, iconButton("calendar", "calendar", "jump.calendar", () => openCalendar()), datePick),
    h("button", { type: "submit", "data-testid": "jump-go", i18n: "jump.go" }),
    jumpError,
  );
  jumpInput.addEventListener("focus", () => {
    const at = player.wallTime();
    if (!jumpInput.value && at !== null) {
      jumpInput.value = formatDateTime(at);
      jumpInput.select();
    }
  });
  jumpInput.addEventListener("input", () => showJumpError(null));

  const help = helpPanel(() => toggleHelp(false), mayPlayback, mayLive, mayExport);

  // Live only: the timeline would show footage its user may not play, and its requests would be refused.
  const timeline: Timeline | null = mayPlayback ? new Timeline(id, {
    seek: (ms) => player.playAt(ms),
    scrub: (ms) => {
      const loaded = player.loadedRange();
      if (player.mode === "playback" && loaded && ms >= loaded[0] && ms < loaded[1]) player.playAt(ms);
    },
    selectionChanged: () => updateUrl(true),
  }, mayExport) : null;

  const player: Player = new Player(id, {
    onMode: (mode) => renderMode(mode),
    onStatus: (text) => {
      playerStatus = text;
      renderStatus();
    },
    onState: () => renderState(),
    onTime: (ms) => onTime(ms),
    onSeek: (ms) => {
      timeline?.reveal(ms);
      onTime(ms);
      updateUrl(true);
    },
  }, mayPlayback, mayLive);
  playerBox.append(player.video, statusEl);
  player.video.addEventListener("dblclick", () => fullscreen());
  player.video.addEventListener("click", () => player.togglePlay());

  const el = h(
    "section",
    { class: "camera-view", "data-testid": "camera-view", "data-camera": id },
    h("div", { class: "cam-head" }, camSelect, badge, info, h("span", { class: "spacer" }), modeEl),
    playerBox,
    h("div", { class: "controls" },
      h("div", { class: "group" }, playBtn, ...(mayPlayback ? [stepBack, back10, fwd10, stepFwd, speed] : []),
        mayLive ? goLive : null),
      clock,
      mayPlayback ? jumpForm : null,
      h("div", { class: "group" }, muteBtn, snapBtn, fullBtn, shareBtn, helpBtn),
    ),
    timeline?.el,
    help,
  );

  // ---- start from the address ----
  const selFrom = parseRFC3339(query.get("from") ?? "");
  const selTo = parseRFC3339(query.get("to") ?? "");
  if (selFrom !== null && selTo !== null && selTo > selFrom) timeline?.setSelection({ start: selFrom, end: selTo });
  // A shared link to a second of footage opens live for someone who may watch live only.
  const rawT = mayPlayback ? query.get("t") : null;
  const startAt = rawT ? parseRFC3339(rawT) : null;
  if (rawT && startAt === null) showError("url", t("play.badT", { t: rawT }));
  if (startAt !== null) {
    player.playAt(startAt);
    const rate = Number(query.get("speed"));
    if ((speeds as readonly number[]).includes(rate)) player.setRate(rate);
  } else if (mayLive) {
    player.goLive();
  } else {
    // Without live the start is in the footage window of the camera's facility, known with the camera.
    startWithCamera = true;
  }
  renderState();
  renderMode(startWithCamera ? "playback" : player.mode);

  void loadCamera();
  const unwatch = watchCameras((list) => {
    renderCameraList(list);
    const found = list.find((c) => c.id === id);
    if (found) setCamera(found);
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("fullscreenchange", renderState);

  async function loadCamera(): Promise<void> {
    try {
      setCamera(await getJSON<Camera>(urls.camera(id)));
    } catch (err) {
      if (destroyed) return;
      if (err instanceof ApiError && err.status === 404) {
        showNotFound();
      } else if (err instanceof ApiError && err.status === 403) {
        showRefused(err.message);
      } else {
        showError("camera", messageOf(err));
      }
    }
  }

  /** A camera of a facility the user may not see: the server's reason in place of the picture. */
  function showRefused(message: string): void {
    stopMedia();
    el.replaceChildren(refusal(message, { "data-camera": id }));
  }

  /** Stops the player and the timeline for good: the view shows no footage any more. */
  function stopMedia(): void {
    player.destroy();
    timeline?.destroy();
    // The player was already asking for the stream: its element goes, so no frame that arrives is shown.
    player.video.remove();
  }

  /** A camera that does not exist: nothing to play or draw, only the way back. */
  function showNotFound(): void {
    stopMedia();
    el.replaceChildren(h("div", { class: "not-found", "data-testid": "camera-not-found" },
      h("h1", {}, t("cam.notFound", { id })),
      h("a", { href: "/", "data-testid": "back-to-wall", onclick: (e: Event) => {
        e.preventDefault();
        navigate("/" + buildQuery({ lang: new URLSearchParams(location.search).get("lang") }));
      } }, t("notfound.back"))));
  }

  function setCamera(c: Camera): void {
    const wasOnline = cam?.state === "online";
    cam = c;
    player.codecHint = c.codec ?? "";
    setAttr(badge, "class", `badge state-${c.state}`);
    setText(badge, stateLabel(c.state));
    const parts = [c.codec && (c.audio_codec ? `${c.codec} + ${c.audio_codec}` : c.codec),
      c.width && c.height ? `${c.width}×${c.height}` : "",
      c.fps ? `${Math.round(c.fps)} fps` : "",
      c.bitrate ? `${Math.round(c.bitrate / 1000)} kb/s` : ""].filter(Boolean);
    setText(info, parts.join(" · "));
    document.title = `${c.name} · vigil`;
    if (!wasOnline && c.state === "online") player.nudgeLive();
    if (startWithCamera && !destroyed) {
      startWithCamera = false;
      player.playAt(defaultPlaybackStart(c.facility));
    }
    renderStatus();
  }

  function renderCameraList(list: Camera[]): void {
    const signature = list.map((c) => `${c.id}\u0000${c.name}\u0000${c.facility}`).join("\u0001");
    if (camSelect.dataset.signature === signature) return;
    camSelect.dataset.signature = signature;
    const groups = new Map<string, HTMLOptGroupElement>();
    camSelect.replaceChildren();
    for (const c of [...list].sort((a, b) => a.facility.localeCompare(b.facility))) {
      let g = groups.get(c.facility);
      if (!g) {
        g = h("optgroup", { label: c.facility });
        groups.set(c.facility, g);
        camSelect.append(g);
      }
      g.append(h("option", { value: c.id }, c.name));
    }
    camSelect.value = id;
  }

  function switchCamera(other: string): void {
    if (other === id) return;
    // Investigators compare cameras at the same moment: the other camera opens at the same second.
    const at = player.mode === "playback" ? player.wallTime() : null;
    const lang = new URLSearchParams(location.search).get("lang");
    navigate(`/camera/${encodeURIComponent(other)}` + buildQuery({ t: at === null ? null : rfc3339(at), lang }));
  }

  // ---- rendering ----

  function renderMode(mode: Mode): void {
    // Going live (by any way: the button, L, a click at now, catching up) brings the timeline to now.
    if (mode === "live" && modeEl.dataset.mode !== "live") timeline?.reveal(Date.now());
    modeEl.dataset.mode = mode;
    setAttr(modeEl, "data-i18n", mode === "live" ? "mode.live" : "mode.playback");
    setText(modeEl, t(mode === "live" ? "mode.live" : "mode.playback"));
    goLive.setAttribute("aria-pressed", String(mode === "live"));
    speed.disabled = mode === "live";
    stepFwd.disabled = mode === "live";
    fwd10.disabled = mode === "live";
    el.classList.toggle("is-live", mode === "live");
    renderState();
    renderStatus();
    updateUrl(true);
  }

  function renderState(): void {
    const playing = player.isPlaying();
    setButtonIcon(playBtn, playing ? "pause" : "play", playing ? "ctl.pause" : "ctl.play");
    const muted = video().muted;
    setButtonIcon(muteBtn, muted ? "muted" : "sound", muted ? "ctl.soundOn" : "ctl.soundOff");
    muteBtn.setAttribute("aria-pressed", String(!muted));
    if (speed.value !== String(player.rate)) speed.value = String(player.rate);
  }

  function renderStatus(): void {
    let text = playerStatus;
    // While live, a camera that is down explains itself better than the stream's retries do.
    if (player.mode === "live" && cam && cam.state !== "online") text = offlineText(cam);
    statusEl.hidden = !text;
    setText(statusEl, text ?? "");
  }

  function onTime(ms: number | null): void {
    if (ms === null) {
      setText(clock, "");
      delete clock.dataset.timeMs;
    } else {
      setText(clock, formatDateTime(ms));
      clock.dataset.timeMs = String(Math.round(ms));
    }
    timeline?.setPlayhead(ms, player.mode === "live");
    if (ms !== null && player.mode === "playback") {
      const sec = Math.floor(ms / 1000);
      if (sec !== lastUrlSecond && performance.now() - lastUrlAt >= urlEveryMs) updateUrl(false);
    }
  }

  function updateUrl(force: boolean): void {
    if (destroyed) return;
    if (!force && performance.now() - lastUrlAt < urlEveryMs) return;
    const at = player.mode === "playback" ? player.wallTime() : null;
    const sel = timeline?.getSelection() ?? null;
    lastUrlAt = performance.now();
    lastUrlSecond = at === null ? NaN : Math.floor(at / 1000);
    replaceQuery({
      t: at === null ? null : rfc3339(at),
      speed: player.mode === "playback" && player.rate !== 1 ? String(player.rate) : null,
      from: sel ? rfc3339(sel.start) : null,
      to: sel ? rfc3339(sel.end) : null,
    });
  }

  // ---- actions ----

  function toLive(): void {
    if (!mayLive) return;
    player.goLive();
    timeline?.reveal(Date.now());
  }

  /**
   * Without live, a camera opens on recorded footage: the start of the footage window the user's grant
   * gives this camera's facility, else the last hour (of the window, when it ends before now). The grant is
   * the one the server applies: the first of the facility or of every facility ("*").
   */
  function defaultPlaybackStart(facility: string): number {
    const now = Date.now();
    const grant = (currentUser()?.grants ?? []).find((g) => g.facility === facility || g.facility === "*");
    const from = parseTime(grant?.from);
    if (from !== null) return Math.min(from, now - noLiveStartMs);
    const until = parseTime(grant?.until);
    if (until !== null) return Math.min(until, now) - noLiveStartMs;
    return now - noLiveStartMs;
  }

  function setSpeed(rate: number): void {
    player.setRate(rate);
    updateUrl(true);
  }

  function speedBy(delta: number): void {
    if (player.mode === "live") return;
    const i = speeds.indexOf(player.rate as (typeof speeds)[number]);
    const next = speeds[Math.min(Math.max((i < 0 ? 1 : i) + delta, 0), speeds.length - 1)];
    setSpeed(next);
  }

  function jump(): void {
    const parsed = parseTyped(jumpInput.value);
    if (!parsed.ok) {
      const key: Key = parsed.problem === "date" ? "jump.badDate" : parsed.problem === "time" ? "jump.badTime" : "jump.format";
      showJumpError(t(key, { example: formatDateTime(startOfDay(Date.now()) + 8 * 3600 * 1000) }));
      return;
    }
    if (parsed.ms > Date.now()) {
      showJumpError(t("jump.future"));
      return;
    }
    showJumpError(null);
    player.playAt(parsed.ms);
  }

  function showJumpError(text: string | null): void {
    jumpError.hidden = !text;
    setText(jumpError, text ?? "");
    setAttr(jumpInput, "aria-invalid", text ? "true" : null);
  }

  function openCalendar(): void {
    const at = parseTyped(jumpInput.value);
    const base = at.ok ? at.ms : (player.wallTime() ?? Date.now());
    datePick.value = rfc3339(base).slice(0, 10);
    try {
      datePick.showPicker();
    } catch {
      datePick.focus();
    }
  }

  function pickedDate(): void {
    const [y, m, d] = datePick.value.split("-");
    if (!y || !m || !d) return;
    // The typed time of day is kept: the calendar only changes the date.
    const time = /\d{1,2}:\d{1,2}(:\d{1,2})?\s*$/.exec(jumpInput.value)?.[0] ?? "00:00:00";
    jumpInput.value = `${d}/${m}/${y} ${time}`;
    showJumpError(null);
    jumpInput.focus();
  }

  async function share(): Promise<void> {
    const at = player.wallTime();
    const sel = timeline?.getSelection() ?? null;
    const lang = new URLSearchParams(location.search).get("lang");
    const link = location.origin + location.pathname + buildQuery({
      t: at === null ? null : rfc3339(at),
      speed: player.mode === "playback" && player.rate !== 1 ? String(player.rate) : null,
      from: sel ? rfc3339(sel.start) : null,
      to: sel ? rfc3339(sel.end) : null,
      lang,
    });
    if (await copyText(link)) toast(t("ctl.copied", { url: link }));
    else toast(t("ctl.copyFailed", { url: link }), 10000);
  }

  function snapshot(): void {
    const v = video();
    if (!v.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext("2d")?.drawImage(v, 0, 0);
    const at = player.wallTime() ?? Date.now();
    const name = `${id}_${rfc3339(at).slice(0, 19).replace(/:/g, "-")}.png`;
    canvas.toBlob((blob) => {
      if (!blob) return;
      const a = h("a", { href: URL.createObjectURL(blob), download: name });
      a.click();
      window.setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, "image/png");
  }

  function fullscreen(): void {
    if (document.fullscreenElement) void document.exitFullscreen();
    else playerBox.requestFullscreen().catch(() => {});
  }

  function toggleHelp(show?: boolean): void {
    const open = show ?? help.hidden;
    help.hidden = !open;
    helpBtn.setAttribute("aria-expanded", String(open));
  }

  function onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target instanceof HTMLElement ? e.target : null;
    const typing = target?.closest("input, textarea, select, [contenteditable]");
    if (typing && e.key !== "Escape") return;
    // Live only: the keys that move through the recording do nothing, rather than restart the stream.
    if (!mayPlayback && !["l", "L", " ", "?", "Escape"].includes(e.key)) return;
    switch (e.key) {
      case " ":
        player.togglePlay();
        break;
      case "ArrowLeft":
        if (e.shiftKey) player.step(-1);
        else player.skip(-10);
        break;
      case "ArrowRight":
        if (e.shiftKey) player.step(1);
        else player.skip(10);
        break;
      case "ArrowUp":
        speedBy(1);
        break;
      case "ArrowDown":
        speedBy(-1);
        break;
      case "l":
      case "L":
        toLive();
        break;
      case "+":
      case "=":
        timeline?.zoomBy(1);
        break;
      case "-":
      case "_":
        timeline?.zoomBy(-1);
        break;
      case "Escape":
        if (!help.hidden) toggleHelp(false);
        else timeline?.clearSelection();
        break;
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  return {
    el,
    relabel() {
      relabel(el);
      renderState();
      renderMode(player.mode);
      if (cam) setCamera(cam);
      timeline?.relabel();
      onTime(player.wallTime());
    },
    destroy() {
      destroyed = true;
      unwatch();
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("fullscreenchange", renderState);
      timeline?.destroy();
      player.destroy();
      document.title = "vigil";
    },
  };
}

function offlineText(cam: Camera): string {
  const since = parseTime(cam.since);
  const key: Key = cam.state === "disabled" ? "tile.disabledSince" : cam.state === "connecting" ? "tile.connectingSince" : "tile.lostSince";
  const parts = [t(key, { time: since === null ? "" : formatDateTime(since) })];
  if (cam.last_error) parts.push(cam.last_error);
  const next = parseTime(cam.next_attempt);
  if (next !== null && cam.state !== "disabled") parts.push(t("tile.nextAttempt", { time: formatTime(next), n: cam.attempts + 1 }));
  return parts.join(" — ");
}

function iconButton(testid: string, name: IconName, label: Key, onclick: () => void): HTMLButtonElement {
  return h("button", { type: "button", class: "icon", "data-testid": testid, i18nLabel: label, onclick }, icon(name));
}

function setButtonIcon(b: HTMLButtonElement, name: IconName, label: Key): void {
  if (b.dataset.icon !== name) {
    b.dataset.icon = name;
    b.replaceChildren(icon(name));
  }
  if (b.dataset.i18nLabel !== label) {
    b.dataset.i18nLabel = label;
  }
  const text = t(label);
  setAttr(b, "aria-label", text);
  if (b.title !== text) b.title = text;
}

/** The keyboard help, listing only the keys that do something for this user. */
function helpPanel(close: () => void, playback: boolean, live: boolean, exporting: boolean): HTMLElement {
  const rows: [string, Key, boolean][] = [
    ["Space", "help.space", true],
    ["← →", "help.arrows", playback],
    ["Shift + ← →", "help.shiftArrows", playback],
    ["↑ ↓", "help.upDown", playback],
    ["L", "help.l", live],
    ["+ −", "help.zoom", playback],
    ["Esc", "help.escape", exporting],
    ["?", "help.question", true],
  ];
  const list = h("dl");
  for (const [k, key, shown] of rows) {
    if (!shown) continue;
    const kbd = k === "Space" ? h("kbd", { i18n: "key.space" }) : h("kbd", {}, k);
    list.append(h("dt", {}, kbd), h("dd", { i18n: key }));
  }
  return h("div", { class: "help", role: "dialog", "data-testid": "help-panel", i18nLabel: "help.title", hidden: true },
    h("div", { class: "help-head" }, h("strong", { i18n: "help.title" }),
      h("button", { type: "button", class: "icon", i18nLabel: "help.close", onclick: close }, "×")),
    list,
    exporting ? h("p", { class: "help-note", i18n: "help.shiftDrag" }) : null,
    playback ? h("p", { class: "help-note", i18n: "help.drag" }) : null,
  );
}

/** Copies text: the async clipboard where allowed, else the older selection-based copy. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { readonly: true, class: "offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}
