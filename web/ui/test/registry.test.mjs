// The province's pages in a real browser: Debian's headless Chromium against a real vigil demo (province
// Tỉnh Đồng Nai, facilities ktx-a and ktx-b with their contacts, four simulated cameras). Each test asserts
// what a user sees, and what the server then holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { demoSuite, getJSON, waitFor } from "./harness.mjs";

const demo = demoSuite();

const text = async (locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();

async function shownFacilities(page) {
  return page.$$eval("[data-testid=facility-row]", (rows) => rows.map((r) => r.dataset.facility));
}

test("the dashboard shows the province, its four cameras and each facility's primary contact", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/dashboard`);
  await waitFor("the province's name", async () => (await text(page.locator("[data-testid=province-name]"))) === "Tỉnh Đồng Nai");
  assert.match(await text(page.locator("[data-testid=province-facts]")), /75.*VNPT/);
  assert.equal(await text(page.locator("[data-testid=stat-cameras] .stat-value")), "4");
  await waitFor("4 of 4 cameras online", async () => (await text(page.locator("[data-testid=stat-online] .stat-value"))) === "4/4");
  // The online count is the recorder's own state; uptime is measured from the events it writes to the index
  // within a second, so for a moment after the cameras connect there is nothing observed yet ("—").
  await waitFor("uptime today as a percentage", async () =>
    /^(\d{1,2}\.\d|100) %$/.test(await text(page.locator("[data-testid=stat-uptime] .stat-value"))));
  assert.equal(await page.getAttribute("[data-testid=nav-dashboard]", "aria-current"), "page");

  const rows = await page.$$eval("[data-testid=dash-facility]", (rs) => rs.map((r) => r.dataset.facility));
  assert.deepEqual(rows, ["ktx-a", "ktx-b"]);
  const a = page.locator("[data-testid=dash-facility][data-facility=ktx-a]");
  assert.match(await text(a), /Nguyễn Văn An/);
  assert.equal(await a.locator("a.tel").getAttribute("href"), "tel:+84900000001");
  assert.equal(await text(a.locator("a.tel")), "+84 900 000 001");
  assert.equal(await a.locator("a[href^=mailto]").getAttribute("href"), "mailto:ktx-a@example.com");
  // Every facility has a primary contact and cameras online: nothing needs attention.
  await page.waitForSelector("[data-testid=attention-none]");
  await page.close();
});

test("the facilities page finds facilities and contacts whatever the accents", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/facilities`);
  await waitFor("both facilities", async () => (await shownFacilities(page)).join() === "ktx-a,ktx-b");

  const search = page.locator("[data-testid=facility-search]");
  await search.fill("bich ngoc");
  await waitFor("ktx-b alone", async () => (await shownFacilities(page)).join() === "ktx-b");
  const found = page.locator("[data-testid=contact-result]");
  await waitFor("the contact found by the server", async () => (await found.count()) === 1);
  assert.match(await text(found), /Trần Thị Bích Ngọc/);
  assert.equal(await found.getAttribute("data-facility"), "ktx-b");
  assert.match(page.url(), /[?&]q=bich(%20|\+)ngoc/, "the search is in the address");

  // Upper case with marks folds the same way: "PHƯỜNG TÂN HIỆP" is ktx-a's commune.
  await search.fill("PHƯỜNG TÂN HIỆP");
  await waitFor("ktx-a alone", async () => (await shownFacilities(page)).join() === "ktx-a");
  await search.fill("phuong tan hiep");
  await waitFor("ktx-a alone, without marks", async () => (await shownFacilities(page)).join() === "ktx-a");
  await waitFor("ktx-a's contact", async () => {
    const names = await page.$$eval("[data-testid=contact-result]", (rs) => rs.map((r) => r.textContent));
    return names.length === 1 && names[0].includes("Nguyễn Văn An");
  });

  await search.fill("không có cơ sở này");
  await waitFor("no facility", async () => (await shownFacilities(page)).length === 0);
  await page.close();
});

test("a contact with a bad phone is refused at the field; a good one is shown in its +84 form", async () => {
  const contacts = async () => (await getJSON(`${demo.vigil.url}/api/v1/facilities/ktx-b/contacts`)).contacts;
  const before = await contacts();
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/facilities/ktx-b`);
  const form = page.locator("[data-testid=contact-form]");
  await form.waitFor();
  await waitFor("the facility's contacts", async () => (await page.locator("[data-testid=contact-row]").count()) === before.length);

  await form.locator("input[name=name]").fill("Lê Văn Cường");
  await form.locator("input[name=title]").fill("Cán bộ y tế");
  await form.locator("input[name=phone]").fill("12345");
  await form.locator("input[name=email]").fill("cuong@example.vn");
  await page.click("[data-testid=contact-save]");
  const phoneError = form.locator("[data-testid=field-error][data-field=phone]");
  await phoneError.waitFor({ state: "visible" });
  assert.match(await text(phoneError), /12345/);
  assert.equal(await form.locator("input[name=phone]").getAttribute("aria-invalid"), "true");
  assert.ok(await form.locator("[data-testid=field-error][data-field=email]").isHidden(), "the good e-mail has no error");
  assert.equal((await contacts()).length, before.length, "the refused contact was stored");

  await form.locator("input[name=phone]").fill("0912 345 678");
  await page.click("[data-testid=contact-save]");
  const row = page.locator("[data-testid=contact-row]", { hasText: "Lê Văn Cường" });
  await row.waitFor();
  const phone = row.locator("[data-testid=contact-phone] a");
  assert.equal(await text(phone), "+84 912 345 678");
  assert.equal(await phone.getAttribute("href"), "tel:+84912345678");
  assert.ok(await phoneError.isHidden(), "the phone's error is gone");
  const stored = (await contacts()).find((c) => c.name === "Lê Văn Cường");
  assert.equal(stored?.phone, "+84912345678");
  await page.close();
});

test("an imported list with one bad row names its line and field, and changes nothing", async () => {
  const snapshot = async () => Promise.all(["ktx-a", "ktx-b"].map(async (id) =>
    (await getJSON(`${demo.vigil.url}/api/v1/facilities/${id}/contacts`)).contacts));
  const before = await snapshot();
  const file = join(demo.vigil.dir, "danh-sach.csv");
  await writeFile(file, "\uFEFF" + [
    "STT,Mã cơ sở,Tên cơ sở cách ly,Địa chỉ,Quận/Huyện,Họ và tên,Chức danh,Số điện thoại,E-mail,Xác nhận lần cuối (dd/mm/yyyy)",
    "1,ktx-a,Khu cách ly tập trung Ký túc xá A,,,Phạm Minh Đức,Trưởng ban,0987 654 321,duc@example.vn,20/11/2026",
    "2,ktx-b,Khu cách ly tập trung Ký túc xá B,,,Võ Thị Lan,Cán bộ,0123,lan@example.vn,",
    "",
  ].join("\r\n"));

  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/facilities`);
  await waitFor("the facilities", async () => (await shownFacilities(page)).length === 2);
  await page.setInputFiles("[data-testid=import-file]", file);
  const bad = page.locator("[data-testid=import-error-row]");
  await waitFor("the bad row", async () => (await bad.count()) > 0);
  assert.equal(await bad.count(), 1, `rows: ${await text(page.locator("[data-testid=import-errors]"))}`);
  assert.equal(await bad.getAttribute("data-line"), "3");
  assert.equal(await bad.getAttribute("data-field"), "phone");
  const cells = await bad.locator("td").allTextContents();
  assert.equal(cells[0].trim(), "3");
  assert.match(cells[1], /Số điện thoại/);
  assert.match(cells[2], /0123/);
  assert.match(await text(page.locator("[data-testid=import-failed]")), /danh-sach\.csv/);

  assert.deepEqual(await snapshot(), before, "a refused import changed the contacts");
  await page.close();
});

test("the survey page surveys one facility and reports each of its cameras; the print omits the controls", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/survey`);
  await page.waitForSelector("[data-testid=survey-empty]");
  await waitFor("ktx-b in the facility list", async () =>
    (await page.locator("[data-testid=survey-facility-select] option[value=ktx-b]").count()) === 1);
  await page.selectOption("[data-testid=survey-facility-select]", "ktx-b");
  await page.click("[data-testid=survey-facility]");
  await waitFor("the progress", async () => /0\/2|1\/2|2\/2/.test(await text(page.locator("[data-testid=survey-progress]"))), 5000, 50);
  assert.ok(await page.locator("[data-testid=survey-all]").isDisabled(), "a second survey can be started while one runs");
  assert.ok(await page.locator("[data-testid=survey-facility]").isDisabled());

  const section = page.locator("[data-testid=report-facility][data-facility=ktx-b]");
  await waitFor("ktx-b's two cameras in the report", async () => (await section.locator("[data-testid=survey-row]").count()) === 2,
    90_000, 500);
  await waitFor("the survey to end", async () => page.locator("[data-testid=survey-progress]").isHidden(), 30_000);
  assert.ok(await page.locator("[data-testid=survey-all]").isEnabled(), "the buttons come back when the survey ends");
  const cams = await section.locator("[data-testid=survey-row]").evaluateAll((rs) => rs.map((r) => r.dataset.camera));
  assert.deepEqual(cams.sort(), ["cam-03", "cam-04"]);

  const report = (await getJSON(`${demo.vigil.url}/api/v1/survey/latest`)).report;
  for (const id of cams) {
    const row = section.locator(`[data-testid=survey-row][data-camera=${id}]`);
    const want = report.cameras.find((c) => c.camera_id === id).main;
    assert.equal(await text(row.locator("[data-testid=survey-resolution]")), `${want.width}×${want.height}`);
    assert.match(await text(row.locator("[data-testid=survey-reachable]")), /^Có/);
    // The demo's clips are 640×360: below the default minimum of 720p, and the verdict says why.
    assert.match(await text(row.locator("[data-testid=survey-verdict]")), /Không đạt.*640x360/);
  }
  assert.equal(await text(page.locator("[data-testid=survey-stat-cameras] .stat-value")), "2");
  assert.equal(await text(page.locator("[data-testid=report-title]")), "Báo cáo khảo sát, đánh giá hiện trạng camera");

  await page.emulateMedia({ media: "print" });
  assert.ok(await page.locator("header.app-header").isHidden(), "the header is printed");
  assert.ok(await page.locator("[data-testid=survey-facility]").isHidden(), "the buttons are printed");
  assert.ok(await page.locator("[data-testid=report-title]").isVisible(), "the title is not printed");
  await page.close();
});

test("the continuity page shows the province's uptime and each camera's", async () => {
  const page = await demo.browser.newPage();
  await page.goto(`${demo.vigil.url}/continuity`);
  const uptime = page.locator("[data-testid=province-uptime]");
  await waitFor("the province's uptime", async () => /^(\d{1,2}\.\d|100) %$/.test(await text(uptime)));
  const shown = Number((await text(uptime)).replace(" %", ""));
  const api = await getJSON(`${demo.vigil.url}/api/v1/uptime?period=today`);
  assert.ok(Math.abs(shown - api.province.uptime * 100) < 2, `shown ${shown} %, the server says ${api.province.uptime * 100} %`);
  const cams = await page.$$eval("[data-testid=cont-camera]", (rs) => rs.map((r) => r.dataset.camera));
  assert.deepEqual(cams.sort(), ["cam-01", "cam-02", "cam-03", "cam-04"]);
  assert.match(await text(page.locator("[data-testid=period-text]")), /\d\d\/\d\d\/\d{4} 00:00:00/);

  await page.click("[data-testid=period-7d]");
  await waitFor("the 7-day period in the address", async () => page.url().includes("period=7d"));
  assert.equal(await page.getAttribute("[data-testid=period-7d]", "aria-pressed"), "true");

  await page.click("[data-testid=period-custom]");
  await page.fill("[data-testid=period-from]", "31/02/2026");
  await page.click("[data-testid=period-apply]");
  await page.locator("[data-testid=period-error]").waitFor({ state: "visible" });
  await page.close();
});
