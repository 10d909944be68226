// How the province's pages write numbers people read: percentages, durations, phone numbers, sizes, and the
// accent-insensitive folding that makes "dong nai" find "Đồng Nai".
import { t } from "./i18n";

/**
 * Folds text for searching as the server does (config.Fold): lower case, Vietnamese letters without their
 * marks, đ as d. NFD splits "ồ" into "o" and two combining marks, which go.
 */
export function fold(s: string): string {
  return s.replace(/[đĐ]/g, "d").normalize("NFD").replace(/\p{Mn}/gu, "").toLowerCase();
}

/** True when every word of the query is in the text, both folded: the server's rule for ?q=. */
export function matchesQuery(text: string, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const hay = fold(text);
  return words.every((w) => hay.includes(w));
}

/**
 * "99.9 %", one decimal, rounded down: an outage of one second in a month must not read as 100 %, which
 * only a camera that never failed shows. null (nothing observed) is a dash.
 */
export function formatPercent(f: number | null | undefined): string {
  if (f === null || f === undefined || !Number.isFinite(f)) return "—";
  if (f >= 1) return "100 %";
  const tenths = Math.max(0, Math.floor(f * 1000 + 1e-9));
  return `${(tenths / 10).toFixed(1)} %`;
}

const minute = 60;
const hour = 3600;
const day = 86400;

/** A duration as people say it, to its two largest units: "2 giờ 5 phút" / "2 h 5 min", "45 giây" / "45 s". */
export function formatSpan(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return t("dur.s", { n: 0 });
  if (seconds < 0.5) return t("dur.underSecond");
  const total = Math.round(seconds);
  const units: [number, "dur.d" | "dur.h" | "dur.m" | "dur.s"][] = [
    [day, "dur.d"],
    [hour, "dur.h"],
    [minute, "dur.m"],
    [1, "dur.s"],
  ];
  for (let i = 0; i < units.length; i++) {
    const [size, key] = units[i];
    if (total < size && size !== 1) continue;
    const a = Math.floor(total / size);
    const out = [t(key, { n: a })];
    const next = units[i + 1];
    if (next) {
      const b = Math.floor((total - a * size) / next[0]);
      if (b > 0) out.push(t(next[1], { n: b }));
    }
    return out.join(" ");
  }
  return t("dur.s", { n: total });
}

/**
 * A Vietnamese number in its +84 form, grouped for reading: "+84 912 345 678" (mobile), "+84 24 3826 1234"
 * (Hà Nội and Hồ Chí Minh landlines), "+84 251 3822 123" (other landlines). Anything else is left as it is.
 */
export function formatPhone(e164: string): string {
  const m = /^\+84(\d+)$/.exec(e164);
  if (!m) return e164;
  const n = m[1];
  if (n.length === 9) return `+84 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
  if (n.length === 10 && n[0] === "2") {
    return n[1] === "4" || n[1] === "8"
      ? `+84 ${n.slice(0, 2)} ${n.slice(2, 6)} ${n.slice(6)}`
      : `+84 ${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`;
  }
  return e164;
}

/** Bytes as decimal gigabytes with one decimal: "4.8 GB" (what disks are sold in). */
export function formatGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/** "448 kb/s", "2.1 Mb/s". */
export function formatBitrate(bps: number): string {
  if (!bps) return "—";
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mb/s` : `${Math.round(bps / 1000)} kb/s`;
}

/** A frame rate without needless decimals: "25", "12.5". */
export function formatFPS(fps: number): string {
  if (!fps) return "—";
  return String(Math.round(fps * 10) / 10);
}
