// The server's HTTP API: types of its answers, the URLs the players load, and a fetch that turns any
// failure into an ApiError carrying the server's own message.
import { t } from "./i18n";
import { rfc3339 } from "./zone";

export interface Settings {
  version: string;
  time_zone: string;
  segment_seconds: number;
}

export interface Camera {
  id: string;
  name: string;
  facility: string;
  enabled: boolean;
  state: string;
  since: string;
  last_error?: string;
  attempts: number;
  next_attempt?: string;
  codec?: string;
  audio_codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrate?: number;
}

export interface Span {
  start: string;
  end: string;
}

export interface Outage extends Span {
  state: string;
  reason?: string;
}

export interface Timeline {
  camera: string;
  start: string;
  end: string;
  spans: Span[];
  gaps: Span[];
  outages: Outage[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The message a failed response carries: the JSON error vigil writes, else the status. */
export async function errorOf(res: Response): Promise<ApiError> {
  let message = "";
  try {
    const body: unknown = await res.json();
    if (body && typeof body === "object" && "error" in body && typeof body.error === "string") {
      message = body.error;
    }
  } catch {
    /* not JSON: fall back to the status */
  }
  return new ApiError(res.status, message || t("err.http", { status: `${res.status} ${res.statusText}`.trim() }));
}

export async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { signal, headers: { Accept: "application/json" } });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, t("err.network"));
  }
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** Encodes a query value; ":" stays readable, "+" becomes %2B (a bare "+" would mean a space). */
export function q(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":");
}

const path = (id: string) => encodeURIComponent(id);

function range(startMs: number, endMs: number): string {
  return `start=${q(rfc3339(startMs, true))}&end=${q(rfc3339(endMs, true))}`;
}

export const urls = {
  settings: () => "/api/v1/settings",
  cameras: () => "/api/v1/cameras",
  camera: (id: string) => `/api/v1/cameras/${path(id)}`,
  timeline: (id: string, startMs: number, endMs: number) =>
    `/api/v1/cameras/${path(id)}/timeline?${range(startMs, endMs)}`,
  live: (id: string) => `/live/${path(id)}/index.m3u8`,
  liveSub: (id: string) => `/live/${path(id)}/index.m3u8?quality=sub`,
  playback: (id: string, startMs: number, endMs: number) =>
    `/playback/${path(id)}/index.m3u8?${range(startMs, endMs)}`,
  // Whole seconds: the file name and the headers then read as the range the user chose.
  export: (id: string, startMs: number, endMs: number) =>
    `/api/v1/cameras/${path(id)}/export.mp4?start=${q(rfc3339(startMs))}&end=${q(rfc3339(endMs))}`,
};

export function parseTime(s: string | undefined): number | null {
  if (!s) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}
