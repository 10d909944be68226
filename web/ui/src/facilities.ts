// The facility registry: every quarantine facility with its primary contact, searched accent-insensitively;
// one facility's details, cameras and contact persons; and the consolidated contact list the letter asks
// for, downloaded as CSV or XLSX and imported back (a file with any bad row changes nothing, and every bad
// row is listed with its line and field). Someone who may read the registry but not change it (facility
// staff) sees it all without the controls that change it.
import {
  ApiError,
  getJSON,
  parseTime,
  postForm,
  sendJSON,
  urls,
  type Camera,
  type Contact,
  type Facility,
  type ImportResult,
  type RowProblem,
  type SearchResult,
} from "./api";
import { watchCameras } from "./cameras";
import { h, relabel } from "./dom";
import { facilityStatusLabel, kindLabel, lookup, stateLabel, t, type Key } from "./i18n";
import { formatPhone, matchesQuery } from "./format";
import { navigate, replaceQuery, type View } from "./nav";
import { clearError, messageOf, showError, toast } from "./notice";
import {
  cameraHref,
  dataTable,
  FormErrors,
  formField,
  mailLink,
  pageHref,
  pageLink,
  problemNodes,
  setValue,
  swap,
  td,
  telLink,
  type FormField,
} from "./page";
import { can } from "./session";
import { formatDate, formatDateTime } from "./zone";

const statuses = ["active", "suspended", "closed"] as const;
const kinds = ["dormitory", "hotel", "hospital", "barracks", "school", "other"] as const;
const searchDelayMs = 250;

const facilityPath = (id: string) => `/facilities/${encodeURIComponent(id)}`;

// ---- the list ----

export function createFacilities(query: URLSearchParams): View {
  let facilities: Facility[] | null = null;
  let results: SearchResult[] | null = null;
  let text = query.get("q") ?? "";
  let searchTimer = 0;
  let searchSeq = 0;
  let lastImport: ImportOutcome | null = null;
  let destroyed = false;

  const search = h("input", { type: "search", class: "search", "data-testid": "facility-search", autocomplete: "off",
    spellcheck: "false", i18nPlaceholder: "fac.searchPlaceholder", i18nLabel: "fac.search" });
  search.value = text;
  search.addEventListener("input", () => {
    text = search.value;
    replaceQuery({ q: text.trim() || null });
    renderList();
    scheduleSearch();
  });
  const count = h("p", { class: "muted count-line", "data-testid": "facility-count", "aria-live": "polite" });
  const list = h("div", { class: "table-wrap" });
  const contactsWrap = h("div", { class: "table-wrap" });
  const contactsPanel = h("section", { class: "panel", "data-testid": "contact-results", hidden: true },
    h("h2", { i18n: "fac.contactResults" }), contactsWrap);

  const file = h("input", { type: "file", class: "sr-only", "data-testid": "import-file",
    accept: ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    onchange: () => void upload() });
  const importResult = h("div", { class: "import-result", "data-testid": "import-result", hidden: true, "aria-live": "polite" });

  const create = facilityForm("create", async (body) => {
    const made = await sendJSON<Facility>("POST", urls.facilities(), body);
    if (!made) return;
    toast(t("fac.created", { name: made.name }));
    navigate(pageHref(facilityPath(made.id)));
  });
  const createPanel = h("section", { class: "panel", "data-testid": "facility-create", hidden: true },
    h("h2", { i18n: "fac.new" }), create.el);
  create.onCancel = () => {
    createPanel.hidden = true;
    addBtn.setAttribute("aria-expanded", "false");
  };
  const addBtn = h("button", { type: "button", class: "primary", "data-testid": "facility-add", "aria-expanded": "false",
    onclick: () => {
      createPanel.hidden = !createPanel.hidden;
      addBtn.setAttribute("aria-expanded", String(!createPanel.hidden));
      if (!createPanel.hidden) create.focus();
    } }, "+ ", h("span", { i18n: "fac.add" }));

  const el = h(
    "section",
    { class: "page facilities-page", "data-testid": "facilities" },
    h("header", { class: "page-head" }, h("h1", { class: "page-title", i18n: "fac.title" }), h("span", { class: "spacer" }),
      can("registry.write") ? addBtn : null),
    createPanel,
    h("div", { class: "toolbar" },
      h("label", { class: "search-box" }, h("span", { class: "sr-only", i18n: "fac.search" }), search),
      count,
      h("span", { class: "spacer" }),
      h("div", { class: "tools", role: "group", i18nLabel: "fac.listTools" },
        h("a", { class: "button", href: urls.contactsCSV(), download: "", "data-testid": "export-csv", i18nLabel: "fac.exportCSVLabel" },
          "⤓ ", h("span", { i18n: "fac.exportCSV" })),
        h("a", { class: "button", href: urls.contactsXLSX(), download: "", "data-testid": "export-xlsx", i18nLabel: "fac.exportXLSXLabel" },
          "⤓ ", h("span", { i18n: "fac.exportXLSX" })),
        can("registry.write")
          ? h("label", { class: "button file-button", i18nLabel: "fac.importLabel" }, "⤒ ", h("span", { i18n: "fac.import" }), file)
          : null),
    ),
    importResult,
    list,
    contactsPanel,
  );

  void load();
  if (text.trim()) scheduleSearch(0);

  async function load(): Promise<void> {
    try {
      const a = await getJSON<{ facilities: Facility[] }>(urls.facilities());
      facilities = a.facilities ?? [];
      clearError("facilities");
    } catch (err) {
      showError("facilities", `${t("fac.loadFailed")}: ${messageOf(err)}`);
      return;
    }
    renderList();
  }

  function scheduleSearch(delay = searchDelayMs): void {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void runSearch(), delay);
  }

  async function runSearch(): Promise<void> {
    const q = text.trim();
    const seq = ++searchSeq;
    if (!q) {
      results = null;
      renderContacts();
      return;
    }
    try {
      const a = await getJSON<{ results: SearchResult[] }>(urls.searchContacts(q));
      if (seq !== searchSeq || destroyed) return;
      results = a.results ?? [];
      clearError("contact-search");
    } catch (err) {
      if (seq === searchSeq) showError("contact-search", messageOf(err));
      return;
    }
    renderContacts();
  }

  function renderList(): void {
    document.title = `${t("nav.facilities")} · vigil`;
    if (!facilities) {
      swap(list, h("p", { class: "loading" }, t("app.loading")));
      return;
    }
    const q = text.trim();
    const shown = q ? facilities.filter((f) => matchesQuery(facilityText(f), q)) : facilities;
    swap(count, q ? t("fac.countOf", { n: shown.length, total: facilities.length }) : t("fac.count", { n: facilities.length }));
    swap(list, dataTable({ "data-testid": "facility-table" },
      ["col.id", "col.facility", "col.place", "col.kind", "col.status", { key: "col.cameras", cls: "num" }, "col.primaryContact",
        { key: "col.contacts", cls: "num" }],
      shown.map((f) => facilityListRow(f)), q ? "fac.noMatch" : "fac.none"));
  }

  function renderContacts(): void {
    const found = (results ?? []).filter((r) => r.contact);
    contactsPanel.hidden = results === null;
    swap(contactsWrap, dataTable({ "data-testid": "contact-result-table" },
      ["col.name", "col.title", "col.phone", "col.email", "col.facility"],
      found.map((r) => {
        const c = r.contact as Contact;
        return h("tr", { "data-testid": "contact-result", "data-facility": r.facility.id, "data-contact": c.id },
          td({}, h("strong", {}, c.name), c.primary ? h("span", { class: "badge primary-badge" }, t("contact.primary")) : ""),
          td({}, c.title || "—"),
          td({}, c.phone ? telLink(c.phone, formatPhone(c.phone)) : "—"),
          td({}, c.email ? mailLink(c.email) : "—"),
          td({}, pageLink(facilityPath(r.facility.id), {}, {}, r.facility.name || r.facility.id)));
      }), "fac.noContactMatch"));
  }

  async function upload(): Promise<void> {
    const f = file.files?.[0];
    if (!f) return;
    const form = new FormData();
    form.append("file", f, f.name);
    lastImport = { file: f.name, pending: true };
    renderImport();
    try {
      const res = await postForm<ImportResult>(urls.importContacts(), form);
      lastImport = { file: f.name, result: res ?? undefined };
      void load();
      if (text.trim()) scheduleSearch(0);
    } catch (err) {
      lastImport = { file: f.name, error: err };
    } finally {
      // The same file, fixed, can be chosen again.
      file.value = "";
    }
    if (!destroyed) renderImport();
  }

  function renderImport(): void {
    importResult.hidden = lastImport === null;
    if (lastImport) importResult.replaceChildren(...importNodes(lastImport, () => {
      lastImport = null;
      renderImport();
    }));
  }

  renderList();
  return {
    el,
    relabel() {
      relabel(el);
      create.relabel();
      renderList();
      renderContacts();
      renderImport();
    },
    destroy() {
      destroyed = true;
      window.clearTimeout(searchTimer);
      document.title = "vigil";
    },
  };
}

/** What a facility is found by: the server's facility text, its primary contact, the words shown for its kind. */
function facilityText(f: Facility): string {
  const c = f.primary_contact;
  const parts = [f.id, f.name, f.address, f.district, f.commune, f.kind, kindLabel(f.kind)];
  if (c) parts.push(c.name, c.title, c.email, c.phone, c.phone_local, c.phone_local.replace(/\s/g, ""));
  return parts.join("\n");
}

function facilityListRow(f: Facility): HTMLTableRowElement {
  const c = f.primary_contact;
  return h("tr", { "data-testid": "facility-row", "data-facility": f.id },
    td({ class: "mono" }, f.id),
    td({}, pageLink(facilityPath(f.id), {}, { "data-testid": "facility-link" }, f.name || f.id)),
    td({}, [f.commune, f.district].filter(Boolean).join(", ") || "—"),
    td({}, f.kind ? kindLabel(f.kind) : "—"),
    td({}, h("span", { class: `badge fstatus-${f.status}` }, facilityStatusLabel(f.status))),
    td({ class: "num" }, String(f.cameras.length)),
    td({}, c
      ? h("div", { class: "contact-cell" }, h("strong", {}, c.name), h("br"),
        c.phone ? telLink(c.phone, formatPhone(c.phone)) : "", c.phone && c.email ? " · " : "", c.email ? mailLink(c.email) : "")
      : h("span", { class: "missing" }, t("dash.noContactShort"))),
    td({ class: "num" }, String(f.contact_count ?? 0)),
  );
}

// ---- the import's outcome ----

interface ImportOutcome {
  file: string;
  pending?: boolean;
  result?: ImportResult;
  error?: unknown;
}

function importNodes(o: ImportOutcome, close: () => void): Node[] {
  const closeBtn = h("button", { type: "button", class: "icon close", i18nLabel: "banner.close", onclick: close }, "×");
  if (o.pending) return [h("p", { class: "loading" }, t("import.pending", { file: o.file }))];
  if (o.result) {
    const r = o.result;
    return [h("div", { class: "import-ok", "data-testid": "import-ok", role: "status" },
      h("p", {}, h("strong", {}, t("import.done", { file: o.file })), " ",
        t("import.counts", { rows: r.rows, fc: r.facilities_created, fu: r.facilities_updated, cc: r.contacts_created,
          cu: r.contacts_updated, same: r.unchanged })),
      closeBtn)];
  }
  const err = o.error;
  const rows: RowProblem[] = err instanceof ApiError ? err.rows : [];
  if (rows.length === 0) {
    return [h("div", { class: "import-bad", "data-testid": "import-failed", role: "alert" },
      h("p", {}, h("strong", {}, t("import.failed", { file: o.file })), " ", messageOf(err)), closeBtn)];
  }
  const lines = new Set(rows.map((r) => r.line)).size;
  const sorted = [...rows].sort((a, b) => a.line - b.line);
  return [h("div", { class: "import-bad", "data-testid": "import-failed", role: "alert" },
    h("p", {}, h("strong", {}, t("import.refused", { file: o.file, n: lines })), " ", t("import.fix")),
    closeBtn,
    dataTable({ "data-testid": "import-errors" }, [{ key: "col.line", cls: "num" }, "col.column", "col.problem"],
      sorted.map((r) => h("tr", { "data-testid": "import-error-row", "data-line": r.line, "data-field": r.field },
        td({ class: "num" }, String(r.line)),
        td({}, r.column || fieldLabel(r.field)),
        td({}, ...problemNodes(r.field, r.message))))))];
}

/** A field of the API in words, for messages. */
function fieldLabel(field: string): string {
  return lookup(`field.${field}`) ?? field;
}

// ---- one facility ----

export function createFacilityView(id: string): View {
  let facility: Facility | null = null;
  let cameras = new Map<string, Camera>();
  let editing: Contact | null = null;
  let destroyed = false;
  const mayWrite = can("registry.write");

  const back = pageLink("/facilities", {}, { class: "back", "data-testid": "back-to-facilities" }, "← ", h("span", { i18n: "fac.back" }));
  const title = h("h1", { class: "page-title", "data-testid": "facility-name" }, t("app.loading"));
  const badge = h("span", { class: "badge" });
  const sub = h("p", { class: "page-facts" });
  const camerasWrap = h("div", { class: "table-wrap" });
  const contactsWrap = h("div", { class: "table-wrap" });

  const edit = facilityForm("edit", async (body) => {
    const saved = await sendJSON<Facility>("PUT", urls.facility(id), body);
    if (saved) toast(t("fac.saved", { name: saved.name }));
    await load();
  });
  const deleteBtn = h("button", { type: "button", class: "danger", "data-testid": "facility-delete", onclick: () => void remove() },
    h("span", { i18n: "fac.delete" }));
  edit.actions.append(h("span", { class: "spacer" }), deleteBtn);
  if (!mayWrite) {
    // The details stay readable; nothing in them can be changed or sent.
    for (const c of edit.el.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("input, select, textarea")) {
      c.disabled = true;
    }
    edit.actions.hidden = true;
  }

  const contact = contactForm(async (body) => {
    if (editing) {
      await sendJSON<Contact>("PUT", urls.contact(id, editing.id), body);
      toast(t("contact.saved", { name: String(body.name) }));
    } else {
      await sendJSON<Contact>("POST", urls.contacts(id), body);
      toast(t("contact.added", { name: String(body.name) }));
    }
    stopEditing();
    await load();
  }, () => stopEditing());

  const main = h("div", { class: "facility-body", hidden: true },
    h("section", { class: "panel" }, h("h2", { i18n: "fac.contacts" }), contactsWrap,
      mayWrite ? h("h3", { class: "form-title", "data-testid": "contact-form-title" }) : null, mayWrite ? contact.el : null),
    h("section", { class: "panel" }, h("h2", { i18n: "fac.cameras" }), camerasWrap),
    h("section", { class: "panel" }, h("h2", { i18n: "fac.details" }), edit.el),
  );
  const missing = h("div", { class: "not-found", "data-testid": "facility-not-found", hidden: true });
  const el = h("section", { class: "page facility-page", "data-testid": "facility", "data-facility": id },
    back,
    h("header", { class: "page-head" }, h("div", {}, h("div", { class: "title-line" }, title, badge), sub)),
    missing,
    main,
  );

  const unwatch = watchCameras((list) => {
    cameras = new Map(list.map((c) => [c.id, c]));
    renderCameras();
  });
  void load();

  async function load(): Promise<void> {
    try {
      facility = await getJSON<Facility>(urls.facility(id));
      clearError("facility");
    } catch (err) {
      if (destroyed) return;
      if (err instanceof ApiError && err.status === 404) {
        title.textContent = t("fac.notFound", { id });
        missing.hidden = false;
        missing.replaceChildren(pageLink("/facilities", {}, {}, t("fac.back")));
        main.hidden = true;
        return;
      }
      showError("facility", messageOf(err));
      return;
    }
    if (destroyed) return;
    main.hidden = false;
    edit.fill(facility);
    render();
  }

  function render(): void {
    const f = facility;
    if (!f) return;
    document.title = `${f.name || f.id} · vigil`;
    title.textContent = f.name || f.id;
    badge.className = `badge fstatus-${f.status}`;
    badge.textContent = facilityStatusLabel(f.status);
    const since = parseTime(f.status_since ?? undefined);
    sub.textContent = [
      t("fac.idIs", { id: f.id }),
      since !== null ? t("fac.statusSince", { status: facilityStatusLabel(f.status), date: formatDate(since) }) : "",
      f.address,
      [f.commune, f.district].filter(Boolean).join(", "),
    ].filter(Boolean).join(" · ");
    renderContacts();
    renderCameras();
    contact.setTitle(main.querySelector<HTMLElement>(".form-title"), editing);
  }

  function renderContacts(): void {
    const f = facility;
    if (!f) return;
    const list = f.contacts ?? [];
    const sorted = [...list].sort((a, b) => Number(b.primary) - Number(a.primary) || a.name.localeCompare(b.name, "vi"));
    swap(contactsWrap, dataTable({ "data-testid": "contact-table" },
      ["col.name", "col.title", "col.phone", "col.email", "col.confirmed", ...(mayWrite ? [{ key: "col.actions" as const, cls: "actions" }] : [])],
      sorted.map((c) => contactRow(c)), "contact.none"));
  }

  function contactRow(c: Contact): HTMLTableRowElement {
    const confirmed = parseTime(c.confirmed ?? undefined);
    const lacks = (c.missing ?? []).map((m) => h("span", { class: "badge missing-badge" }, t("contact.lacks", { field: fieldLabel(m) })));
    const actions = h("div", { class: "row-actions" },
      h("button", { type: "button", "data-testid": "contact-edit", onclick: () => startEditing(c) }, t("contact.edit")),
      c.primary ? null : h("button", { type: "button", "data-testid": "contact-make-primary", onclick: () => void makePrimary(c) },
        t("contact.makePrimary")),
      h("button", { type: "button", class: "danger", "data-testid": "contact-delete", onclick: () => void removeContact(c) },
        t("contact.delete")));
    return h("tr", { "data-testid": "contact-row", "data-contact": c.id, class: c.primary ? "primary-row" : "" },
      td({}, h("strong", { "data-testid": "contact-name" }, c.name),
        c.primary ? h("span", { class: "badge primary-badge", "data-testid": "primary-badge" }, t("contact.primary")) : "", ...lacks),
      td({}, c.title || "—"),
      td({ "data-testid": "contact-phone" }, c.phone ? telLink(c.phone, formatPhone(c.phone), { title: c.phone_local }) : "—"),
      td({}, c.email ? mailLink(c.email) : "—"),
      td({}, confirmed === null ? h("span", { class: "muted" }, t("contact.neverConfirmed")) : formatDate(confirmed)),
      mayWrite ? td({ class: "actions" }, actions) : null,
    );
  }

  function renderCameras(): void {
    const f = facility;
    if (!f) return;
    swap(camerasWrap, dataTable({ "data-testid": "facility-cameras" },
      ["col.camera", "col.id", "col.location", "col.state"],
      f.cameras.map((camId) => {
        const cam = cameras.get(camId);
        const since = parseTime(cam?.since);
        const [path, params] = cameraHref(camId);
        return h("tr", { "data-testid": "facility-camera", "data-camera": camId },
          td({}, pageLink(path, params, {}, cam?.name || camId)),
          td({ class: "mono" }, camId),
          td({}, cam?.location || "—"),
          td({}, cam ? h("span", { class: `badge state-${cam.state}` }, stateLabel(cam.state)) : "—",
            cam && since !== null ? h("span", { class: "muted small" }, ` ${t("fac.since", { time: formatDateTime(since) })}`) : "",
            cam?.state !== "online" && cam?.last_error ? h("div", { class: "muted small" }, cam.last_error) : ""));
      }), "fac.noCameras"));
  }

  function startEditing(c: Contact): void {
    editing = c;
    contact.fill(c);
    contact.setTitle(main.querySelector<HTMLElement>(".form-title"), editing);
    contact.focus();
  }

  function stopEditing(): void {
    editing = null;
    contact.fill(null);
    contact.setTitle(main.querySelector<HTMLElement>(".form-title"), null);
  }

  async function makePrimary(c: Contact): Promise<void> {
    try {
      await sendJSON<Contact>("PUT", urls.contact(id, c.id), { primary: true });
      toast(t("contact.nowPrimary", { name: c.name }));
      await load();
    } catch (err) {
      showError("contact", messageOf(err));
    }
  }

  async function removeContact(c: Contact): Promise<void> {
    if (!window.confirm(t("contact.confirmDelete", { name: c.name }))) return;
    try {
      await sendJSON("DELETE", urls.contact(id, c.id));
      if (editing?.id === c.id) stopEditing();
      toast(t("contact.deleted", { name: c.name }));
      await load();
    } catch (err) {
      showError("contact", messageOf(err));
    }
  }

  async function remove(): Promise<void> {
    if (!facility || !window.confirm(t("fac.confirmDelete", { name: facility.name || id }))) return;
    try {
      await sendJSON("DELETE", urls.facility(id));
      toast(t("fac.deleted", { name: facility.name || id }));
      navigate(pageHref("/facilities"));
    } catch (err) {
      showError("facility-delete", messageOf(err));
    }
  }

  stopEditing();
  return {
    el,
    relabel() {
      relabel(el);
      edit.relabel();
      contact.relabel();
      render();
    },
    destroy() {
      destroyed = true;
      unwatch();
      document.title = "vigil";
    },
  };
}

// ---- the forms ----

type Body = Record<string, string | number | boolean>;

interface FacilityFormApi {
  el: HTMLFormElement;
  actions: HTMLElement;
  fill(f: Facility): void;
  focus(): void;
  relabel(): void;
  onCancel: (() => void) | null;
}

/** The facility's fields: create (the id is typed once) or edit (the id is fixed: cameras name it). */
function facilityForm(mode: "create" | "edit", submit: (body: Body) => Promise<void>): FacilityFormApi {
  const input = (props: Record<string, string> = {}) => h("input", { type: "text", autocomplete: "off", ...props });
  const status = h("select", {}, ...statuses.map((s) => h("option", { value: s, i18n: `fstatus.${s}` as Key })));
  const kind = h("select", {}, h("option", { value: "", i18n: "kind.none" }),
    ...kinds.map((k) => h("option", { value: k, i18n: `kind.${k}` as Key })));
  const fields: FormField[] = [
    formField("id", "field.id", input({ spellcheck: "false", ...(mode === "edit" ? { readonly: "" } : {}) }),
      mode === "create" ? "hint.idCreate" : "hint.idFixed"),
    formField("name", "field.facility_name", input()),
    formField("address", "field.address", input()),
    formField("district", "field.district", input()),
    formField("commune", "field.commune", input()),
    formField("kind", "field.kind", kind),
    formField("capacity", "field.capacity", h("input", { type: "number", min: "0", step: "1", inputmode: "numeric" })),
    formField("status", "field.status", status),
    formField("status_since", "field.status_since", input({ placeholder: "dd/mm/yyyy", inputmode: "numeric" })),
    formField("notes", "field.notes", h("textarea", { rows: 2 })),
  ];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const general = h("p", { class: "form-error", role: "alert", "data-testid": "form-error", hidden: true });
  const errors = new FormErrors(fields, general);
  const save = h("button", { type: "submit", class: "primary", "data-testid": "facility-save" },
    h("span", { i18n: mode === "create" ? "fac.create" : "fac.save" }));
  const cancel = h("button", { type: "button", "data-testid": "facility-cancel", onclick: () => api.onCancel?.() },
    h("span", { i18n: "form.cancel" }));
  const actions = h("div", { class: "form-actions" }, save, mode === "create" ? cancel : null);
  const el = h("form", { class: "form grid-form", novalidate: true, "data-testid": `facility-form-${mode}` },
    ...fields.map((f) => f.el), general, actions);
  byName.get("notes")?.el.classList.add("wide");
  el.addEventListener("submit", (e) => {
    e.preventDefault();
    void onSubmit();
  });
  if (mode === "create") setValue(status, "active");

  async function onSubmit(): Promise<void> {
    const v = (name: string) => (byName.get(name)?.control.value ?? "").trim();
    const body: Body = {
      name: v("name"), address: v("address"), district: v("district"), commune: v("commune"), kind: v("kind"),
      capacity: v("capacity") === "" ? 0 : Number(v("capacity")), status: v("status"), status_since: v("status_since"),
      notes: byName.get("notes")?.control.value ?? "",
    };
    if (mode === "create") body.id = v("id");
    save.disabled = true;
    try {
      await submit(body);
      errors.clear();
    } catch (err) {
      errors.show(err);
    } finally {
      save.disabled = false;
    }
  }

  const api: FacilityFormApi = {
    el,
    actions,
    onCancel: null,
    fill(f) {
      const since = parseTime(f.status_since ?? undefined);
      const values: Record<string, string> = {
        id: f.id, name: f.name, address: f.address, district: f.district, commune: f.commune, kind: f.kind,
        capacity: f.capacity ? String(f.capacity) : "", status: f.status, status_since: since === null ? "" : formatDate(since),
        notes: f.notes,
      };
      for (const fl of fields) setValue(fl.control, values[fl.name] ?? "");
      errors.clear();
    },
    focus() {
      byName.get(mode === "create" ? "id" : "name")?.control.focus();
    },
    relabel() {
      errors.render();
    },
  };
  return api;
}

interface ContactFormApi {
  el: HTMLFormElement;
  fill(c: Contact | null): void;
  focus(): void;
  relabel(): void;
  setTitle(el: HTMLElement | null, editing: Contact | null): void;
}

/** A contact person's fields; the same form adds one and edits one. */
function contactForm(submit: (body: Body) => Promise<void>, cancelEdit: () => void): ContactFormApi {
  const input = (props: Record<string, string> = {}) => h("input", { type: "text", autocomplete: "off", ...props });
  const fields: FormField[] = [
    formField("name", "field.name", input({ autocomplete: "name" })),
    formField("title", "field.title", input({ autocomplete: "organization-title" })),
    formField("phone", "field.phone", input({ type: "tel", autocomplete: "tel", inputmode: "tel", placeholder: "0912 345 678" })),
    formField("email", "field.email", input({ type: "email", autocomplete: "email", spellcheck: "false", placeholder: "ten@domain.vn" })),
    formField("confirmed", "field.confirmed", input({ placeholder: "dd/mm/yyyy", inputmode: "numeric" }), "hint.confirmed"),
  ];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const primary = h("input", { type: "checkbox", id: `contact-primary-${Math.random().toString(36).slice(2)}`, "data-testid": "contact-primary" });
  const primaryField = h("div", { class: "field field-check" }, primary,
    h("label", { for: primary.id, i18n: "contact.primaryLabel" }));
  const general = h("p", { class: "form-error", role: "alert", "data-testid": "form-error", hidden: true });
  const errors = new FormErrors(fields, general);
  const save = h("button", { type: "submit", class: "primary", "data-testid": "contact-save" });
  const cancel = h("button", { type: "button", "data-testid": "contact-cancel", hidden: true, onclick: () => {
    errors.clear();
    cancelEdit();
  } }, h("span", { i18n: "form.cancel" }));
  const el = h("form", { class: "form grid-form", novalidate: true, "data-testid": "contact-form" },
    ...fields.map((f) => f.el), primaryField, general, h("div", { class: "form-actions" }, save, cancel));
  el.addEventListener("submit", (e) => {
    e.preventDefault();
    void onSubmit();
  });
  let isEdit = false;

  async function onSubmit(): Promise<void> {
    const v = (name: string) => (byName.get(name)?.control.value ?? "").trim();
    const body: Body = { name: v("name"), title: v("title"), phone: v("phone"), email: v("email"), confirmed: v("confirmed"),
      primary: primary.checked };
    save.disabled = true;
    try {
      await submit(body);
      errors.clear();
    } catch (err) {
      errors.show(err);
    } finally {
      save.disabled = false;
    }
  }

  function labelSave(): void {
    save.replaceChildren(h("span", { i18n: isEdit ? "contact.save" : "contact.add" }));
    cancel.hidden = !isEdit;
  }

  return {
    el,
    fill(c) {
      isEdit = c !== null;
      const confirmed = parseTime(c?.confirmed ?? undefined);
      const values: Record<string, string> = c
        ? { name: c.name, title: c.title, phone: formatPhone(c.phone), email: c.email,
          confirmed: confirmed === null ? "" : formatDate(confirmed) }
        : {};
      for (const f of fields) f.control.value = values[f.name] ?? "";
      primary.checked = c?.primary ?? false;
      errors.clear();
      labelSave();
    },
    focus() {
      byName.get("name")?.control.focus();
    },
    relabel() {
      errors.render();
      labelSave();
    },
    setTitle(titleEl, editing) {
      // Read-only users have no contact form, nor its title.
      if (!titleEl) return;
      titleEl.textContent = editing ? t("contact.editing", { name: editing.name }) : t("contact.new");
    },
  };
}
