// Non-blocking messages: error banners that stay until their cause clears or the user dismisses them,
// keyed by source so a failing poll updates one banner instead of stacking one per attempt, and short
// toasts for confirmations.
import { h } from "./dom";
import { t } from "./i18n";

const banners = new Map<string, HTMLElement>();
let stack: HTMLElement | null = null;

function container(): HTMLElement {
  if (!stack || !stack.isConnected) {
    stack = h("div", { class: "notices", "data-testid": "notices", "aria-live": "polite" });
    document.body.append(stack);
  }
  return stack;
}

const textOf = (el: HTMLElement) => el.querySelector(".notice-text")?.textContent ?? "";

/** Shows the error banner of one source, replacing its previous one. */
export function showError(source: string, message: string): void {
  const current = banners.get(source);
  if (current?.isConnected && textOf(current) === message) return;
  clearError(source);
  // Several sources failing for one cause (the server is down) share one banner.
  const same = [...banners.values()].find((b) => b.isConnected && textOf(b) === message);
  if (same) {
    banners.set(source, same);
    return;
  }
  const close = h("button", { type: "button", class: "icon notice-close", i18nLabel: "banner.close" }, "×");
  const el = h("div", { class: "notice error", role: "alert", "data-testid": "banner", "data-source": source },
    h("span", { class: "notice-text" }, message), close);
  close.addEventListener("click", () => dismiss(el));
  banners.set(source, el);
  container().append(el);
}

export function clearError(source: string): void {
  const el = banners.get(source);
  banners.delete(source);
  // A banner shared with a source that still fails stays.
  if (el && ![...banners.values()].includes(el)) el.remove();
}

/** Shows a short message that goes away by itself. */
export function toast(message: string, ms = 4000): void {
  const el = h("div", { class: "notice info", role: "status" }, message);
  container().append(el);
  window.setTimeout(() => el.remove(), ms);
}

/** The user closed a banner: it goes, for every source that shared it (they show it again if they fail again). */
function dismiss(el: HTMLElement): void {
  for (const [source, b] of banners) if (b === el) banners.delete(source);
  el.remove();
}

/** The message of anything thrown, for a banner. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Last line of defence: whatever escapes a handler is shown, not lost in the console. */
export function catchStrays(): void {
  window.addEventListener("error", (e) => {
    showError("unexpected", t("err.unexpected", { message: e.message || messageOf(e.error) }));
  });
  window.addEventListener("unhandledrejection", (e) => {
    // An aborted fetch (a view left while loading) is not an error.
    if (e.reason instanceof DOMException && e.reason.name === "AbortError") {
      e.preventDefault();
      return;
    }
    showError("unexpected", t("err.unexpected", { message: messageOf(e.reason) }));
  });
}
