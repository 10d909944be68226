// Users, sessions and the audit log in a real browser: Debian's headless Chromium against a real vigil demo
// (facilities ktx-a and ktx-b, two cameras each). Each test signs people in as a user would, in a browser
// context of their own, and checks what they see and what the server then holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { api, apiLogin, demoSuite, getJSON, login, waitFor } from "./harness.mjs";

const demo = demoSuite();

const text = async (locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();

// status is what the page's own fetch of an API path answers: the session the page's cookies carry.
async function status(page, path) {
  return page.evaluate((p) => fetch(p, { headers: { Accept: "application/json" } }).then((r) => r.status), path);
}

// fillLogin types into the sign-in form and submits it.
async function fillLogin(page, user, password) {
  await page.waitForSelector("[data-testid=login-form]");
  await page.fill("[data-testid=login-username]", user);
  await page.fill("[data-testid=login-password]", password);
  await page.click("[data-testid=login-submit]");
}

// asPerson runs fn with a page of a browser context signed in as user, and closes the context after.
async function asPerson(user, password, fn) {
  const context = await demo.browser.newContext();
  try {
    await login(context, demo.vigil.url, user, password);
    const page = await context.newPage();
    return await fn(page, context);
  } finally {
    await context.close();
  }
}

async function navLinks(page) {
  return page.$$eval(".main-nav a", (as) => as.map((a) => a.dataset.testid));
}

// The facility user the administrator makes on the users page; the audit test looks for what they did.
let facilityUser = null;

test("a wrong password is refused with a message, and no session is made", async () => {
  const context = await demo.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${demo.vigil.url}/login`);
    await fillLogin(page, "admin", "not-the-password");
    const error = page.locator("[data-testid=login-error]");
    await error.waitFor({ state: "visible" });
    assert.equal(await text(error), "Sai tên đăng nhập hoặc mật khẩu");
    assert.equal(new URL(page.url()).pathname, "/login");
    assert.equal(await page.inputValue("[data-testid=login-password]"), "", "the wrong password stays in the form");
    // Without a session the configured zone is unknown: the header shows no clock.
    assert.equal(await page.locator("[data-testid=header-clock]").isVisible(), false, "a clock on the sign-in page");
    assert.equal(await status(page, "/api/v1/auth/me"), 401);
    assert.equal(await status(page, "/api/v1/cameras"), 401);
  } finally {
    await context.close();
  }
});

test("a page asked for without a session signs in first, then opens; a next outside the site opens the wall", async () => {
  const context = await demo.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${demo.vigil.url}/continuity?period=7d`);
    await page.waitForSelector("[data-testid=login-form]");
    const at = new URL(page.url());
    assert.equal(at.pathname, "/login");
    assert.equal(at.searchParams.get("next"), "/continuity?period=7d");

    await fillLogin(page, "admin", demo.vigil.adminPassword);
    await page.waitForURL((u) => u.pathname === "/continuity");
    assert.equal(new URL(page.url()).searchParams.get("period"), "7d");
    await page.waitForSelector("[data-testid=continuity]");
    assert.equal(await page.getAttribute("[data-testid=user]", "data-username"), "admin");
    assert.equal(await text(page.locator("[data-testid=user-role]")), "Quản trị");
    const links = await navLinks(page);
    assert.ok(links.includes("nav-users") && links.includes("nav-audit"), `the admin's links: ${links}`);

    // A link crafted to send someone elsewhere after signing in lands on the wall instead.
    for (const next of ["//example.com/x", "https://example.com/", "/\\example.com"]) {
      await page.goto(`${demo.vigil.url}/login?next=${encodeURIComponent(next)}`);
      await fillLogin(page, "admin", demo.vigil.adminPassword);
      await page.waitForSelector("[data-testid=wall]");
      const landed = new URL(page.url());
      assert.equal(landed.origin, demo.vigil.url, `next=${next} left the site`);
      assert.equal(landed.pathname, "/", `next=${next}`);
    }
  } finally {
    await context.close();
  }
});

test("signing out ends the session: the sign-in page, and the API answers 401", async () => {
  const context = await demo.browser.newContext();
  try {
    const page = await context.newPage();
    await login(page, demo.vigil.url, "admin", demo.vigil.adminPassword, { how: "form" });
    await page.waitForSelector("[data-testid=wall]");
    assert.equal(await status(page, "/api/v1/auth/me"), 200);

    await page.click("[data-testid=logout]");
    await page.waitForURL((u) => u.pathname === "/login");
    await page.waitForSelector("[data-testid=login-form]");
    assert.equal(await status(page, "/api/v1/auth/me"), 401);
    assert.equal(await status(page, "/api/v1/cameras"), 401);
    await page.goto(`${demo.vigil.url}/dashboard`);
    await page.waitForSelector("[data-testid=login-form]");
    assert.equal(new URL(page.url()).searchParams.get("next"), "/dashboard");
  } finally {
    await context.close();
  }
});

test("a session ended elsewhere sends the open page to sign in, and back to it after", async () => {
  const context = await demo.browser.newContext();
  try {
    await login(context, demo.vigil.url, "admin", demo.vigil.adminPassword);
    const page = await context.newPage();
    await page.goto(`${demo.vigil.url}/?grid=9`);
    await page.waitForSelector("[data-testid=wall]");
    // The session ends behind the page's back (as at its expiry): the wall's next poll meets a 401.
    const code = await page.evaluate(async () => {
      const me = await (await fetch("/api/v1/auth/me")).json();
      const res = await fetch("/api/v1/auth/logout", { method: "POST", headers: { "X-CSRF-Token": me.csrf } });
      return res.status;
    });
    assert.equal(code, 204);
    await page.waitForURL((u) => u.pathname === "/login", { timeout: 20_000 });
    assert.equal(new URL(page.url()).searchParams.get("next"), "/?grid=9");
    await fillLogin(page, "admin", demo.vigil.adminPassword);
    await page.waitForURL((u) => u.pathname === "/" && u.searchParams.get("grid") === "9");
    await page.waitForSelector("[data-testid=wall]");
  } finally {
    await context.close();
  }
});

test("the administrator adds a facility user, who sees only that facility's cameras and is refused another's", async () => {
  const facilities = (await getJSON(`${demo.vigil.url}/api/v1/facilities`)).facilities;
  assert.ok(facilities.length >= 2, "the demo has two facilities");
  const [mine, other] = facilities;
  const username = "can-bo.ktx";

  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/users`);
  await page.waitForSelector("[data-testid=user-table]");
  await page.click("[data-testid=user-add]");
  const form = page.locator("[data-testid=user-form]");
  await form.locator("input[name=username]").fill(username);
  await form.locator("input[name=name]").fill("Cán bộ trực KTX");
  await form.locator("select[name=role]").selectOption("facility");
  // A facility user without a facility is refused before anything is sent.
  await page.click("[data-testid=user-save]");
  await form.locator("[data-testid=form-error]").waitFor({ state: "visible" });
  assert.match(await text(form.locator("[data-testid=form-error]")), /Chọn ít nhất một cơ sở/);
  await form.locator(`[data-testid=grant-facility][value="${mine.id}"]`).check();
  await page.click("[data-testid=user-save]");

  const secret = page.locator("[data-testid=one-time-secret]");
  await secret.waitFor();
  assert.equal(await secret.getAttribute("data-for"), username);
  assert.equal(await secret.getAttribute("data-kind"), "password");
  const password = await text(secret.locator("[data-testid=secret-value]"));
  assert.ok(password.length >= 8, `a short password: ${password}`);
  assert.match(await text(secret.locator("[data-testid=secret-warning]")), /một lần/);
  const row = page.locator(`[data-testid=user-row][data-username="${username}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute("data-role"), "facility");
  assert.match(await text(row.locator("[data-testid=user-grants]")), new RegExp(mine.name));
  const stored = (await getJSON(`${demo.vigil.url}/api/v1/users`)).users.find((u) => u.username === username);
  assert.deepEqual(stored?.grants.map((g) => g.facility), [mine.id]);
  await page.close();
  facilityUser = username;

  await asPerson(username, password, async (p) => {
    await p.goto(`${demo.vigil.url}/`);
    await p.waitForSelector("[data-testid=wall]");
    assert.equal(await p.getAttribute("[data-testid=user]", "data-role"), "facility");
    await waitFor("the facility's cameras on the wall", async () => {
      const shown = await p.$$eval("[data-testid=tile]", (ts) => ts.map((t) => t.dataset.camera).sort());
      return shown.join() === [...mine.cameras].sort().join();
    });
    const links = await navLinks(p);
    for (const hidden of ["nav-users", "nav-audit", "nav-dashboard", "nav-continuity", "nav-survey"]) {
      assert.ok(!links.includes(hidden), `a facility user sees ${hidden}`);
    }

    // One of its cameras plays live (the audit test looks for this view).
    await p.goto(`${demo.vigil.url}/camera/${mine.cameras[0]}`);
    await waitFor("the live picture", () => p.$eval("[data-testid=player] video", (v) => v.currentTime > 0.5));

    // Another facility's camera: the server's refusal in the page, and no player.
    await p.goto(`${demo.vigil.url}/camera/${other.cameras[0]}`);
    const refusal = p.locator("[data-testid=refusal]");
    await refusal.waitFor();
    assert.ok((await text(refusal.locator("[data-testid=refusal-reason]"))).length > 0, "the refusal gives no reason");
    assert.equal(await p.locator("[data-testid=camera-view] video").count(), 0, "the refused camera's player stays");
    assert.equal(await status(p, `/api/v1/cameras/${other.cameras[0]}`), 403);

    // Its facility's registry, to read: no control that would change it.
    await p.goto(`${demo.vigil.url}/facilities`);
    await waitFor("its facility alone", async () =>
      (await p.$$eval("[data-testid=facility-row]", (rs) => rs.map((r) => r.dataset.facility))).join() === mine.id);
    assert.equal(await p.locator("[data-testid=facility-add]").count(), 0, "a facility user may add facilities");
    assert.equal(await p.locator("[data-testid=import-file]").count(), 0, "a facility user may import contacts");

    // A page for administrators only says so.
    await p.goto(`${demo.vigil.url}/users`);
    await p.locator("[data-testid=refusal]").waitFor();
  });
});

test("the audit log lists the facility user's sign-in and live view, and its CSV has those rows", async () => {
  assert.ok(facilityUser, "the facility user test did not make its user");
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/audit?actor=${encodeURIComponent(facilityUser)}`);
  await page.waitForSelector("[data-testid=audit-table]");
  assert.equal(await page.inputValue("[data-testid=audit-actor]"), facilityUser);
  const actions = () => page.$$eval("[data-testid=audit-row]", (rs) => rs.map((r) => r.dataset.action));
  await waitFor("the user's login and live view", async () => {
    await page.click("[data-testid=audit-refresh]");
    const shown = await actions();
    return shown.includes("login") && shown.includes("live");
  });
  const actors = await page.$$eval("[data-testid=audit-row]", (rs) => rs.map((r) => r.dataset.actor));
  assert.ok(actors.every((a) => a === facilityUser), `rows of others with the filter: ${actors}`);
  const time = await text(page.locator("[data-testid=audit-row] td").first());
  assert.match(time, /^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);

  const href = await page.getAttribute("[data-testid=audit-csv]", "href");
  assert.match(href, new RegExp(`actor=${facilityUser.replace(".", "\\.")}`));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=audit-csv]")]);
  const file = join(demo.vigil.dir, "audit.csv");
  await download.saveAs(file);
  const lines = (await readFile(file, "utf8")).split(/\r?\n/).filter(Boolean);
  assert.ok(lines.length >= 3, `the CSV: ${lines.join("\n")}`);
  const rows = lines.slice(1);
  assert.ok(rows.every((l) => l.includes(facilityUser)), `the CSV has rows of others:\n${lines.join("\n")}`);
  assert.ok(rows.some((l) => /(^|,)"?login"?(,|$)/.test(l)), `no login row:\n${lines.join("\n")}`);
  assert.ok(rows.some((l) => /(^|,)"?live"?(,|$)/.test(l)), `no live row:\n${lines.join("\n")}`);
  await page.close();
});

test("a viewer watches live only: no timeline, no jump, no export, and a shared second opens live", async () => {
  const made = await api("POST", `${demo.vigil.url}/api/v1/users`,
    { username: "ban-chi-dao", name: "Ban chỉ đạo", role: "viewer", grants: [{ facility: "*" }] });
  assert.ok(made.password, "the server made no password");
  await asPerson("ban-chi-dao", made.password, async (page) => {
    const minuteAgo = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    await page.goto(`${demo.vigil.url}/camera/cam-01?t=${encodeURIComponent(minuteAgo)}`);
    await page.waitForSelector("[data-testid=camera-view][data-camera=cam-01]");
    await waitFor("the live picture", () => page.$eval("[data-testid=player] video", (v) => v.currentTime > 0.5));
    assert.equal(await page.getAttribute("[data-testid=mode]", "data-mode"), "live");
    for (const id of ["timeline", "jump-input", "export", "back-10", "step-back", "speed"]) {
      assert.equal(await page.locator(`[data-testid=${id}]`).count(), 0, `a viewer has ${id}`);
    }
    assert.deepEqual(await navLinks(page), ["nav-wall"]);
  });
});

test("an investigator gets a list of cameras instead of the wall, and recordings without live", async () => {
  const facilities = (await getJSON(`${demo.vigil.url}/api/v1/facilities`)).facilities;
  const [mine] = facilities;
  const made = await api("POST", `${demo.vigil.url}/api/v1/users`,
    { username: "dieu-tra.02", name: "Điều tra viên B", role: "investigator", grants: [{ facility: mine.id }] });
  await asPerson("dieu-tra.02", made.password, async (page) => {
    const live = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.startsWith("/live/")) live.push(r.url());
    });
    await page.goto(`${demo.vigil.url}/`);
    await waitFor("its facility's cameras", async () =>
      (await page.$$eval("[data-testid=camera-index-row]", (rs) => rs.map((r) => r.dataset.camera).sort())).join() ===
        [...mine.cameras].sort().join());
    assert.equal(await page.locator("[data-testid=wall]").count(), 0);
    assert.equal(await text(page.locator("[data-testid=nav-wall]")), "Ghi hình");

    await page.click(`[data-testid=camera-index-row][data-camera="${mine.cameras[0]}"] a`);
    await page.waitForSelector(`[data-testid=camera-view][data-camera="${mine.cameras[0]}"]`);
    await page.waitForSelector("[data-testid=mode][data-mode=playback]");
    await page.waitForSelector("[data-testid=timeline]");
    assert.equal(await page.locator("[data-testid=go-live]").count(), 0, "an investigator has the live button");
    // A request for live can come late (catching up, the end of the recording): watch a few seconds of playback.
    const watchUntil = Date.now() + 3000;
    while (Date.now() < watchUntil) {
      assert.deepEqual(live, [], "the page asked for live video");
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(live, [], "the page asked for live video");
  });
});

test("a reset password is shown once and replaces the old one", async () => {
  const made = await api("POST", `${demo.vigil.url}/api/v1/users`,
    { username: "dieu-tra.01", name: "Điều tra viên", role: "investigator", grants: [{ facility: "*" }] });
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/users`);
  const row = page.locator('[data-testid=user-row][data-username="dieu-tra.01"]');
  await row.waitFor();
  page.once("dialog", (d) => d.accept());
  await row.locator("[data-testid=user-reset]").click();
  const secret = page.locator('[data-testid=one-time-secret][data-for="dieu-tra.01"]');
  await secret.waitFor();
  const fresh = await text(secret.locator("[data-testid=secret-value]"));
  assert.notEqual(fresh, made.password);
  await page.click("[data-testid=secret-close]");
  assert.equal(await page.locator("[data-testid=one-time-secret]").count(), 0, "the password stays on screen");

  await assert.rejects(apiLogin(demo.vigil.url, "dieu-tra.01", made.password), /401/);
  const session = await apiLogin(demo.vigil.url, "dieu-tra.01", fresh);
  assert.equal(session.me.role, "investigator");
  await page.close();
});

test("an administrator disables a user through the edit form; the user is then told so at sign-in", async () => {
  const made = await api("POST", `${demo.vigil.url}/api/v1/users`,
    { username: "tam-nghi", name: "Cán bộ tạm nghỉ", role: "viewer", grants: [{ facility: "*" }] });
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/users`);
  const row = page.locator('[data-testid=user-row][data-username="tam-nghi"]');
  await row.locator("[data-testid=user-edit]").click();
  const form = page.locator("[data-testid=user-form]");
  assert.equal(await form.locator("input[name=username]").inputValue(), "tam-nghi");
  assert.ok(await form.locator("input[name=username]").getAttribute("readonly") !== null, "a user name can be edited");
  await form.locator("[data-testid=user-disabled]").check();
  await page.click("[data-testid=user-save]");
  await waitFor("the disabled account", async () => (await text(row.locator("[data-testid=user-state]"))) === "Đã vô hiệu hóa");
  const stored = (await getJSON(`${demo.vigil.url}/api/v1/users`)).users.find((u) => u.username === "tam-nghi");
  assert.equal(stored.disabled, true);
  assert.equal(stored.role, "viewer", "editing changed the role");
  await page.close();

  const context = await demo.browser.newContext();
  try {
    const p = await context.newPage();
    await p.goto(`${demo.vigil.url}/login`);
    await fillLogin(p, "tam-nghi", made.password);
    const error = p.locator("[data-testid=login-error]");
    await error.waitFor({ state: "visible" });
    assert.equal(await text(error), "Tài khoản này đã bị vô hiệu hóa; hãy liên hệ quản trị viên");
  } finally {
    await context.close();
  }
});

test("an API token's secret is shown once; revoking it asks first and marks it revoked", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/users`);
  await page.waitForSelector("[data-testid=token-table]");
  const form = page.locator("[data-testid=token-form]");
  await form.locator("input[name=name]").fill("giam-sat-quoc-gia");
  await page.click("[data-testid=token-create]");
  const secret = page.locator("[data-testid=one-time-secret][data-kind=token]");
  await secret.waitFor();
  assert.match(await text(secret.locator("[data-testid=secret-value]")), /^vgl_\S+$/);
  const token = (await getJSON(`${demo.vigil.url}/api/v1/tokens`)).tokens.find((k) => k.name === "giam-sat-quoc-gia");
  assert.equal(token?.role, "viewer");
  const row = page.locator(`[data-testid=token-row][data-token="${token.id}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute("data-state"), "active");

  // Revoking asks first, naming the token; dismissing the question changes nothing.
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await row.locator("[data-testid=token-revoke]").click();
  assert.match(asked, /giam-sat-quoc-gia/);
  assert.equal(await row.getAttribute("data-state"), "active");
  page.once("dialog", (d) => d.accept());
  await row.locator("[data-testid=token-revoke]").click();
  await waitFor("the revoked token", async () => (await row.getAttribute("data-state")) === "revoked");
  const after = (await getJSON(`${demo.vigil.url}/api/v1/tokens`)).tokens.find((k) => k.id === token.id);
  assert.ok(after.revoked, "the server did not revoke the token");
  await page.close();
});

test("a change sent without the session's anti-forgery token is refused", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/users`);
  await page.waitForSelector("[data-testid=user-table]");
  // A body the server would take with the token: only its absence can refuse it.
  const body = { username: "forged.viewer", name: "Forged", role: "viewer", grants: [{ facility: "*" }] };
  const code = await page.evaluate(async (b) => {
    const res = await fetch("/api/v1/users", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(b),
    });
    return res.status;
  }, body);
  assert.equal(code, 403);
  const users = (await getJSON(`${demo.vigil.url}/api/v1/users`)).users;
  assert.ok(!users.some((u) => u.username === body.username), "a forged request made a user");
  await page.close();
  // The same body with the token is taken: the refusal was the missing token's.
  const made = await api("POST", `${demo.vigil.url}/api/v1/users`, body);
  assert.equal(made.user.username, body.username);
});

test("editing an investigator keeps each facility's own footage window, to the millisecond", async () => {
  const facilities = (await getJSON(`${demo.vigil.url}/api/v1/facilities`)).facilities;
  const [a, b] = facilities;
  const username = "dieu-tra.03";
  // Two windows of their own, with seconds (and milliseconds) that the form's boxes do not show in full.
  const grants = [
    { facility: a.id, from: "2026-11-01T08:00:30.000+07:00", until: "2026-11-03T17:45:15.000+07:00" },
    { facility: b.id, from: "2026-10-20T06:10:05.250+07:00", until: "2026-10-21T23:59:59.000+07:00" },
  ];
  await api("POST", `${demo.vigil.url}/api/v1/users`, { username, name: "Điều tra viên C", role: "investigator", grants });
  const stored = async () => (await getJSON(`${demo.vigil.url}/api/v1/users`)).users.find((u) => u.username === username).grants;
  assert.deepEqual(await stored(), grants, "the server's own rendering of the grants");

  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/users`);
  const row = page.locator(`[data-testid=user-row][data-username="${username}"]`);
  await row.waitFor();
  // The list gives each facility its window.
  assert.equal(await text(row.locator("[data-testid=user-grants]")),
    `${a.name} (ghi hình từ 01/11/2026 08:00:30 đến 03/11/2026 17:45:15); ` +
    `${b.name} (ghi hình từ 20/10/2026 06:10:05 đến 21/10/2026 23:59:59)`);

  const panel = page.locator("[data-testid=user-form-panel]");
  const form = page.locator("[data-testid=user-form]");
  const bound = (facility, which) => form.locator(`[data-testid=grant-${which}][data-facility="${facility}"]`);
  const save = async () => {
    await page.click("[data-testid=user-save]");
    await panel.waitFor({ state: "hidden" });
  };

  // Saved untouched: every grant goes back as it came.
  await row.locator("[data-testid=user-edit]").click();
  assert.equal(await bound(a.id, "from").inputValue(), "01/11/2026 08:00:30");
  assert.equal(await bound(a.id, "until").inputValue(), "03/11/2026 17:45:15");
  assert.equal(await bound(b.id, "from").inputValue(), "20/10/2026 06:10:05");
  assert.equal(await bound(b.id, "until").inputValue(), "21/10/2026 23:59:59");
  assert.ok(await bound(b.id, "until").isVisible(), "the second facility's window is not shown");
  await save();
  assert.deepEqual(await stored(), grants, "saving an untouched form changed the grants");

  // One bound changed: that bound alone changes.
  await row.locator("[data-testid=user-edit]").click();
  await bound(b.id, "until").fill("22/10/2026 12:00");
  await save();
  assert.deepEqual(await stored(), [grants[0], { ...grants[1], until: "2026-10-22T12:00:00.000+07:00" }]);
  await page.close();
});

test("a refusal at sign-in is told by its code: a cross-site 403 shows the server's message, not a disabled account", async () => {
  const context = await demo.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${demo.vigil.url}/login`);
    // The sign-in post reaches vigil as if another site's page had sent it, and its real answer comes back
    // (Chromium keeps a page's own Origin, so the request is made again from here with another one).
    await page.route("**/api/v1/auth/login", async (route) => {
      const response = await route.fetch({ headers: { ...route.request().headers(), origin: "http://elsewhere.example" } });
      await route.fulfill({ response });
    });
    await fillLogin(page, "admin", demo.vigil.adminPassword);
    const error = page.locator("[data-testid=login-error]");
    await error.waitFor({ state: "visible" });
    const shown = await text(error);
    assert.match(shown, /^refused: a POST request from another origin/);
    assert.notEqual(shown, "Tài khoản này đã bị vô hiệu hóa; hãy liên hệ quản trị viên");
    assert.equal(new URL(page.url()).pathname, "/login");
  } finally {
    await context.close();
  }
});

test("an administrator who resets their own password sees it once, stays signed in, and only the new one works", async () => {
  const username = "quan-tri.02";
  const made = await api("POST", `${demo.vigil.url}/api/v1/users`, { username, name: "Quản trị viên 2", role: "admin", grants: [] });
  let fresh = "";
  const context = await demo.browser.newContext();
  try {
    await login(context, demo.vigil.url, username, made.password);
    const page = await context.newPage();
    await page.goto(`${demo.vigil.url}/users`);
    const row = page.locator(`[data-testid=user-row][data-username="${username}"]`);
    await row.waitFor();
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.accept();
    });
    await row.locator("[data-testid=user-reset]").click();
    const secret = page.locator(`[data-testid=one-time-secret][data-for="${username}"]`);
    await secret.waitFor();
    assert.match(asked, /chính bạn/);
    fresh = await text(secret.locator("[data-testid=secret-value]"));
    assert.ok(fresh.length >= 8 && fresh !== made.password, `the new password: ${fresh}`);
    // Still signed in: the list reloaded under the same session, and nothing went wrong.
    await page.waitForSelector("[data-testid=user-table]");
    assert.equal(await status(page, "/api/v1/auth/me"), 200);
    assert.equal(await page.locator("[data-testid=banner]").count(), 0, "an error after the reset");
    assert.equal(new URL(page.url()).pathname, "/users");
  } finally {
    await context.close();
  }
  // A fresh browser: the old password is refused, the new one signs in.
  const other = await demo.browser.newContext();
  try {
    const page = await other.newPage();
    await page.goto(`${demo.vigil.url}/login`);
    await fillLogin(page, username, made.password);
    const error = page.locator("[data-testid=login-error]");
    await error.waitFor({ state: "visible" });
    assert.equal(await text(error), "Sai tên đăng nhập hoặc mật khẩu");
    await fillLogin(page, username, fresh);
    await page.waitForURL((u) => u.pathname !== "/login");
    assert.equal(await page.getAttribute("[data-testid=user]", "data-username"), username);
  } finally {
    await other.close();
  }
  await assert.rejects(apiLogin(demo.vigil.url, username, made.password), /401/);
});
