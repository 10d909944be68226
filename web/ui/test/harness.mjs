// What the browser tests share: a real vigil process, a real headless Chromium, ffprobe.
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

// startVigil runs vigil with the arguments args(dir) gives for a fresh temporary folder (they should make it
// listen on port 0) and resolves once it prints its web address. Its output is kept for failure messages.
export async function startVigil(args) {
  const dir = await mkdtemp(join(tmpdir(), "vigil-ui-"));
  const proc = spawn(vigilBin, await args(dir), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vigil did not start in 20 s:\n${output}`)), 20_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /web server at (http:\/\/\S+?)\/?$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => reject(new Error(`vigil exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dir,
    output: () => output,
    async stop() {
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      proc.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function getJSON(url) {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body.error}`);
  return body;
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

// launchBrowser starts Debian's Chromium headless with a fresh profile. The background-networking flags
// keep it from calling Google's hosts, which this machine's closed network refuses.
export async function launchBrowser() {
  const profile = await mkdtemp(join(tmpdir(), "vigil-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    acceptDownloads: true,
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
  context.on("page", (page) => watchErrors(page, errors));
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
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

// demoSuite gives a test file one `vigil demo` and one browser, started before its tests and stopped after
// them; a page error anywhere in the file fails it. Its vigil and browser are set once the tests run.
export function demoSuite() {
  const suite = {};
  before(async () => {
    suite.vigil = await startVigil((dir) => ["demo", "--data", dir, "--listen", "127.0.0.1:0"]);
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.vigil?.stop();
    assert.deepEqual(suite.browser?.errors ?? [], [], "uncaught errors in the page");
  });
  return suite;
}
