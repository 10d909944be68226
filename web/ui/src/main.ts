// vigil's web UI: the header, the router and the settings every view depends on (the time zone). Every
// page but /login needs a session: the header shows who is signed in and links only to the pages their
// role may open, and the router shows a refusal, not a blank page, for a page it may not.
import Hls from "hls.js";
import { getJSON, loginHref, urls, type Me, type Permission, type Settings } from "./api";
import { createAudit } from "./audit";
import { createCameraView } from "./camera";
import { createCameraIndex } from "./recordings";
import { createContinuity } from "./continuity";
import { createDashboard } from "./dashboard";
import { h, relabel } from "./dom";
import { createFacilities, createFacilityView } from "./facilities";
import { createLogin } from "./login";
import { currentLang, initLang, setLang, t, type Key } from "./i18n";
import { buildQuery, navigate, setRouter, type View } from "./nav";
import { catchStrays, messageOf, showError } from "./notice";
import { refusal } from "./page";
import { can, currentUser, loadMe, logout, roleLabel } from "./session";
import { createSurvey } from "./survey";
import { createUsers } from "./users";
import { createWall } from "./wall";
import { currentZone, formatDateTime, setZone } from "./zone";

let current: View | null = null;
let main: HTMLElement;
let headerClock: HTMLElement;
let userBox: HTMLElement;

/**
 * The header's pages and the permission each needs; a page is active on its path and (but for the wall) the
 * paths under it. The wall's link is the recordings list for someone who may play back but not watch live.
 */
const pages: { path: string; key: Key; testid: string; perm: Permission }[] = [
  { path: "/", key: "nav.wall", testid: "nav-wall", perm: "live" },
  { path: "/dashboard", key: "nav.dashboard", testid: "nav-dashboard", perm: "continuity" },
  { path: "/facilities", key: "nav.facilities", testid: "nav-facilities", perm: "registry.read" },
  { path: "/survey", key: "nav.survey", testid: "nav-survey", perm: "survey" },
  { path: "/continuity", key: "nav.continuity", testid: "nav-continuity", perm: "continuity" },
  { path: "/users", key: "nav.users", testid: "nav-users", perm: "users" },
  { path: "/audit", key: "nav.audit", testid: "nav-audit", perm: "audit" },
];
const navLinks: HTMLAnchorElement[] = [];

async function boot(): Promise<void> {
  catchStrays();
  initLang(new URLSearchParams(location.search));
  const app = document.getElementById("app");
  if (!app) return;
  main = h("main", { id: "view" }, h("p", { class: "loading", i18n: "app.loading" }));
  if (pagePath() === "/login") {
    // Nobody is signed in yet: no navigation, no settings (the API answers them to a session only), so no
    // clock either: without the configured zone it could show another zone's time.
    app.replaceChildren(header(null), main);
    current = createLogin(new URLSearchParams(location.search));
    main.replaceChildren(current.el);
    return;
  }
  let me: Me | null;
  try {
    me = await loadMe();
  } catch (err) {
    app.replaceChildren(header(null), main);
    main.replaceChildren(h("p", { class: "form-error", role: "alert" }, `${t("auth.meFailed")}: ${messageOf(err)}`));
    return;
  }
  if (!me) {
    location.assign(loginHref(location.pathname + location.search));
    return;
  }
  app.replaceChildren(header(me), main);
  await loadSettings();
  // After the settings: the clock shows the configured zone's time from its first second.
  startClock();
  if (!Hls.isSupported() && (can("live") || can("playback"))) showError("hls", t("err.noHls"));
  setRouter(route);
  window.addEventListener("popstate", route);
  route();
}

/** The address's path without a trailing slash ("/" for the wall). */
function pagePath(): string {
  return location.pathname.replace(/\/+$/, "") || "/";
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

/** The header: for a signed-in user (me) their pages, their name and role, and the way out. */
function header(me: Me | null): HTMLElement {
  const lang = new URLSearchParams(location.search).get("lang");
  for (const p of pages) {
    if (!me || !allowed(p.perm, p.path)) continue;
    navLinks.push(h("a", { href: p.path + buildQuery({ lang }), class: "nav-link", "data-testid": p.testid, "data-path": p.path,
      i18n: p.path === "/" && !can("live") ? "nav.recordings" : p.key, onclick: (e: Event) => followLink(e as MouseEvent, p.path) }));
  }
  // Only a session reads the configured zone: without one the clock is left out.
  headerClock = h("span", { class: "header-clock", "data-testid": "header-clock", i18nLabel: "clock.label", role: "timer",
    hidden: !me });
  const langBtn = h("button", { type: "button", class: "lang", "data-testid": "lang", i18nLabel: "lang.label",
    onclick: () => toggleLang() }, h("span", { i18n: "lang.switch" }));
  userBox = h("span", { class: "user-box" });
  if (me) renderUser(me);
  return h(
    "header",
    { class: "app-header" },
    h("a", { href: "/", class: "brand", onclick: (e: Event) => followLink(e as MouseEvent, "/") }, "vigil"),
    h("nav", { class: "main-nav", i18nLabel: "nav.main" }, ...navLinks),
    h("span", { class: "spacer" }),
    headerClock,
    userBox,
    langBtn,
  );
}

/** Who is signed in (name and role) and the sign-out button. */
function renderUser(me: Me): void {
  userBox.dataset.testid = "user";
  userBox.dataset.username = me.username;
  userBox.dataset.role = me.role;
  userBox.replaceChildren(
    h("span", { class: "user-name", "data-testid": "user-name", title: me.username }, me.name || me.username),
    h("span", { class: `badge role-badge role-${me.role}`, "data-testid": "user-role" }, roleLabel(me.role)),
    h("button", { type: "button", class: "logout", "data-testid": "logout", onclick: () => void logout() },
      h("span", { i18n: "auth.logout" })),
  );
}

/**
 * Whether the user may open a page that needs perm. The wall needs live; without it someone who may play
 * back gets the recordings list at the same address.
 */
function allowed(perm: Permission, path = ""): boolean {
  if (path === "/") return can("live") || can("playback");
  return can(perm);
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
  const me = currentUser();
  if (me) renderUser(me);
  current?.relabel();
}

function route(): void {
  current?.destroy();
  current = null;
  const query = new URLSearchParams(location.search);
  const path = location.pathname;
  const camera = /^\/camera\/([^/]+)\/?$/.exec(path);
  const facility = /^\/facilities\/([^/]+)\/?$/.exec(path);
  const page = pagePath();
  // Each page with the permission it needs; the server refuses the same, this only saves the round trip.
  const make = (perm: Permission | null, fn: () => View): View => (perm === null || can(perm) ? fn() : forbidden());
  try {
    if (page === "/") {
      current = can("live") ? createWall(query) : make("playback", () => createCameraIndex());
    } else if (camera) {
      current = can("live") || can("playback")
        ? createCameraView(decodeURIComponent(camera[1]), query)
        : forbidden();
    } else if (page === "/dashboard") {
      current = make("continuity", () => createDashboard());
    } else if (page === "/facilities") {
      current = make("registry.read", () => createFacilities(query));
    } else if (facility) {
      current = make("registry.read", () => createFacilityView(decodeURIComponent(facility[1])));
    } else if (page === "/survey") {
      current = make("survey", () => createSurvey());
    } else if (page === "/continuity") {
      current = make("continuity", () => createContinuity(query));
    } else if (page === "/users") {
      current = make("users", () => createUsers());
    } else if (page === "/audit") {
      current = make("audit", () => createAudit(query));
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
  if (page === "/") document.title = `${t(can("live") ? "nav.wall" : "nav.recordings")} · vigil`;
  main.replaceChildren(current.el);
}

/** A page the user's role may not open: says so, in the page. */
function forbidden(): View {
  const el = h("section", { class: "page" }, refusal(t("auth.forbiddenPage")));
  return { el, relabel: () => el.replaceChildren(refusal(t("auth.forbiddenPage"))), destroy: () => {} };
}

function notFound(): View {
  const el = h("section", { class: "not-found" },
    h("h1", { i18n: "notfound.title" }),
    h("a", { href: "/", onclick: (e: Event) => followLink(e as MouseEvent, "/"), i18n: "notfound.back" }));
  return { el, relabel: () => relabel(el), destroy: () => {} };
}

void boot();
