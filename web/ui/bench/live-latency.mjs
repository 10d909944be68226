// Glass-to-browser latency of live view: `make bench-live` (or `node bench/live-latency.mjs [seconds]` in
// web/ui after `make build`). It runs the demo, opens each simulated camera's live view in headless
// Chromium, one camera at a time (as a user does: several LL-HLS players in one browser share its six
// connections to the server and slow each other), and samples, four times a second, how far the frame on
// screen is behind the wall clock: the
// page's clock is the frame's program date-time, which vigil stamps with the time the frame arrived from
// the camera, so the figure covers vigil's muxer, HLS delivery, hls.js's buffer and the decoder. The
// simulated camera sends on loopback, so the camera's own encoding delay is not in it.
import { startVigil, launchBrowser, login, waitFor } from "../test/harness.mjs";

const seconds = Number(process.argv[2] ?? 30); // per camera
const warmup = 10;
const cameras = ["cam-01", "cam-02", "cam-03", "cam-04"];

const vigil = await startVigil((dir) => ["demo", "--data", dir, "--listen", "127.0.0.1:0", "--rtsp-listen", "127.0.0.1:0", "--log-level", "warn"]);
const browser = await launchBrowser();
try {
  await login(browser.context, vigil.url, "admin", vigil.adminPassword);
  const pages = [];
  for (const cam of cameras) {
    const page = await browser.newPage();
    await page.goto(`${vigil.url}/camera/${cam}`);
    const p = { cam, page, lags: [] };
    pages.push(p);
    await waitFor(`${cam} to play`, async () => Number(await page.getAttribute("[data-testid=clock]", "data-time-ms")) > 0, 30_000);
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const lag = await page.evaluate(() => {
        const v = document.querySelector("[data-testid=player] video");
        const ms = Number(document.querySelector("[data-testid=clock]")?.getAttribute("data-time-ms"));
        return v && !v.paused && ms > 0 ? Date.now() - ms : null;
      });
      if (lag !== null) p.lags.push(lag);
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.close();
  }
  const all = pages.flatMap((p) => p.lags);
  const row = (name, xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
    return `| ${name} | ${s.length} | ${at(0.5)} | ${at(0.9)} | ${at(0.99)} | ${s[s.length - 1]} |`;
  };
  console.log(`live latency over ${seconds} s per camera after ${warmup} s of warm-up, one camera view at a time (ms)`);
  console.log("| camera | samples | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- | --- |");
  for (const p of pages) console.log(row(p.cam, p.lags));
  console.log(row("all", all));
} finally {
  await browser.close();
  await vigil.stop();
}
