// vigil's web UI: the header, the router and the settings every view depends on (the time zone).
import Hls from "hls.js";
import { getJSON, urls, type Settings } from "./api";
import { createCameraView } from "./camera";
import { createContinuity } from "./continuity";
import { createDashboard } from "./dashboard";
import { h, relabel } from "./dom";
import { createFacilities, createFacilityView } from "./facilities";
import { currentLang, initLang, setLang, t, type Key } from "./i18n";
import { buildQuery, navigate, setRouter, type View } from "./nav";
import { catchStrays, messageOf, showError } from "./notice";
import { createSurvey } from "./survey";
import { createWall } from "./wall";
import { currentZone, formatDateTime, setZone } from "./zone";

let current: View | null = null;
let main: HTMLElement;
let headerClock: HTMLElement;

/** The header's pages; a page is active on its path and (but for the wall) the paths under it. */
const pages: { path: string; key: Key; testid: string }[] = [
  { path: "/", key: "nav.wall", testid: "nav-wall" },
  { path: "/dashboard", key: "nav.dashboard", testid: "nav-dashboard" },
  { path: "/facilities", key: "nav.facilities", testid: "nav-facilities" },
  { path: "/survey", key: "nav.survey", testid: "nav-survey" },
  { path: "/continuity", key: "nav.continuity", testid: "nav-continuity" },
];
const navLinks: HTMLAnchorElement[] = [];

async function boot(): Promise<void> {
  catchStrays();
  initLang(new URLSearchParams(location.search));
  const app = document.getElementById("app");
  if (!app) return;
  main = h("main", { id: "view" }, h("p", { class: "loading", i18n: "app.loading" }));
  app.replaceChildren(header(), main);
  startClock();
  await loadSettings();
  if (!Hls.isSupported()) showError("hls", t("err.noHls"));
  setRouter(route);
  window.addEventListener("popstate", route);
  route();
}

async function loadSettings(): Promise<void> {
  try {
    const s = await getJSON<Settings>(urls.settings());
    if (s.time_zone && !setZone(s.time_zone)) {
      showError("zone", t("err.zone", { zone: s.time_zone, fallback: currentZone() }));
    }
    if (s.version) document.querySelector(".brand")?.setAttribute("title", `vigil ${s.version}`);
  } catch (err) {
    showError("settings", `${t("err.settings")}: ${messageOf(err)}`);
  }
}

function header(): HTMLElement {
  const lang = new URLSearchParams(location.search).get("lang");
  for (const p of pages) {
    navLinks.push(h("a", { href: p.path + buildQuery({ lang }), class: "nav-link", "data-testid": p.testid, "data-path": p.path,
      i18n: p.key, onclick: (e: Event) => followLink(e as MouseEvent, p.path) }));
  }
  headerClock = h("span", { class: "header-clock", "data-testid": "header-clock", i18nLabel: "clock.label", role: "timer" });
  const langBtn = h("button", { type: "button", class: "lang", "data-testid": "lang", i18nLabel: "lang.label",
    onclick: () => toggleLang() }, h("span", { i18n: "lang.switch" }));
  return h(
    "header",
    { class: "app-header" },
    h("a", { href: "/", class: "brand", onclick: (e: Event) => followLink(e as MouseEvent, "/") }, "vigil"),
    h("nav", { class: "main-nav", i18nLabel: "nav.main" }, ...navLinks),
    h("span", { class: "spacer" }),
    headerClock,
    langBtn,
  );
}

function followLink(e: MouseEvent, path: string): void {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  const lang = new URLSearchParams(location.search).get("lang");
  navigate(path + buildQuery({ lang }));
}

function startClock(): void {
  const tick = () => {
    headerClock.textContent = formatDateTime(Date.now());
    // Wake just after the next second begins, so the clock never shows a second late.
    window.setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  };
  tick();
}

function toggleLang(): void {
  setLang(currentLang() === "vi" ? "en" : "vi");
  // A ?lang= in the address would switch the language back on reload: it follows the choice.
  const params = new URLSearchParams(location.search);
  if (params.has("lang")) {
    params.set("lang", currentLang());
    const rest = Object.fromEntries(params.entries());
    history.replaceState(null, "", location.pathname + buildQuery(rest));
  }
  for (const a of navLinks) a.href = (a.dataset.path ?? "/") + buildQuery({ lang: params.get("lang") });
  relabel(document.body);
  current?.relabel();
}

function route(): void {
  current?.destroy();
  current = null;
  const query = new URLSearchParams(location.search);
  const path = location.pathname;
  const camera = /^\/camera\/([^/]+)\/?$/.exec(path);
  const facility = /^\/facilities\/([^/]+)\/?$/.exec(path);
  const page = path.replace(/\/+$/, "") || "/";
  try {
    if (page === "/") {
      current = createWall(query);
    } else if (camera) {
      current = createCameraView(decodeURIComponent(camera[1]), query);
    } else if (page === "/dashboard") {
      current = createDashboard();
    } else if (page === "/facilities") {
      current = createFacilities(query);
    } else if (facility) {
      current = createFacilityView(decodeURIComponent(facility[1]));
    } else if (page === "/survey") {
      current = createSurvey();
    } else if (page === "/continuity") {
      current = createContinuity(query);
    } else {
      current = notFound();
    }
  } catch (err) {
    showError("view", messageOf(err));
    current = notFound();
  }
  for (const a of navLinks) {
    const p = a.dataset.path ?? "/";
    const active = p === "/" ? page === "/" : page === p || page.startsWith(p + "/");
    a.classList.toggle("active", active);
    if (active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (page === "/") document.title = `${t("nav.wall")} · vigil`;
  main.replaceChildren(current.el);
}

function notFound(): View {
  const el = h("section", { class: "not-found" },
    h("h1", { i18n: "notfound.title" }),
    h("a", { href: "/", onclick: (e: Event) => followLink(e as MouseEvent, "/"), i18n: "notfound.back" }));
  return { el, relabel: () => relabel(el), destroy: () => {} };
}

void boot();
