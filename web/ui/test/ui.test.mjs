// The UI in a real browser: Debian's headless Chromium against a real vigil demo (simulated RTSP cameras,
// real recordings). Each test asserts what a user would check by eye.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { addUser, demoSuite, startVigil, getJSON, login, waitFor, ffprobe, isoSecond } from "./harness.mjs";

const demo = demoSuite();

const q = encodeURIComponent;

// recordedSince is when cam-01's footage of the last minutes starts (epoch ms), or undefined.
async function recordedSince(camera) {
  const now = Date.now();
  const r = await getJSON(`${demo.vigil.url}/api/v1/cameras/${camera}/recordings?start=${q(isoSecond(now - 600_000))}` +
    `&end=${q(isoSecond(now + 1000))}`);
  return r.spans.length ? Date.parse(r.spans[0].start) : undefined;
}

async function waitForFootage(camera, seconds) {
  await waitFor(`${seconds} s of ${camera}'s footage`, async () => {
    const since = await recordedSince(camera);
    return since !== undefined && Date.now() - since >= seconds * 1000;
  }, (seconds + 30) * 1000, 1000);
}

// advances waits until every video on the page has played at least `seconds` more.
async function videosAdvance(page, selector, seconds) {
  const start = await page.$$eval(selector, (vs) => vs.map((v) => v.currentTime));
  assert.ok(start.length > 0, `no ${selector} on the page`);
  await waitFor(`${selector} to play ${seconds} s`, async () => {
    const now = await page.$$eval(selector, (vs) => vs.map((v) => v.currentTime));
    return now.every((t, i) => t - start[i] >= seconds);
  }, 20_000, 250);
}

async function clockMs(page) {
  const v = await page.getAttribute("[data-testid=clock]", "data-time-ms");
  return v ? Number(v) : NaN;
}

// landedClock waits for the player to show a frame after a seek and returns the clock at that moment.
async function landedClock(page, timeoutMs = 10_000) {
  const handle = await page.waitForFunction(() => {
    const v = document.querySelector("[data-testid=player] video");
    const ms = Number(document.querySelector("[data-testid=clock]")?.getAttribute("data-time-ms") || NaN);
    return v && !v.seeking && v.readyState >= 2 && Number.isFinite(ms) ? ms : false;
  }, null, { timeout: timeoutMs, polling: 50 });
  return handle.jsonValue();
}

// trackX is the page x of wall-clock time ms on the timeline as it is drawn now.
async function trackGeometry(page) {
  const tl = page.locator("[data-testid=timeline]");
  const start = Number(await tl.getAttribute("data-start-ms"));
  const end = Number(await tl.getAttribute("data-end-ms"));
  const box = await page.locator("[data-testid=timeline-track]").boundingBox();
  return {
    start, end, box,
    x: (ms) => box.x + ((ms - start) / (end - start)) * box.width,
    time: (x) => start + ((x - box.x) / box.width) * (end - start),
    y: box.y + box.height / 2,
  };
}

// zoomTo presses zoom-in until the visible window is at most maxMs wide, so a pixel is a fraction of a second.
async function zoomTo(page, maxMs) {
  for (let i = 0; i < 20; i++) {
    const g = await trackGeometry(page);
    if (g.end - g.start <= maxMs) return g;
    await page.click("[data-testid=zoom-in]");
    await page.waitForTimeout(100);
  }
  throw new Error(`the timeline does not zoom in to ${maxMs} ms`);
}

test("the live wall shows every camera of every facility, playing", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/?grid=4`);
  await page.waitForSelector("[data-testid=wall]");
  await waitFor("4 online tiles", async () =>
    (await page.locator("[data-testid=tile][data-state=online]").count()) === 4);
  const cams = await page.$$eval("[data-testid=tile]", (ts) => ts.map((t) => t.dataset.camera).sort());
  assert.deepEqual(cams, ["cam-01", "cam-02", "cam-03", "cam-04"]);
  await videosAdvance(page, "[data-testid=tile] video", 2);

  await page.click("[data-testid=facility][data-facility=ktx-b]");
  await waitFor("ktx-b's tiles only", async () => {
    const shown = await page.$$eval("[data-testid=tile]", (ts) => ts.map((t) => t.dataset.camera).sort());
    return shown.join() === "cam-03,cam-04";
  });
  await page.close();
});

test("the camera view plays live, near the wall clock", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/camera/cam-01`);
  await page.waitForSelector("[data-testid=camera-view][data-camera=cam-01]");
  assert.equal(await page.getAttribute("[data-testid=mode]", "data-mode"), "live");
  await videosAdvance(page, "[data-testid=player] video", 3);
  const lag = Date.now() - (await clockMs(page));
  assert.ok(lag >= -1000 && lag < 6000, `the live clock is ${lag} ms behind the wall clock`);
  await page.close();
});

test("a shared link lands on its wall-clock second; a timeline click seeks; a selection exports", async () => {
  await waitForFootage("cam-01", 30);
  const page = await demo.browser.newPage();
  const want = Math.floor((Date.now() - 15_000) / 1000) * 1000;
  await page.goto(`${demo.vigil.url}/camera/cam-01?t=${q(isoSecond(want))}`);
  await page.waitForSelector("[data-testid=mode][data-mode=playback]");
  const landed = await landedClock(page);
  assert.ok(Math.abs(landed - want) <= 1000, `landed at ${new Date(landed).toISOString()}, asked for ${isoSecond(want)}`);
  const clockText = await page.textContent("[data-testid=clock]");
  assert.match(clockText, /^\s*\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d\s*$/, "the clock shows dd/mm/yyyy HH:mm:ss");

  // The timeline: zoomed to five minutes, a pixel is a third of a second.
  const since = await recordedSince("cam-01");
  let g = await zoomTo(page, 5 * 60_000);
  assert.ok((await page.locator("[data-testid=span]").count()) > 0, "no recorded span drawn");
  const lo = Math.max(g.start, since + 2000);
  const hi = Math.min(g.end, Date.now() - 3000);
  assert.ok(hi - lo > 12_000, `too little footage in the visible window (${lo}..${hi})`);
  const x = g.x(lo + (hi - lo) / 3);
  const target = g.time(x);
  await page.mouse.click(x, g.y);
  await waitFor("the timeline click to seek", async () => Math.abs((await landedClock(page)) - target) <= 1000, 10_000);

  // Shift+drag selects ten seconds; the export link downloads an MP4 of them.
  g = await trackGeometry(page);
  const x1 = g.x(lo + (hi - lo) / 2 - 5000);
  const x2 = g.x(lo + (hi - lo) / 2 + 5000);
  await page.keyboard.down("Shift");
  await page.mouse.move(x1, g.y);
  await page.mouse.down();
  await page.mouse.move(x2, g.y, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  const sel = page.locator("[data-testid=selection]");
  const selStart = Number(await sel.getAttribute("data-start-ms"));
  const selEnd = Number(await sel.getAttribute("data-end-ms"));
  assert.ok(Math.abs(selStart - g.time(x1)) < 1000 && Math.abs(selEnd - g.time(x2)) < 1000,
    `selection ${selStart}..${selEnd}, dragged ${g.time(x1)}..${g.time(x2)}`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export]")]);
  assert.match(download.suggestedFilename(), /cam-01.*\.mp4$/);
  const file = join(demo.vigil.dir, "export.mp4");
  await download.saveAs(file);
  const probe = await ffprobe(file);
  const selected = (selEnd - selStart) / 1000;
  assert.equal(probe.video, "h264");
  // The clip starts at the keyframe at or before the selection's start (the demo's keyframes are at most
  // two seconds apart).
  assert.ok(probe.duration >= selected - 0.5 && probe.duration <= selected + 2.5,
    `export lasts ${probe.duration} s, selected ${selected} s`);
  await page.close();
});

test("the language switch changes the page between Vietnamese and English", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/`);
  await page.waitForSelector("[data-testid=wall]");
  assert.equal(await page.getAttribute("html", "lang"), "vi");
  const vi = await page.textContent("body");
  await page.click("[data-testid=lang]");
  await waitFor("English", async () => (await page.getAttribute("html", "lang")) === "en");
  assert.notEqual(await page.textContent("body"), vi);
  await page.reload();
  await page.waitForSelector("[data-testid=wall]");
  assert.equal(await page.getAttribute("html", "lang"), "en", "the choice survives a reload");
  await page.close();
});

test("an unreachable camera's tile says since when and why", async () => {
  let adminPassword = "";
  const other = await startVigil(async (dir) => {
    const config = join(dir, "vigil.yaml");
    await writeConfig(config, dir);
    adminPassword = await addUser(["--config", config, "--role", "admin", "admin"]);
    return ["serve", "--config", config];
  }, { waitForPassword: false });
  // Cookies do not tell ports apart: this vigil's session lives in a context of its own, so the demo's stays.
  const context = await demo.browser.newContext();
  try {
    await login(context, other.url, "admin", adminPassword);
    const page = await context.newPage();
    await page.goto(`${other.url}/`);
    const tile = page.locator("[data-testid=tile][data-camera=gone]");
    await waitFor("the offline tile", async () => (await tile.getAttribute("data-state")) === "offline");
    const text = await tile.locator("[data-testid=tile-offline]").textContent();
    assert.match(text, /\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d/, `no since time in ${JSON.stringify(text)}`);
    assert.match(text, /refused|connect/i, `no reason in ${JSON.stringify(text)}`);
    assert.doesNotMatch(await page.content(), /hunter2/, "the camera password reached the page");
    await page.close();
  } finally {
    await context.close();
    await other.stop();
  }
});

// writeConfig writes a config with one camera nobody answers for: nothing listens on port 9 of loopback. Its
// RTSP re-stream takes a free port: the demo of this file holds the default one.
function writeConfig(path, dir) {
  return writeFile(path, [
    "listen: 127.0.0.1:0",
    "upstream:",
    "  listen: 127.0.0.1:0",
    "storage:",
    `  path: ${join(dir, "data")}`,
    "cameras:",
    "  - id: gone",
    "    name: Kho vật tư",
    "    facility: ktx-c",
    "    url: rtsp://admin:hunter2@127.0.0.1:9/stream1",
    "",
  ].join("\n"));
}
