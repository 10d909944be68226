// Wall-clock time in the server's configured zone. Every time the user reads or types is in that zone,
// whatever the browser's own zone is, so investigators in different places agree on "17:05:00".
// The zone's offset is always computed from Intl at the instant in question, never assumed.

export interface Parts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const defaultZone = "Asia/Ho_Chi_Minh";
let zone = defaultZone;
let formatter = makeFormatter(defaultZone);
// The clock, the timeline and the URL ask for the same second many times a second.
let cachedSecond = NaN;
let cachedParts: Parts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };

function makeFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** Sets the zone; returns false (and keeps the previous one) when this browser does not know it. */
export function setZone(timeZone: string): boolean {
  try {
    formatter = makeFormatter(timeZone);
  } catch {
    return false;
  }
  zone = timeZone;
  cachedSecond = NaN;
  return true;
}

export function currentZone(): string {
  return zone;
}

export function partsAt(ms: number): Parts {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedParts;
  const p: Parts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter.formatToParts(new Date(second * 1000))) {
    if (part.type in p) p[part.type as keyof Parts] = Number(part.value);
  }
  cachedSecond = second;
  cachedParts = p;
  return p;
}

/** The zone's offset from UTC at the instant ms, in ms (positive east of Greenwich). */
export function offsetAt(ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const p = partsAt(whole);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/** The instant at which the zone's clock reads p. */
export function fromParts(p: Parts): number {
  const asUTC = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const first = asUTC - offsetAt(asUTC);
  // Near an offset change the offset at the guess may differ from the offset at the answer.
  const second = asUTC - offsetAt(first);
  return second;
}

export function startOfDay(ms: number): number {
  const p = partsAt(ms);
  return fromParts({ ...p, hour: 0, minute: 0, second: 0 });
}

const pad2 = (n: number) => String(n).padStart(2, "0");

export function formatDate(ms: number): string {
  const p = partsAt(ms);
  return `${pad2(p.day)}/${pad2(p.month)}/${p.year}`;
}

export function formatTime(ms: number): string {
  const p = partsAt(ms);
  return `${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
}

export function formatHM(ms: number): string {
  const p = partsAt(ms);
  return `${pad2(p.hour)}:${pad2(p.minute)}`;
}

export function formatDateTime(ms: number): string {
  return `${formatDate(ms)} ${formatTime(ms)}`;
}

/** An instant as parseTyped reads it back: dd/mm/yyyy HH:mm, with :ss when it is not on a whole minute. */
export function formatTyped(ms: number): string {
  return `${formatDate(ms)} ${partsAt(ms).second === 0 ? formatHM(ms) : formatTime(ms)}`;
}

/** RFC 3339 in the configured zone ("2026-11-27T17:05:00+07:00"), to the second or to the millisecond. */
export function rfc3339(ms: number, withMillis = false): string {
  ms = Math.floor(ms);
  const p = partsAt(ms);
  const off = Math.round(offsetAt(ms) / 60000);
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  const frac = withMillis ? "." + String(((ms % 1000) + 1000) % 1000).padStart(3, "0") : "";
  return (
    `${p.year}-${pad2(p.month)}-${pad2(p.day)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}${frac}` +
    `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}

const rfc3339Pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Reads an RFC 3339 time from a URL; null if it is not one. */
export function parseRFC3339(raw: string): number | null {
  // In a query string an unencoded "+07:00" arrives as " 07:00"; nothing else in the format is a space.
  const s = raw.trim().replace(" ", "+");
  if (!rfc3339Pattern.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

export type TypedTime = { ok: true; ms: number } | { ok: false; problem: "format" | "date" | "time" };

const typedPattern = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/;

/** Parses what a user typed: "dd/mm/yyyy HH:mm:ss" (seconds, or the whole time, may be left out). */
export function parseTyped(raw: string): TypedTime {
  const m = typedPattern.exec(raw.trim());
  if (!m) return { ok: false, problem: "format" };
  const p: Parts = {
    day: Number(m[1]),
    month: Number(m[2]),
    year: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
  const daysInMonth = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth || p.year < 1970) {
    return { ok: false, problem: "date" };
  }
  if (p.hour > 23 || p.minute > 59 || p.second > 59) return { ok: false, problem: "time" };
  return { ok: true, ms: fromParts(p) };
}

/** "1:02:03" or "2:03": a duration as an investigator reads it on a clip. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}
