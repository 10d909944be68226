// The address bar is the UI's state: views read it when they start and keep it current, so any view
// can be bookmarked, shared or reloaded.
import { q } from "./api";

export interface View {
  el: HTMLElement;
  /** rewrites texts after a language change, without restarting any player */
  relabel(): void;
  /** stops players, timers and polls */
  destroy(): void;
}

let router: () => void = () => {};

export function setRouter(fn: () => void): void {
  router = fn;
}

/** Goes to another address of the UI (a new history entry) and shows its view. */
export function navigate(url: string): void {
  if (url === location.pathname + location.search) return;
  history.pushState(null, "", url);
  router();
}

/** A query string with readable values (":" and "/" unescaped) and without the empty ones. */
export function buildQuery(params: Record<string, string | null | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") parts.push(`${encodeURIComponent(k)}=${q(v).replace(/%2F/gi, "/")}`);
  }
  return parts.length ? "?" + parts.join("&") : "";
}

/** Replaces the current entry's query, keeping ?lang= so a shared link keeps its language. */
export function replaceQuery(params: Record<string, string | null | undefined>): void {
  const lang = new URLSearchParams(location.search).get("lang");
  const url = location.pathname + buildQuery({ ...params, lang });
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}
