// The camera view's one player, for live and for recordings. Live is LL-HLS; a recording is played as
// a window of HLS VOD ([T, T + 2 h], never past now) whose fragments map wall-clock time to media time
// and back. A seek inside the loaded window moves the video; one outside loads a new window; reaching the
// end of a window loads the next, and catching up with now switches to live.
import Hls, { ErrorDetails, ErrorTypes, Events, type ErrorData } from "hls.js";
import { ApiError, getJSON, parseTime, urls, type Timeline } from "./api";
import { fragIndexAtMedia, mediaEnd, mediaToWall, wallEnd, wallStart, wallToMedia, type Frag } from "./frags";
import { t } from "./i18n";
import { codecOf, hlsDebug, isCodecError, LiveStream, liveStatusText } from "./live";
import { messageOf, showError, toast } from "./notice";
import { formatDateTime } from "./zone";

export type Mode = "live" | "playback";

export interface PlayerHooks {
  onMode(mode: Mode): void;
  /** a message over the picture (loading, waiting for the camera, no footage), or null */
  onStatus(text: string | null): void;
  /** playing/paused, speed or sound changed */
  onState(): void;
  /** the wall-clock time of the frame on screen; called several times a second */
  onTime(ms: number | null): void;
  /** the player jumped to a new wall-clock time (not plain playback progress) */
  onSeek(ms: number): void;
}

interface PlaybackWindow {
  hls: Hls;
  startMs: number;
  endMs: number;
  /** hls.js's fragment list, once the playlist is loaded */
  frags: Frag[] | null;
  recoveredAt: number;
}

export interface PlayOptions {
  /** stay paused there (default: keep playing if playing) */
  paused?: boolean;
  /** land on the start of the fragment (a keyframe) that holds the time */
  keyframe?: boolean;
}

// One playlist covers an hour from the seek point: about 540 KB, answered in about a millisecond
// (BENCHMARKS.md, seek latency); a day's playlist would cost twenty times that on every seek.
const windowMs = 3600 * 1000;
// A time this close to now has not been indexed yet: live shows it.
const liveThresholdMs = 2500;
// Pausing live for longer than this and resuming continues from the paused frame, as a recording.
const liveResumeMs = 3000;
const tickMs = 200;
// A player that shows a frame but never reaches the target in this long shows where it is instead.
const maxPendingMs = 5000;
const monthMs = 31 * 24 * 3600 * 1000;
// Landing this much later than asked means the asked time was not recorded.
const gapNoticeMs = 2000;

export const speeds = [0.5, 1, 2, 4, 8, 16] as const;

/** At high speed a fixed buffer would drain in a few seconds of wall time. */
function bufferFor(rate: number) {
  return { maxBufferLength: Math.max(30, 12 * rate), maxMaxBufferLength: Math.max(600, 40 * rate) };
}

export class Player {
  readonly video: HTMLVideoElement;
  mode: Mode = "live";
  rate = 1;
  /** the camera's codec as the API names it, for messages */
  codecHint = "";
  private live: LiveStream | null = null;
  private win: PlaybackWindow | null = null;
  /** the wall time shown while the player is on its way there */
  private pending: number | null = null;
  private pendingPos: number | null = null;
  private pendingSince = 0;
  private wantPlay = true;
  private livePausedAt: number | null = null;
  private continuing = false;
  private gen = 0;
  private readonly timer: number;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly cameraId: string,
    private readonly hooks: PlayerHooks,
    /** false for someone who may watch live only (a viewer): every way into the recording goes live instead */
    private readonly allowPlayback = true,
    /**
     * false for someone who may see recordings only (an investigator): every way to live (the start, catching
     * up, a time not yet recorded) stops at the end of the recording instead
     */
    private readonly allowLive = true,
  ) {
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    // Never autoplay: the player starts playback itself, so a paused investigator stays paused across
    // a new window.
    video.setAttribute("aria-label", t("cam.player"));
    this.video = video;
    const on = (name: string, fn: () => void) => {
      video.addEventListener(name, fn);
      this.offs.push(() => video.removeEventListener(name, fn));
    };
    for (const name of ["timeupdate", "seeked", "canplay", "playing"]) on(name, () => this.update());
    for (const name of ["play", "pause", "ratechange", "volumechange"]) on(name, () => this.hooks.onState());
    on("ended", () => this.onEnded());
    this.timer = window.setInterval(() => this.update(), tickMs);
  }

  destroy(): void {
    window.clearInterval(this.timer);
    for (const off of this.offs) off();
    this.stopSource();
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
  }

  /** The wall-clock time of the frame on screen (or of where the player is going), if known. */
  wallTime(): number | null {
    if (this.pending !== null) return this.pending;
    if (this.mode === "live") {
      const date = this.live?.hls?.playingDate;
      return date ? date.getTime() : null;
    }
    const frags = this.win?.frags;
    if (!frags?.length) return null;
    return mediaToWall(frags, this.video.currentTime);
  }

  /** The loaded window's wall-clock range, if any: seeks inside it are instant. */
  loadedRange(): [number, number] | null {
    const frags = this.win?.frags;
    return frags?.length ? [wallStart(frags), wallEnd(frags)] : null;
  }

  isPlaying(): boolean {
    return this.wantPlay;
  }

  goLive(): void {
    if (!this.allowLive) {
      this.stopAtNow();
      return;
    }
    this.stopSource();
    this.mode = "live";
    this.pending = null;
    this.livePausedAt = null;
    this.wantPlay = true;
    this.applyRate(1);
    this.hooks.onMode("live");
    this.hooks.onStatus(t("live.connecting"));
    let told = false;
    this.live = new LiveStream({
      video: this.video,
      // The substream is the way out when this browser cannot decode the main stream (H.265 in many).
      urls: [urls.live(this.cameraId), urls.liveSub(this.cameraId)],
      // hls.js starts a few parts behind the edge and, at 1×, stays there; up to 1.5× it closes the gap
      // to the server's part hold-back (0.6 s) within seconds, without a visible jump.
      config: { lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 },
      onStatus: (s) => {
        if (s.kind === "playing" && s.fallback && !told) {
          told = true;
          toast(t("live.fallback", { codec: this.codecHint || "?" }), 8000);
        }
        this.hooks.onStatus(s.kind === "playing" ? null : liveStatusText(s, { codec: this.codecHint }));
      },
    });
    this.live.start();
  }

  /** Where live would begin for someone without live: the recording stops, paused, and says why. */
  private stopAtNow(): void {
    this.pending = null;
    this.wantPlay = false;
    this.video.pause();
    // The last frame of the recording stays on screen; only a player that never played has no source.
    if (this.mode === "live") {
      this.stopSource();
      this.mode = "playback";
      this.hooks.onMode("playback");
    }
    this.hooks.onStatus(t("play.noLive"));
    this.hooks.onState();
  }

  /** Retries a live stream that is waiting for its camera, at once. */
  nudgeLive(): void {
    this.live?.retryNow();
  }

  /** Plays the recording from wall-clock time ms (or shows live, for a time not yet recorded). */
  playAt(ms: number, opts: PlayOptions = {}): void {
    if (!Number.isFinite(ms)) return;
    if (!this.allowPlayback || (this.allowLive && ms > Date.now() - liveThresholdMs)) {
      this.goLive();
      return;
    }
    // Without live, a time not yet indexed plays the recording's last seconds instead.
    ms = Math.min(ms, Date.now() - 2 * liveThresholdMs);
    if (opts.paused !== undefined) this.wantPlay = !opts.paused;
    this.livePausedAt = null;
    const frags = this.win?.frags;
    if (this.mode === "playback" && frags?.length && ms >= wallStart(frags) && ms < wallEnd(frags)) {
      this.seekInWindow(frags, ms, !!opts.keyframe);
    } else {
      this.loadWindow(ms, !!opts.keyframe);
    }
    this.hooks.onSeek(this.pending ?? ms);
  }

  togglePlay(): void {
    if (this.wantPlay) this.pause();
    else this.play();
  }

  play(): void {
    this.wantPlay = true;
    if (this.mode === "live" && this.livePausedAt !== null) {
      const pausedFor = performance.now() - this.livePausedAt;
      this.livePausedAt = null;
      const at = this.wallTime();
      // Resuming a long pause continues from the paused frame, which is a recording by then; live-only
      // users go back to live (playAt does) rather than see a refusal.
      if (pausedFor > liveResumeMs && at !== null) {
        this.playAt(at);
        return;
      }
    }
    if (this.mode === "playback" && !this.win && this.pending !== null) {
      this.playAt(this.pending);
      return;
    }
    this.video.play().catch(() => {
      /* no data yet: playback starts when it arrives (wantPlay) */
    });
    this.hooks.onState();
  }

  pause(): void {
    this.wantPlay = false;
    if (this.mode === "live") this.livePausedAt = performance.now();
    this.video.pause();
    this.hooks.onState();
  }

  /** Playback speed; live always plays at 1×. */
  setRate(rate: number): void {
    if (this.mode === "live") rate = 1;
    this.applyRate(rate);
    this.hooks.onState();
  }

  private applyRate(rate: number): void {
    this.rate = rate;
    // load() (a new source) resets playbackRate to the default, so both are set.
    this.video.defaultPlaybackRate = rate;
    this.video.playbackRate = rate;
    if (this.win) Object.assign(this.win.hls.config, bufferFor(rate));
  }

  /** Jumps by seconds (from live, backwards only: into the recording). */
  skip(seconds: number): void {
    const at = this.wallTime();
    if (at === null || (this.mode === "live" && seconds > 0)) return;
    this.playAt(at + seconds * 1000);
  }

  /** Pauses and moves to the previous or next fragment start: vigil's fragments start on keyframes. */
  step(direction: -1 | 1): void {
    this.pause();
    const at = this.wallTime();
    if (this.mode === "live") {
      // Far enough back to be indexed already, or playAt would come straight back to live.
      if (direction < 0 && at !== null) {
        this.playAt(Math.min(at - 1000, Date.now() - liveThresholdMs - 1000), { paused: true, keyframe: true });
      }
      return;
    }
    const frags = this.win?.frags;
    if (!frags?.length) {
      if (at !== null) this.playAt(at + direction, { paused: true, keyframe: true });
      return;
    }
    const current = this.pendingPos ?? this.video.currentTime;
    const i = Math.max(0, fragIndexAtMedia(frags, current));
    let target = i + direction;
    // Back from inside a fragment first goes to its own start.
    if (direction < 0 && current - frags[i].start > 0.15) target = i;
    if (target < 0) {
      this.playAt(wallStart(frags) - 1, { paused: true, keyframe: true });
    } else if (target >= frags.length) {
      this.playAt(wallEnd(frags), { paused: true, keyframe: true });
    } else {
      const f = frags[target];
      this.seekMedia(f.start, mediaToWall(frags, f.start) ?? 0);
      this.hooks.onSeek(this.pending ?? 0);
    }
  }

  private seekInWindow(frags: Frag[], ms: number, keyframe: boolean): void {
    const pos = wallToMedia(frags, ms);
    if (!pos) {
      this.loadWindow(ms, keyframe);
      return;
    }
    const time = keyframe ? frags[pos.index].start : pos.time;
    this.seekMedia(time, mediaToWall(frags, time) ?? ms);
  }

  private seekMedia(time: number, wall: number): void {
    this.setPending(wall, time);
    this.video.currentTime = time;
    if (this.wantPlay) this.video.play().catch(() => {});
    else this.video.pause();
    this.hooks.onTime(wall);
  }

  private setPending(wall: number, pos: number | null): void {
    this.pending = wall;
    this.pendingPos = pos;
    this.pendingSince = performance.now();
  }

  private loadWindow(ms: number, keyframe: boolean): void {
    this.stopSource();
    if (this.mode !== "playback") {
      this.mode = "playback";
      this.hooks.onMode("playback");
    }
    this.setPending(ms, null);
    this.hooks.onStatus(t("play.loading"));
    const end = Math.min(ms + windowMs, Date.now());
    const hls = new Hls({
      debug: hlsDebug(),
      autoStartLoad: false,
      enableWorker: false,
      lowLatencyMode: false,
      startFragPrefetch: true,
      backBufferLength: 120,
      ...bufferFor(this.rate),
    });
    const win: PlaybackWindow = { hls, startMs: ms, endMs: end, frags: null, recoveredAt: 0 };
    this.win = win;
    // The playlist is a media playlist: its fragments come with the manifest, and hls.js's documented
    // place to start loading at a position is MANIFEST_PARSED. LEVEL_LOADED is the fallback.
    hls.on(Events.MANIFEST_PARSED, (_e, data) => {
      const details = data.levels[0]?.details;
      if (details) this.onWindowLoaded(win, details.fragments, ms, keyframe);
    });
    hls.on(Events.LEVEL_LOADED, (_e, data) => this.onWindowLoaded(win, data.details.fragments, ms, keyframe));
    hls.on(Events.ERROR, (_e, data) => this.onPlaybackError(win, data));
    hls.loadSource(urls.playback(this.cameraId, ms, end));
    hls.attachMedia(this.video);
    this.video.defaultPlaybackRate = this.rate;
    this.video.playbackRate = this.rate;
  }

  private onWindowLoaded(win: PlaybackWindow, frags: Frag[], ms: number, keyframe: boolean): void {
    if (win !== this.win || win.frags) return;
    win.frags = frags;
    const pos = wallToMedia(frags, ms);
    if (!pos) {
      void this.findFootage(ms);
      return;
    }
    const time = keyframe ? frags[pos.index].start : pos.time;
    const landed = mediaToWall(frags, time) ?? ms;
    // The playlist starts at the next recording when nothing was recorded at ms: say so.
    if (landed - ms > gapNoticeMs) {
      toast(t("play.noFootageAt", { time: formatDateTime(ms), next: formatDateTime(landed) }));
    }
    this.setPending(landed, time);
    win.hls.startLoad(time);
    if (this.wantPlay) this.video.play().catch(() => {});
  }

  private onPlaybackError(win: PlaybackWindow, data: ErrorData): void {
    if (win !== this.win || !data.fatal) return;
    if (data.details === ErrorDetails.MANIFEST_LOAD_ERROR && data.response?.code === 404) {
      void this.findFootage(win.startMs);
      return;
    }
    if (isCodecError(data)) {
      const codec = codecOf(win.hls, data);
      this.stopSource();
      this.hooks.onStatus(t("play.unsupported", { codec: this.codecHint ? `${this.codecHint}, ${codec}` : codec }));
      return;
    }
    const now = performance.now();
    if (data.type === ErrorTypes.MEDIA_ERROR && now - win.recoveredAt > 10000) {
      win.recoveredAt = now;
      win.hls.recoverMediaError();
      return;
    }
    const url = data.url || data.context?.url || "";
    this.stopSource();
    void this.explain(url, data.error?.message || data.details);
  }

  /** Shows why a playback request failed, in the server's words when it gave some. */
  private async explain(url: string, fallback: string): Promise<void> {
    const gen = this.gen;
    let reason = fallback;
    if (url) {
      try {
        await getJSON<unknown>(url);
      } catch (err) {
        if (err instanceof ApiError) reason = err.message;
      }
    }
    if (gen !== this.gen) return;
    const text = t("play.error", { reason });
    this.hooks.onStatus(text);
    showError("playback", text);
  }

  /** Nothing recorded at ms: moves on to the next recording, if there is one before now. */
  private async findFootage(ms: number): Promise<void> {
    this.stopSource();
    this.setPending(ms, null);
    const gen = this.gen;
    const end = Math.min(Date.now(), ms + monthMs);
    let next: number | null = null;
    try {
      if (end > ms) {
        const tl = await getJSON<Timeline>(urls.timeline(this.cameraId, ms, end));
        for (const span of tl.spans) {
          const s = parseTime(span.start);
          const e = parseTime(span.end);
          if (s !== null && e !== null && e > ms + 1000) {
            next = Math.max(s, ms);
            break;
          }
        }
      }
    } catch (err) {
      if (gen === this.gen) {
        this.hooks.onStatus(t("play.error", { reason: messageOf(err) }));
        showError("playback", messageOf(err));
      }
      return;
    }
    if (gen !== this.gen) return;
    // A span that starts at ms, yet a playlist with nothing in it, would loop: stop instead.
    if (next !== null && next > ms + 500) {
      toast(t("play.noFootageAt", { time: formatDateTime(ms), next: formatDateTime(next) }));
      this.playAt(next);
      return;
    }
    this.video.pause();
    this.hooks.onStatus(t("play.noFootageAfter", { time: formatDateTime(ms) }));
    this.hooks.onTime(ms);
  }

  private onEnded(): void {
    if (this.mode === "playback" && this.win?.frags?.length && this.pending === null) this.continueAfter(this.win);
  }

  private continueAfter(win: PlaybackWindow): void {
    if (this.continuing || !win.frags?.length) return;
    this.continuing = true;
    try {
      const next = wallEnd(win.frags);
      if (next > Date.now() - liveThresholdMs * 2) {
        if (this.allowLive) toast(t("play.caughtUp"));
        this.goLive();
      } else {
        this.loadWindow(next, false);
      }
    } finally {
      this.continuing = false;
    }
  }

  private update(): void {
    this.settlePending();
    const frags = this.win?.frags;
    if (
      this.mode === "playback" &&
      frags?.length &&
      this.pending === null &&
      !this.video.paused &&
      mediaEnd(frags) - this.video.currentTime < 0.4
    ) {
      this.continueAfter(this.win!);
    }
    this.hooks.onTime(this.wallTime());
  }

  /** The player reached the time it was sent to: from now on the clock reads the frame on screen. */
  private settlePending(): void {
    if (this.pending === null || this.pendingPos === null) return;
    const v = this.video;
    const ready = !v.seeking && v.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA;
    // hls.js shows the first buffered frame (the fragment's start) before it seeks to the start
    // position: only a frame at (or past) the target counts as arrived.
    const there = v.currentTime >= this.pendingPos - 0.3;
    if (ready && (there || performance.now() - this.pendingSince > maxPendingMs)) {
      this.pending = null;
      this.pendingPos = null;
      this.hooks.onStatus(null);
    }
  }

  private stopSource(): void {
    this.gen++;
    this.live?.destroy();
    this.live = null;
    if (this.win) {
      this.win.hls.destroy();
      this.win = null;
    }
  }
}
