// Builds the UI into dist/: one bundled, minified script (TypeScript and hls.js), the page and the style
// sheet. `make` runs it; the Go binary embeds dist/.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

const out = new URL("./dist/", import.meta.url);
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  minify: true,
  target: ["chrome109", "firefox115", "safari15"],
  outfile: "dist/app.js",
  logLevel: "warning",
});
for (const f of ["index.html", "style.css"]) {
  await copyFile(new URL(`./src/${f}`, import.meta.url), new URL(f, out));
}
