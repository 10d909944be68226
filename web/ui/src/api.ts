// The server's HTTP API: types of its answers, the URLs the players load, and a fetch that turns any
// failure into an ApiError carrying the server's own message. It is also the one place that knows the
// session's rules: every request that changes something carries the anti-forgery token, and a 401 (the
// session ended) sends the user to sign in again and come back.
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
  /** where the camera looks (entrance, corridor…) */
  location?: string;
  facility_name?: string;
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

/** One bad field of a facility or a contact, as the registry names it (phone, email, status_since…). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** One bad cell of an imported contact list. */
export interface RowProblem {
  line: number;
  field: string;
  /** the column's header in the file */
  column?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** the fields a 400 named, if any */
    readonly fields: FieldProblem[] = [],
    /** the rows of a refused import, if any */
    readonly rows: RowProblem[] = [],
    /** seconds until a locked-out sign-in may be tried again (429), 0 if not said */
    readonly retryAfter = 0,
    /** what the server names the refusal for the client to act on (account_disabled, locked), "" if it names none */
    readonly code = "",
  ) {
    super(message);
  }
}

/** The message a failed response carries: the JSON error vigil writes, else the status. */
export async function errorOf(res: Response): Promise<ApiError> {
  let message = "";
  let fields: FieldProblem[] = [];
  let rows: RowProblem[] = [];
  let retryAfter = Number(res.headers.get("Retry-After")) || 0;
  let code = "";
  try {
    const body: unknown = await res.json();
    if (body && typeof body === "object") {
      if ("error" in body && typeof body.error === "string") message = body.error;
      if ("fields" in body && Array.isArray(body.fields)) fields = body.fields as FieldProblem[];
      if ("rows" in body && Array.isArray(body.rows)) rows = body.rows as RowProblem[];
      if ("retry_after" in body && typeof body.retry_after === "number") retryAfter = body.retry_after;
      if ("code" in body && typeof body.code === "string") code = body.code;
    }
  } catch {
    /* not JSON: fall back to the status */
  }
  return new ApiError(res.status, message || t("err.http", { status: `${res.status} ${res.statusText}`.trim() }),
    fields, rows, retryAfter, code);
}

// ---- the session ----

/** What a 401 does: send the user to sign in (any page of the UI), or let the caller handle it (signing in). */
export type OnUnauthorized = "login" | "throw";

export interface RequestOptions {
  signal?: AbortSignal;
  onUnauthorized?: OnUnauthorized;
}

// The session's anti-forgery token: the server refuses any POST, PUT or DELETE without it (403), so a page
// of another site cannot act with the user's cookie. It comes with /auth/me and with the login answer.
let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/**
 * The sign-in page's address that comes back to next afterwards. next is the path and query of a page of
 * this site; the login page checks it again (safeNext) before following it.
 */
export function loginHref(next: string): string {
  const lang = new URLSearchParams(location.search).get("lang");
  const params = new URLSearchParams();
  if (next && next !== "/") params.set("next", next);
  if (lang) params.set("lang", lang);
  const query = params.toString();
  return "/login" + (query ? `?${query}` : "");
}

/**
 * Where to go after signing in: next only if it is a path of this site, so a crafted link cannot use the
 * login page to send someone away. A browser reads "//host" and "/" + backslash + "host" as other sites;
 * anything else that resolves to another origin is refused too.
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  let url: URL;
  try {
    url = new URL(next, location.origin);
  } catch {
    return "/";
  }
  if (url.origin !== location.origin || url.pathname === "/login") return "/";
  return url.pathname + url.search + url.hash;
}

let leaving = false;

/** The session ended: sign in again, then come back to this page. Many failing requests leave once. */
export function signInAgain(): void {
  if (leaving) return;
  leaving = true;
  location.assign(loginHref(location.pathname + location.search));
}

// ---- requests ----

export async function getJSON<T>(path: string, signal?: AbortSignal, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, { signal, headers: { Accept: "application/json" } }, { ...opts, signal });
  return (await res.json()) as T;
}

/** Sends a JSON body (or none) with another method than GET; resolves with the answer, null for 204. */
export async function sendJSON<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown,
  opts: RequestOptions = {}): Promise<T | null> {
  return send<T>(path, {
    method,
    headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }, opts);
}

/** Posts a multipart form (a file upload). */
export async function postForm<T>(path: string, form: FormData): Promise<T | null> {
  return send<T>(path, { method: "POST", headers: { Accept: "application/json" }, body: form });
}

async function send<T>(path: string, init: RequestInit, opts: RequestOptions = {}): Promise<T | null> {
  const res = await request(path, init, opts);
  if (res.status === 204) return null;
  return (await res.json()) as T;
}

/** Every call of the API goes through here: the token on changes, network and HTTP failures as ApiError. */
async function request(path: string, init: RequestInit, opts: RequestOptions): Promise<Response> {
  const method = (init.method ?? "GET").toUpperCase();
  const headers = new Headers(init.headers);
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers.set("X-CSRF-Token", csrfToken);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, credentials: "same-origin" });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, t("err.network"));
  }
  if (res.ok) return res;
  const err = await errorOf(res);
  if (res.status === 401 && (opts.onUnauthorized ?? "login") === "login") {
    signInAgain();
    throw new ApiError(401, t("auth.expired"));
  }
  throw err;
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

  dashboard: () => "/api/v1/dashboard",
  facilities: () => "/api/v1/facilities",
  facility: (id: string) => `/api/v1/facilities/${path(id)}`,
  contacts: (facility: string) => `/api/v1/facilities/${path(facility)}/contacts`,
  contact: (facility: string, contact: number) => `/api/v1/facilities/${path(facility)}/contacts/${contact}`,
  searchContacts: (query: string) => `/api/v1/contacts?q=${q(query)}`,
  contactsCSV: () => "/api/v1/contacts/export.csv",
  contactsXLSX: () => "/api/v1/contacts/export.xlsx",
  importContacts: () => "/api/v1/contacts/import",
  survey: (scope: { facility?: string; camera?: string }) =>
    "/api/v1/survey" + (scope.camera ? `?camera=${q(scope.camera)}` : scope.facility ? `?facility=${q(scope.facility)}` : ""),
  surveyLatest: () => "/api/v1/survey/latest",
  surveyCSV: () => "/api/v1/survey/latest/report.csv",
  surveyXLSX: () => "/api/v1/survey/latest/report.xlsx",
  /** named periods, or custom with start and end (whole seconds) */
  uptime: (period: string, startMs?: number, endMs?: number) =>
    `/api/v1/uptime?period=${q(period)}` +
    (period === "custom" && startMs !== undefined && endMs !== undefined ? `&${wholeRange(startMs, endMs)}` : ""),
  alerts: (state: "open" | "closed" | "all", startMs: number, endMs: number) =>
    `/api/v1/alerts?state=${state}&${wholeRange(startMs, endMs)}`,

  login: () => "/api/v1/auth/login",
  logout: () => "/api/v1/auth/logout",
  me: () => "/api/v1/auth/me",
  users: () => "/api/v1/users",
  user: (username: string) => `/api/v1/users/${path(username)}`,
  userPassword: (username: string) => `/api/v1/users/${path(username)}/password`,
  tokens: () => "/api/v1/tokens",
  token: (id: string) => `/api/v1/tokens/${path(id)}`,
  audit: (filter: AuditFilter, before?: string | number | null, limit = 100) =>
    `/api/v1/audit${auditQuery(filter, { before: before === null || before === undefined ? "" : String(before), limit: String(limit) })}`,
  auditCSV: (filter: AuditFilter) => `/api/v1/audit/export.csv${auditQuery(filter, {})}`,
};

/** The audit log's filters, as the API names them; from and to are instants (epoch ms). */
export interface AuditFilter {
  from?: number | null;
  to?: number | null;
  actor?: string;
  camera?: string;
  action?: string;
}

function auditQuery(f: AuditFilter, extra: Record<string, string>): string {
  const params: Record<string, string> = {
    from: f.from === null || f.from === undefined ? "" : rfc3339(f.from),
    to: f.to === null || f.to === undefined ? "" : rfc3339(f.to),
    actor: f.actor ?? "",
    camera: f.camera ?? "",
    action: f.action ?? "",
    ...extra,
  };
  const parts = Object.entries(params).filter(([, v]) => v !== "").map(([k, v]) => `${k}=${q(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

function wholeRange(startMs: number, endMs: number): string {
  return `start=${q(rfc3339(startMs))}&end=${q(rfc3339(endMs))}`;
}

// ---- the province's registry ----

export interface Province {
  name: string;
  code: string;
  operator: string;
  in_reference_list: boolean;
  time_zone: string;
}

export interface Contact {
  id: number;
  facility_id: string;
  name: string;
  title: string;
  /** +84… as the server normalised it */
  phone: string;
  /** 0912 345 678, as lists write it */
  phone_local: string;
  email: string;
  primary: boolean;
  confirmed: string | null;
  updated: string;
  /** what the letter asks for that this contact lacks (title, email) */
  missing?: string[];
}

export interface Facility {
  id: string;
  name: string;
  address: string;
  district: string;
  commune: string;
  kind: string;
  capacity: number;
  status: string;
  status_since: string | null;
  notes: string;
  origin: string;
  created: string;
  updated: string;
  edited: string | null;
  cameras: string[];
  /** in lists */
  primary_contact?: Contact;
  contact_count?: number;
  /** for one facility */
  contacts?: Contact[];
}

export interface SearchResult {
  facility: Facility;
  contact: Contact | null;
}

export interface ImportResult {
  rows: number;
  facilities_created: number;
  facilities_updated: number;
  contacts_created: number;
  contacts_updated: number;
  unchanged: number;
}

// ---- the dashboard ----

export interface ContactSummary {
  name: string;
  title: string;
  phone: string;
  email: string;
}

export interface DashboardFacility {
  id: string;
  name: string;
  status: string;
  cameras: number;
  online: number;
  never_connected: number;
  uptime_today: number | null;
  open_alerts: number;
  primary_contact: ContactSummary | null;
  all_offline: boolean;
}

export interface DashboardAlert {
  id: number;
  camera: string;
  facility: string;
  down_since: string;
  reason: string;
}

export interface Dashboard {
  province: Province;
  now: string;
  cameras: {
    total: number;
    online: number;
    offline: number;
    connecting: number;
    disabled: number;
    never_connected: number;
  };
  uptime_today: number | null;
  open_alerts: DashboardAlert[];
  facilities: DashboardFacility[];
  attention: { no_primary_contact: string[]; all_cameras_offline: string[] };
}

// ---- the camera survey ----

export interface SurveyStream {
  url: string;
  reachable: boolean;
  reason?: string;
  message?: string;
  message_vi?: string;
  codec?: string;
  profile?: string;
  level?: string;
  width?: number;
  height?: number;
  fps: number;
  fps_declared?: number;
  frames: number;
  keyframes: number;
  gop_frames: number;
  gop_seconds: number;
  gop_open?: boolean;
  bytes: number;
  bitrate_bps: number;
  packets_lost: number;
  audio: string;
  audio_rate?: number;
  audio_channels?: number;
  transport?: string;
  window_seconds: number;
  max_stall_seconds: number;
  at: string;
}

export interface SurveyFailure {
  code: string;
  message: string;
  message_vi: string;
}

export interface SurveyCamera {
  camera_id: string;
  name: string;
  facility: string;
  location?: string;
  enabled: boolean;
  main: SurveyStream;
  substream?: SurveyStream;
  facility_name: string;
  meets_minimum: boolean;
  failures?: SurveyFailure[];
  storage_per_day_bytes: number;
}

export interface SurveySummary {
  cameras: number;
  reachable: number;
  meeting_minimum: number;
  failing: number;
  bitrate_bps: number;
  storage_per_day_bytes: number;
  failure_counts?: Record<string, number>;
}

export interface SurveyReport {
  province?: string;
  generated: string;
  surveyed_from: string;
  surveyed_to: string;
  minimum: {
    resolution: string;
    fps: number;
    codecs: string[] | null;
    max_gop_seconds: number;
    continuous: boolean;
    max_stall_seconds: number;
  };
  province_summary: SurveySummary;
  facilities: (SurveySummary & { id: string; name: string })[];
  cameras: SurveyCamera[];
  not_surveyed?: string[];
}

export interface SurveyRunning {
  run_id: number;
  /** "" every camera | facility:ID | camera:ID */
  scope: string;
  started: string;
  cameras: number;
  done: number;
}

export interface SurveyLatest {
  running: SurveyRunning | null;
  report: SurveyReport | null;
}

// ---- continuity ----

export interface UptimeSummary {
  cameras: number;
  never_connected: number;
  uptime: number | null;
  observed_seconds: number;
  online_seconds: number;
  outage_seconds: number;
  unknown_seconds: number;
  outages: number;
  longest_outage_seconds: number;
  footage_missing_minutes: number;
}

export interface OutageInfo {
  start: string;
  end: string;
  seconds: number;
  reason: string;
  started_before: boolean;
  open: boolean;
}

export interface CameraUptime {
  id: string;
  name: string;
  facility: string;
  enabled: boolean;
  never_connected: boolean;
  uptime: number | null;
  observed_seconds: number;
  online_seconds: number;
  outage_seconds: number;
  unknown_seconds: number;
  outages: number;
  longest_outage: OutageInfo | null;
  footage_missing_minutes: number;
}

export interface UptimeAnswer {
  period: { name: string; start: string; end: string; now: string };
  province?: UptimeSummary & { name: string; code: string };
  facilities: (UptimeSummary & { id: string; name: string })[];
  cameras: CameraUptime[];
}

export interface Delivery {
  event: string;
  channel: string;
  target: string;
  attempt: number;
  status: string;
  error?: string;
  at: string;
}

export interface Alert {
  id: number;
  state: "open" | "closed";
  camera_id: string;
  camera_name: string;
  facility_id: string;
  facility_name: string;
  down_since: string;
  opened_at: string;
  closed_at: string | null;
  duration_seconds: number;
  reason: string;
  close_reason?: string;
  deliveries: Delivery[];
}

export interface AlertsAnswer {
  alerts: Alert[];
  truncated: boolean;
}

export function parseTime(s: string | undefined): number | null {
  if (!s) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

// ---- users, sessions and the audit log ----

export const roles = ["admin", "operator", "investigator", "facility", "viewer"] as const;
export type Role = (typeof roles)[number];

export type Permission =
  | "live" | "playback" | "export" | "registry.read" | "registry.write" | "survey" | "continuity" | "users" | "audit"
  | "metrics";

/** Which facilities someone may see ("*": all of them) and, for an investigator, which footage (from/until). */
export interface Grant {
  facility: string;
  from?: string;
  until?: string;
}

/** The signed-in user. */
export interface Me {
  username: string;
  name: string;
  role: Role;
  /** user (a session) or token */
  kind?: string;
  grants: Grant[];
  permissions: Permission[];
  csrf: string;
}

export interface User {
  username: string;
  name: string;
  role: Role;
  grants: Grant[];
  disabled: boolean;
  created: string;
  last_login: string | null;
  locked_until: string | null;
}

export interface Token {
  id: string;
  name: string;
  role: Role;
  grants: Grant[];
  created: string;
  created_by: string;
  last_used: string | null;
  last_used_from: string;
  revoked: string | null;
}

export const auditActions = [
  "login", "login_failed", "logout", "live", "playback", "export", "user.create", "user.update", "user.password",
  "token.create", "token.revoke", "registry.change", "registry.import", "registry.export", "survey", "audit.export",
  "config.change",
] as const;

export interface AuditEvent {
  id: number | string;
  at: string;
  actor: string;
  /** anonymous: a refused sign-in, whose actor is the name tried */
  actor_kind: "user" | "token" | "system" | "anonymous";
  role: string;
  address: string;
  action: string;
  camera: string;
  facility: string;
  start: string;
  end: string;
  bytes: number;
  detail: string;
  outcome: string;
}

export interface AuditPage {
  events: AuditEvent[];
  next_before: number | string | null;
}
