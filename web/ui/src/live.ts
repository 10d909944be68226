// A live stream on a video element that keeps itself going: it asks for the playlist first (a camera that
// is offline, or has not sent its first keyframe, answers 503 with a reason worth showing), retries with
// backoff, restarts when hls.js gives up or the picture freezes, and stops for good only when the browser
// cannot decode the codec.
import Hls, {
  ErrorDetails,
  ErrorTypes,
  Events,
  type ErrorData,
  type HlsConfig,
  type LoaderCallbacks,
  type LoaderConfiguration,
  type LoaderContext,
  type PlaylistLoaderConstructor,
} from "hls.js";
import { errorOf, signInAgain, type Camera } from "./api";
import { t } from "./i18n";

export type LiveStatus =
  | { kind: "connecting" }
  | { kind: "waiting"; reason: string; retryAt: number }
  | { kind: "playing"; fallback: boolean }
  | { kind: "unsupported"; codec: string }
  /** the server refused this user the camera (403): retrying would not help */
  | { kind: "refused"; reason: string };

export interface LiveOptions {
  video: HTMLVideoElement;
  /** tried in order: a later one is used when an earlier one does not exist (404/400) or cannot be decoded */
  urls: string[];
  config?: Partial<HlsConfig>;
  onStatus: (s: LiveStatus) => void;
}

const firstRetryMs = 1000;
const maxRetryMs = 10000;
const watchdogMs = 2000;
// A live picture that has not moved for this long, while it should be playing, is restarted.
const stalledMs = 15000;
// A second media error this soon after recovering from one means recovery does not help.
const mediaRecoveryWindowMs = 10000;

const codecErrors = new Set<string>([
  ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR,
  ErrorDetails.BUFFER_ADD_CODEC_ERROR,
  ErrorDetails.BUFFER_INCOMPATIBLE_CODECS_ERROR,
]);

/** hls.js's own log, for support: localStorage["vigil.debug"] = "1" turns it on. */
export function hlsDebug(): boolean {
  try {
    return localStorage.getItem("vigil.debug") === "1";
  } catch {
    return false;
  }
}

export function isCodecError(data: ErrorData): boolean {
  return codecErrors.has(data.details);
}

/** The codec hls.js could not play, for the message. */
export function codecOf(hls: Hls | null, data: ErrorData): string {
  const level = hls?.levels?.[0];
  return level?.videoCodec || level?.codecSet || data.mimeType || "?";
}

export class LiveStream {
  hls: Hls | null = null;
  private urlIndex = 0;
  private attempt = 0;
  private retryTimer = 0;
  private watchdog = 0;
  private lastTime = -1;
  private lastProgress = 0;
  private recoveredAt = 0;
  private probe: AbortController | null = null;
  private destroyed = false;
  private readonly onPlaying = () => {
    this.attempt = 0;
    this.opts.onStatus({ kind: "playing", fallback: this.urlIndex > 0 });
  };

  constructor(private readonly opts: LiveOptions) {
    opts.video.addEventListener("playing", this.onPlaying);
  }

  start(): void {
    void this.connect();
  }

  /** Tries again at once (the camera came back), skipping the backoff. */
  retryNow(): void {
    if (this.destroyed || this.hls) return;
    window.clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect();
  }

  destroy(): void {
    this.destroyed = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.watchdog);
    this.probe?.abort();
    this.opts.video.removeEventListener("playing", this.onPlaying);
    this.teardown();
  }

  private async connect(): Promise<void> {
    this.teardown();
    this.opts.onStatus({ kind: "connecting" });
    const url = this.opts.urls[this.urlIndex];
    this.probe = new AbortController();
    let res: Response;
    try {
      res = await fetch(url, { signal: this.probe.signal, cache: "no-store" });
    } catch {
      if (!this.destroyed) this.retry(t("err.network"));
      return;
    }
    if (this.destroyed) return;
    if (!res.ok) {
      if ((res.status === 404 || res.status === 400) && this.urlIndex < this.opts.urls.length - 1) {
        this.urlIndex++;
        void res.body?.cancel();
        return this.connect();
      }
      const err = await errorOf(res);
      if (res.status === 401) {
        signInAgain();
        return;
      }
      if (res.status === 403) {
        this.opts.onStatus({ kind: "refused", reason: err.message });
        return;
      }
      this.retry(err.message);
      return;
    }
    void res.body?.cancel();
    // After a redirect (the substream), hls.js must resolve the playlist's relative names from there.
    this.attach(res.url || url);
  }

  private attach(url: string): void {
    const video = this.opts.video;
    const hls = new Hls({
      debug: hlsDebug(),
      enableWorker: false,
      lowLatencyMode: true,
      backBufferLength: 10,
      ...this.opts.config,
    });
    this.hls = hls;
    hls.on(Events.ERROR, (_e, data) => this.onError(hls, data));
    hls.on(Events.MANIFEST_PARSED, () => {
      video.play().catch(() => {
        /* autoplay refused: the user presses play */
      });
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    this.lastTime = -1;
    this.lastProgress = performance.now();
    window.clearInterval(this.watchdog);
    this.watchdog = window.setInterval(() => this.checkProgress(), watchdogMs);
  }

  private onError(hls: Hls, data: ErrorData): void {
    if (hls !== this.hls || !data.fatal) return;
    if (isCodecError(data)) {
      const codec = codecOf(hls, data);
      this.teardown();
      if (this.urlIndex < this.opts.urls.length - 1) {
        this.urlIndex++;
        void this.connect();
      } else {
        this.opts.onStatus({ kind: "unsupported", codec });
      }
      return;
    }
    const now = performance.now();
    if (data.type === ErrorTypes.MEDIA_ERROR && now - this.recoveredAt > mediaRecoveryWindowMs) {
      this.recoveredAt = now;
      hls.recoverMediaError();
      return;
    }
    this.retry(data.error?.message || data.details);
  }

  private checkProgress(): void {
    const video = this.opts.video;
    if (!this.hls || video.paused || document.visibilityState !== "visible") {
      this.lastProgress = performance.now();
      return;
    }
    if (video.currentTime !== this.lastTime) {
      this.lastTime = video.currentTime;
      this.lastProgress = performance.now();
    } else if (performance.now() - this.lastProgress > stalledMs) {
      this.retry(t("live.stalled"));
    }
  }

  private retry(reason: string): void {
    this.teardown();
    const delay = Math.min(firstRetryMs * 2 ** this.attempt, maxRetryMs);
    this.attempt++;
    this.opts.onStatus({ kind: "waiting", reason, retryAt: Date.now() + delay });
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }

  private teardown(): void {
    window.clearInterval(this.watchdog);
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
  }
}

// LL-HLS tags that make hls.js hold a blocking playlist request open (or poll at once for the next part).
const lowLatencyTags = /^#EXT-X-(SERVER-CONTROL|PART-INF|PART|PRELOAD-HINT|RENDITION-REPORT|SKIP):.*$/gm;

/**
 * A live playlist as plain HLS: without the LL-HLS tags, and without the GAP segments a new muxer puts
 * before its first real segment (hls.js in plain mode starts inside them and never leaves, where LL mode
 * starts at the parts). Dropped leading segments advance the media sequence, so numbering stays right.
 */
export function plainPlaylist(text: string): string {
  const lines = text.replace(lowLatencyTags, "").split("\n");
  const out: string[] = [];
  let skipped = 0;
  let seenMedia = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!seenMedia && line.startsWith("#EXT-X-GAP")) {
      while (i + 1 < lines.length && (lines[i + 1].startsWith("#") || lines[i + 1].trim() === "")) i++;
      i++; // the gap segment's URI
      skipped++;
      continue;
    }
    if (line.trim() !== "" && !line.startsWith("#")) seenMedia = true;
    out.push(line);
  }
  if (!seenMedia || skipped === 0) return lines.join("\n");
  return out.join("\n").replace(/^#EXT-X-MEDIA-SEQUENCE:(\d+)/m, (_m, n: string) => `#EXT-X-MEDIA-SEQUENCE:${Number(n) + skipped}`);
}

/**
 * A playlist loader that serves hls.js plainPlaylist, so it polls like plain HLS. A blocking request is
 * held open per stream, and over HTTP/1.1 a browser has six connections per server: a wall of LL-HLS
 * tiles would starve itself (and the API calls) of connections.
 */
export function plainHlsLoader(): PlaylistLoaderConstructor {
  const Base = Hls.DefaultConfig.loader;
  class PlainHlsLoader extends Base {
    load(context: LoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
      const onSuccess = callbacks.onSuccess;
      super.load(context, config, {
        ...callbacks,
        onSuccess: (response, stats, ctx, details) => {
          if (typeof response.data === "string") response.data = plainPlaylist(response.data);
          onSuccess(response, stats, ctx, details);
        },
      });
    }
  }
  return PlainHlsLoader as unknown as PlaylistLoaderConstructor;
}

/** Lets a video element go: no source, no buffered frames held in memory. */
export function releaseVideo(video: HTMLVideoElement): void {
  video.pause();
  video.removeAttribute("src");
  video.load();
}

export function liveStatusText(s: LiveStatus, cam: Pick<Camera, "codec"> | null): string {
  switch (s.kind) {
    case "connecting":
      return t("live.connecting");
    case "waiting":
      return `${t("live.waiting", { reason: s.reason })} · ${t("live.retryIn", {
        s: Math.max(1, Math.round((s.retryAt - Date.now()) / 1000)),
      })}`;
    case "unsupported":
      return t("live.unsupported", { codec: cam?.codec ? `${cam.codec}, ${s.codec}` : s.codec });
    case "refused":
      return s.reason;
    case "playing":
      return "";
  }
}
