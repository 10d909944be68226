// What the browser tests share: a real vigil process, a real headless Chromium, ffprobe, and a signed-in
// session in both (every page and API route of vigil needs one).
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const run = promisify(execFile);

// vigilBin is the binary `make test-browser` built; the tests never build anything themselves.
export const vigilBin = process.env.VIGIL_BIN ?? new URL("../../../bin/vigil", import.meta.url).pathname;

// How long vigil may take to print the administrator's one-time password after its web address.
const passwordGraceMs = 3000;
// How long vigil may take to shut down after SIGTERM.
const stopGraceMs = 15_000;

// startVigil runs vigil with the arguments args(dir) gives for a fresh temporary folder (they should make it
// listen on port 0) and resolves once it prints its web address. Its output is kept for failure messages.
// adminPassword is the one-time password the demo prints for the user "admin" at every start
// (`... password: K3x…`); `vigil serve` prints none (waitForPassword: false), its admin comes from addUser.
export async function startVigil(args, { waitForPassword = true } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "vigil-ui-"));
  const proc = spawn(vigilBin, await args(dir), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const { url, adminPassword } = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vigil did not start in 20 s:\n${output}`)), 20_000);
    let url = null;
    let grace = null;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({ url, adminPassword: passwordIn(output) });
    };
    const onData = (chunk) => {
      output += chunk;
      const m = /web server at (http:\/\/\S+?)\/?$/m.exec(output);
      if (m && !url) {
        url = m[1];
        grace = setTimeout(done, waitForPassword ? passwordGraceMs : 0);
      }
      if (url && passwordIn(output)) done();
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => reject(new Error(`vigil exited with ${code}:\n${output}`)));
  });
  if (adminPassword) adminPasswords.set(new URL(url).origin, adminPassword);
  return {
    url,
    dir,
    adminPassword,
    output: () => output,
    // stop asks vigil to shut down and waits stopGraceMs for it; a vigil still running then is killed and the
    // hang fails the suite, with vigil's output, rather than holding it up.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once("exit", resolve));
        proc.kill("SIGTERM");
        let timer;
        const hung = await Promise.race([
          exited.then(() => false),
          new Promise((resolve) => {
            timer = setTimeout(() => resolve(true), stopGraceMs);
          }),
        ]);
        clearTimeout(timer);
        if (hung) {
          proc.kill("SIGKILL");
          await exited;
          await rm(dir, { recursive: true, force: true });
          throw new Error(`vigil did not stop within ${stopGraceMs / 1000} s of SIGTERM and was killed:\n${output}`);
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function passwordIn(output) {
  return /password: (\S+)/.exec(output)?.[1] ?? null;
}

// addUser makes a user with `vigil user add` (args: where, role, name: "--config", FILE, "--role", "admin",
// "admin") and resolves with the password it prints once.
export async function addUser(args) {
  const { stdout } = await run(vigilBin, ["user", "add", ...args]);
  const password = passwordIn(stdout);
  if (!password) throw new Error(`vigil user add printed no password:\n${stdout}`);
  return password;
}

// ---- the tests' own API calls, as the administrator ----

// Each vigil's admin password, by origin, and the session the tests' API calls use there.
const adminPasswords = new Map();
const apiSessions = new Map();

// apiLogin signs in over HTTP and returns the session: its cookie (for the Cookie header), its anti-forgery
// token and the answer (Me). It throws with the server's message on any failure.
export async function apiLogin(url, username, password) {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`login as ${username}: ${res.status} ${body.error}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("vigil_session="));
  if (!cookie) throw new Error(`login as ${username}: no vigil_session cookie in the answer`);
  return { cookie, csrf: body.csrf, me: body };
}

// adminSession is the administrator's session on the vigil at url's origin, made once.
function adminSession(url) {
  const origin = new URL(url).origin;
  if (!apiSessions.has(origin)) {
    const password = adminPasswords.get(origin);
    if (!password) return Promise.resolve(null);
    const session = apiLogin(origin, "admin", password);
    // A failed sign-in is not remembered: the next call tries again and reports its own failure.
    session.catch(() => apiSessions.delete(origin));
    apiSessions.set(origin, session);
  }
  return apiSessions.get(origin);
}

// api calls vigil as the administrator (or as session, from apiLogin) and returns the parsed answer (null
// for 204); a failure throws with the status and the server's message.
export async function api(method, url, body, session) {
  const s = session ?? (await adminSession(url));
  const headers = { Accept: "application/json" };
  if (s) headers.Cookie = s.cookie;
  if (s && method !== "GET") headers["X-CSRF-Token"] = s.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const answer = text ? JSON.parse(text) : null;
  if (!res.ok) throw Object.assign(new Error(`${method} ${url}: ${res.status} ${answer?.error}`), { status: res.status });
  return answer;
}

// getJSON reads an API answer as the administrator.
export async function getJSON(url) {
  return api("GET", url);
}

// ---- signing in the browser ----

// login signs target (a page, or a browser context: a page of its own is opened and closed) in to the vigil
// at url as user. By default it posts to the API from the login page, as its form would; how: "form" types
// into the form instead and waits for the page it leads to. The session's cookie then serves every page of
// the context. Resolves with the answer (Me) for "fetch".
export async function login(target, url, user, password, { how = "fetch" } = {}) {
  const own = typeof target.newPage === "function";
  const page = own ? await target.newPage() : target;
  try {
    await page.goto(`${url}/login`);
    await page.waitForSelector("[data-testid=login-form]");
    if (how === "form") {
      await page.fill("[data-testid=login-username]", user);
      await page.fill("[data-testid=login-password]", password);
      await Promise.all([page.waitForURL((u) => u.pathname !== "/login"), page.click("[data-testid=login-submit]")]);
      return null;
    }
    const answer = await page.evaluate(async ([username, pw]) => {
      const res = await fetch("/api/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username, password: pw }),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    }, [user, password]);
    if (answer.status !== 200) throw new Error(`login as ${user}: ${answer.status} ${answer.body?.error}`);
    return answer.body;
  } finally {
    if (own) await page.close();
  }
}

// waitFor polls fn until it returns a truthy value or the time runs out.
export async function waitFor(what, fn, timeoutMs = 20_000, everyMs = 200) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

// launchBrowser starts Debian's Chromium headless with one browser context (context, newPage); newContext()
// makes another, with cookies of its own, to be someone else. The background-networking flags keep it from
// calling Google's hosts, which this machine's closed network refuses.
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  const errors = [];
  const newContext = async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    context.on("page", (page) => watchErrors(page, errors));
    return context;
  };
  const context = await newContext();
  return {
    context,
    errors,
    newContext,
    async newPage() {
      const page = await context.newPage();
      return page;
    },
    async close() {
      await browser.close();
    },
  };
}

function watchErrors(page, errors) {
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
}

// ffprobeDuration returns the container duration in seconds and the video stream's codec.
export async function ffprobe(file) {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_name,codec_type",
    "-of", "json", file]);
  const info = JSON.parse(stdout);
  return {
    duration: Number(info.format.duration),
    video: info.streams.find((s) => s.codec_type === "video")?.codec_name,
  };
}

// isoSecond formats an epoch-ms instant as RFC 3339 in UTC, whole seconds.
export function isoSecond(ms) {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

// demoSuite gives a test file one `vigil demo` and one browser, signed in as the administrator, started
// before its tests and stopped after them; a page error anywhere in the file fails it. Its vigil and
// browser are set once the tests run.
export function demoSuite() {
  const suite = {};
  before(async () => {
    // The RTSP re-stream on a free port too: its default (8554) may be taken (another demo, `make run`).
    suite.vigil = await startVigil((dir) => ["demo", "--data", dir, "--listen", "127.0.0.1:0", "--rtsp-listen", "127.0.0.1:0"]);
    assert.ok(suite.vigil.adminPassword, `the demo printed no password for admin:\n${suite.vigil.output()}`);
    suite.browser = await launchBrowser();
    await login(suite.browser.context, suite.vigil.url, "admin", suite.vigil.adminPassword);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.vigil?.stop();
    assert.deepEqual(suite.browser?.errors ?? [], [], "uncaught errors in the page");
  });
  return suite;
}
