// Users and API tokens (administrators only): who may sign in, with which role and for which facilities;
// add, edit, disable, reset a password; create and revoke the tokens other systems call the API with.
// A password or a token's secret is shown once, when it is made: vigil keeps only its hash.
import {
  ApiError,
  getJSON,
  parseTime,
  roles,
  sendJSON,
  urls,
  type Facility,
  type Grant,
  type Role,
  type Token,
  type User,
} from "./api";
import { h, relabel } from "./dom";
import { grantPicker, type FacilityName } from "./grants";
import { t, type Key } from "./i18n";
import type { View } from "./nav";
import { clearError, messageOf, showError, toast } from "./notice";
import { dataTable, FormErrors, formField, refusal, swap, td, type FormField } from "./page";
import { currentUser, grantsText, roleLabel } from "./session";
import { formatDateTime } from "./zone";

/** A secret just made, on screen until its reader closes it. */
interface Secret {
  kind: "password" | "token";
  /** whose: a user name or a token's name */
  who: string;
  value: string;
}

export function createUsers(): View {
  let users: User[] | null = null;
  let tokens: Token[] | null = null;
  let names = new Map<string, string>();
  let secret: Secret | null = null;
  let editing: User | null = null;
  let destroyed = false;

  const secretBox = h("div", { class: "secret-wrap", "aria-live": "polite" });
  const usersWrap = h("div", { class: "table-wrap" });
  const tokensWrap = h("div", { class: "table-wrap" });

  const userForm = createUserForm({
    create: async (body) => {
      const made = await sendJSON<{ user: User; password: string }>("POST", urls.users(), body);
      if (made) showSecret({ kind: "password", who: made.user.username, value: made.password });
      closeUserForm();
      await load();
    },
    update: async (username, body) => {
      const saved = await sendJSON<User>("PUT", urls.user(username), body);
      toast(t("user.saved", { name: saved?.name || username }));
      closeUserForm();
      await load();
    },
    cancel: () => closeUserForm(),
  });
  const userPanel = h("section", { class: "panel", "data-testid": "user-form-panel", hidden: true },
    userForm.title, userForm.el);
  const addUser = h("button", { type: "button", class: "primary", "data-testid": "user-add", "aria-expanded": "false",
    onclick: () => openUserForm(null) }, "+ ", h("span", { i18n: "user.add" }));

  const tokenForm = createTokenForm(async (body) => {
    const made = await sendJSON<{ token: Token; secret: string }>("POST", urls.tokens(), body);
    if (made) showSecret({ kind: "token", who: made.token.name, value: made.secret });
    await load();
  });

  const body = h("div", { class: "users-body" },
    h("section", { class: "panel", "data-testid": "users-panel" },
      h("div", { class: "toolbar" }, h("h2", { i18n: "user.list" }), h("span", { class: "spacer" }), addUser),
      usersWrap),
    userPanel,
    h("section", { class: "panel", "data-testid": "tokens-panel" },
      h("h2", { i18n: "token.list" }),
      h("p", { class: "muted page-intro", i18n: "token.intro" }),
      tokensWrap,
      h("h3", { class: "form-title", i18n: "token.new" }),
      tokenForm.el));
  const el = h("section", { class: "page users-page", "data-testid": "users" },
    h("header", { class: "page-head" }, h("h1", { class: "page-title", i18n: "user.title" })),
    secretBox,
    body);

  void load();

  async function load(): Promise<void> {
    try {
      const [u, k, f] = await Promise.all([
        getJSON<{ users: User[] }>(urls.users()),
        getJSON<{ tokens: Token[] }>(urls.tokens()),
        getJSON<{ facilities: Facility[] }>(urls.facilities()),
      ]);
      if (destroyed) return;
      users = u.users ?? [];
      tokens = k.tokens ?? [];
      const list: FacilityName[] = (f.facilities ?? []).map((x) => ({ id: x.id, name: x.name }));
      names = new Map(list.map((x) => [x.id, x.name || x.id]));
      userForm.picker.setFacilities(list);
      tokenForm.picker.setFacilities(list);
      clearError("users");
    } catch (err) {
      if (destroyed) return;
      if (err instanceof ApiError && err.status === 403) {
        body.replaceChildren(refusal(err.message));
        return;
      }
      showError("users", `${t("user.loadFailed")}: ${messageOf(err)}`);
      return;
    }
    render();
  }

  function render(): void {
    document.title = `${t("nav.users")} · vigil`;
    renderSecret();
    if (!users || !tokens) {
      swap(usersWrap, h("p", { class: "loading" }, t("app.loading")));
      return;
    }
    const sorted = [...users].sort((a, b) => a.username.localeCompare(b.username));
    swap(usersWrap, dataTable({ "data-testid": "user-table" },
      ["col.name", "col.username", "col.role", "col.facilities", "col.lastLogin", "col.locked", "col.account",
        { key: "col.actions", cls: "actions" }],
      sorted.map((u) => userRow(u)), "user.none"));
    // Revoked tokens last: they stay listed, as the audit log names them.
    const byState = [...tokens].sort((a, b) => Number(!!a.revoked) - Number(!!b.revoked) || b.created.localeCompare(a.created));
    swap(tokensWrap, dataTable({ "data-testid": "token-table" },
      ["col.tokenName", "col.role", "col.facilities", "col.created", "col.lastUsed", "col.tokenState",
        { key: "col.actions", cls: "actions" }],
      byState.map((k) => tokenRow(k)), "token.none"));
  }

  function userRow(u: User): HTMLTableRowElement {
    const lastLogin = parseTime(u.last_login ?? undefined);
    const lockedUntil = parseTime(u.locked_until ?? undefined);
    const locked = lockedUntil !== null && lockedUntil > Date.now();
    return h("tr", { "data-testid": "user-row", "data-username": u.username, "data-role": u.role,
      class: u.disabled ? "row-disabled" : "" },
    td({}, h("strong", {}, u.name || "—")),
    td({ class: "mono" }, u.username),
    td({}, h("span", { class: `badge role-badge role-${u.role}` }, roleLabel(u.role))),
    td({ "data-testid": "user-grants" }, grantsText(u.role, u.grants ?? [], names)),
    td({}, lastLogin === null ? h("span", { class: "muted" }, t("user.never")) : formatDateTime(lastLogin)),
    td({ "data-testid": "user-locked" }, locked && lockedUntil !== null
      ? h("span", { class: "bad-text" }, t("user.lockedUntil", { time: formatDateTime(lockedUntil) }))
      : "—"),
    td({ "data-testid": "user-state" }, h("span", { class: `badge ${u.disabled ? "state-disabled" : "state-online"}` },
      t(u.disabled ? "user.disabled" : "user.active"))),
    td({ class: "actions" }, h("div", { class: "row-actions" },
      h("button", { type: "button", "data-testid": "user-edit", onclick: () => openUserForm(u) }, t("user.edit")),
      h("button", { type: "button", "data-testid": "user-reset", onclick: () => void resetPassword(u) }, t("user.reset")))),
    );
  }

  function tokenRow(k: Token): HTMLTableRowElement {
    const created = parseTime(k.created);
    const used = parseTime(k.last_used ?? undefined);
    const revoked = parseTime(k.revoked ?? undefined);
    return h("tr", { "data-testid": "token-row", "data-token": k.id, "data-state": revoked === null ? "active" : "revoked",
      class: revoked === null ? "" : "row-disabled" },
    td({}, h("strong", {}, k.name), h("div", { class: "muted small mono" }, k.id)),
    td({}, h("span", { class: `badge role-badge role-${k.role}` }, roleLabel(k.role))),
    td({}, grantsText(k.role, k.grants ?? [], names)),
    td({}, created === null ? "—" : formatDateTime(created), h("div", { class: "muted small" }, t("token.by", { name: k.created_by }))),
    td({}, ...(used === null
      ? [h("span", { class: "muted" }, t("token.unused"))]
      : [formatDateTime(used), k.last_used_from ? h("div", { class: "muted small mono" }, k.last_used_from) : ""])),
    td({ "data-testid": "token-state" }, revoked === null
      ? h("span", { class: "badge state-online" }, t("token.active"))
      : h("span", { class: "badge state-disabled" }, t("token.revokedAt", { time: formatDateTime(revoked) }))),
    td({ class: "actions" }, revoked === null
      ? h("button", { type: "button", class: "danger", "data-testid": "token-revoke", onclick: () => void revoke(k) }, t("token.revoke"))
      : ""),
    );
  }

  function openUserForm(u: User | null): void {
    editing = u;
    userForm.fill(u);
    userPanel.hidden = false;
    addUser.setAttribute("aria-expanded", "true");
    userForm.focus();
  }

  function closeUserForm(): void {
    editing = null;
    userPanel.hidden = true;
    addUser.setAttribute("aria-expanded", "false");
  }

  /**
   * Sets a new password, shown once. An administrator's own reset keeps the session asking (the server ends
   * their others), so the page goes on: the new password is shown and the list reloads.
   */
  async function resetPassword(u: User): Promise<void> {
    const own = currentUser()?.username === u.username;
    if (!window.confirm(own ? t("user.confirmResetOwn") : t("user.confirmReset", { name: u.name || u.username }))) return;
    try {
      const answer = await sendJSON<{ password: string }>("POST", urls.userPassword(u.username), {});
      if (answer) showSecret({ kind: "password", who: u.username, value: answer.password });
      await load();
    } catch (err) {
      showError("user-reset", messageOf(err));
    }
  }

  async function revoke(k: Token): Promise<void> {
    if (!window.confirm(t("token.confirmRevoke", { name: k.name }))) return;
    try {
      await sendJSON("DELETE", urls.token(k.id));
      toast(t("token.revoked", { name: k.name }));
      await load();
    } catch (err) {
      showError("token-revoke", messageOf(err));
    }
  }

  function showSecret(s: Secret): void {
    secret = s;
    renderSecret();
    secretBox.scrollIntoView({ block: "nearest" });
  }

  function renderSecret(): void {
    const s = secret;
    if (!s) {
      secretBox.replaceChildren();
      return;
    }
    secretBox.replaceChildren(secretPanel(s, () => {
      secret = null;
      renderSecret();
    }));
  }

  render();
  return {
    el,
    relabel() {
      relabel(el);
      userForm.relabel(editing);
      tokenForm.relabel();
      render();
    },
    destroy() {
      destroyed = true;
      // A secret not yet copied goes with the page: it is never shown again.
      secret = null;
      document.title = "vigil";
    },
  };
}

/** The one-time secret: the value, a copy button, and the warning that it will not be shown again. */
function secretPanel(s: Secret, close: () => void): HTMLElement {
  const value = h("code", { class: "secret-value", "data-testid": "secret-value" }, s.value);
  const copy = h("button", { type: "button", "data-testid": "secret-copy", onclick: () => void copySecret(s.value) },
    t("secret.copy"));
  return h("div", { class: "notice-panel secret", role: "status", "data-testid": "one-time-secret", "data-kind": s.kind,
    "data-for": s.who },
  h("p", {}, h("strong", {}, t(s.kind === "password" ? "secret.passwordFor" : "secret.tokenFor", { name: s.who }))),
  h("div", { class: "secret-line" }, value, copy),
  h("p", { class: "warn-text", "data-testid": "secret-warning" }, t(s.kind === "password" ? "secret.oncePassword" : "secret.onceToken")),
  h("button", { type: "button", "data-testid": "secret-close", onclick: close }, t("secret.done")));
}

async function copySecret(value: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(value);
    toast(t("secret.copied"));
  } catch {
    // Without clipboard access (plain HTTP on a LAN address) the value is selected for Ctrl+C instead.
    const code = document.querySelector<HTMLElement>("[data-testid=secret-value]");
    if (code) window.getSelection()?.selectAllChildren(code);
    toast(t("secret.copyByHand"));
  }
}

// ---- the forms ----

type UserBody = Record<string, string | boolean | Grant[]>;

interface UserFormApi {
  el: HTMLFormElement;
  title: HTMLElement;
  picker: ReturnType<typeof grantPicker>;
  fill(u: User | null): void;
  focus(): void;
  relabel(editing: User | null): void;
}

/** A user's fields: adding one (with an optional password) or editing one (the user name is fixed). */
function createUserForm(actions: {
  create(body: UserBody): Promise<void>;
  update(username: string, body: UserBody): Promise<void>;
  cancel(): void;
}): UserFormApi {
  const input = (props: Record<string, string> = {}) => h("input", { type: "text", autocomplete: "off", ...props });
  const role = roleSelect();
  const fields: FormField[] = [
    formField("username", "field.username", input({ spellcheck: "false", autocapitalize: "none" }), "hint.username"),
    formField("name", "field.name", input()),
    formField("role", "field.role", role),
    formField("password", "field.password", input({ type: "password", autocomplete: "new-password" }), "hint.password"),
  ];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const picker = grantPicker();
  const disabled = h("input", { type: "checkbox", id: `user-disabled-${Math.random().toString(36).slice(2)}`,
    "data-testid": "user-disabled" });
  const disabledField = h("div", { class: "field field-check" }, disabled, h("label", { for: disabled.id, i18n: "user.disableLabel" }));
  const general = h("p", { class: "form-error", role: "alert", "data-testid": "form-error", hidden: true });
  const errors = new FormErrors(fields, general);
  const save = h("button", { type: "submit", class: "primary", "data-testid": "user-save" });
  const cancel = h("button", { type: "button", "data-testid": "user-cancel", onclick: () => actions.cancel() },
    h("span", { i18n: "form.cancel" }));
  const title = h("h2", { "data-testid": "user-form-title" });
  const el = h("form", { class: "form grid-form", novalidate: true, "data-testid": "user-form" },
    ...fields.map((f) => f.el), picker.el, disabledField, general, h("div", { class: "form-actions" }, save, cancel));
  role.addEventListener("change", () => picker.setRole(role.value as Role));
  let editing: User | null = null;
  el.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });

  const value = (name: string) => (byName.get(name)?.control.value ?? "").trim();

  async function submit(): Promise<void> {
    const r = role.value as Role;
    const grants = picker.read(r);
    if (typeof grants === "string") {
      errors.show(new Error(grants));
      return;
    }
    save.disabled = true;
    try {
      if (editing) {
        await actions.update(editing.username, { name: value("name"), role: r, grants, disabled: disabled.checked });
      } else {
        const body: UserBody = { username: value("username"), name: value("name"), role: r, grants };
        // Without a password the server makes one, shown once.
        const password = byName.get("password")?.control.value ?? "";
        if (password) body.password = password;
        await actions.create(body);
      }
      errors.clear();
    } catch (err) {
      errors.show(err);
    } finally {
      save.disabled = false;
    }
  }

  function label(): void {
    title.textContent = editing ? t("user.editing", { name: editing.username }) : t("user.new");
    save.replaceChildren(h("span", { i18n: editing ? "user.save" : "user.create" }));
  }

  return {
    el,
    title,
    picker,
    fill(u) {
      editing = u;
      const username = byName.get("username");
      if (username) {
        username.control.value = u?.username ?? "";
        (username.control as HTMLInputElement).readOnly = u !== null;
      }
      const name = byName.get("name");
      if (name) name.control.value = u?.name ?? "";
      role.value = u?.role ?? "facility";
      const password = byName.get("password");
      if (password) {
        password.control.value = "";
        // A password changes by reset only: the administrator never picks a known user's password.
        password.el.hidden = u !== null;
      }
      disabled.checked = u?.disabled ?? false;
      disabledField.hidden = u === null;
      picker.setRole(role.value as Role);
      picker.fill(u?.grants ?? []);
      errors.clear();
      label();
    },
    focus() {
      byName.get(editing ? "name" : "username")?.control.focus();
    },
    relabel(current) {
      editing = current;
      relabel(el);
      picker.relabel();
      errors.render();
      label();
    },
  };
}

interface TokenFormApi {
  el: HTMLFormElement;
  picker: ReturnType<typeof grantPicker>;
  relabel(): void;
}

/** A new API token: what it is for (its name), its role and its facilities. */
function createTokenForm(create: (body: UserBody) => Promise<void>): TokenFormApi {
  const role = roleSelect();
  const fields: FormField[] = [
    formField("name", "field.tokenName", h("input", { type: "text", autocomplete: "off" }), "hint.tokenName"),
    formField("role", "field.role", role),
  ];
  const picker = grantPicker();
  const general = h("p", { class: "form-error", role: "alert", "data-testid": "form-error", hidden: true });
  const errors = new FormErrors(fields, general);
  const save = h("button", { type: "submit", class: "primary", "data-testid": "token-create" }, h("span", { i18n: "token.create" }));
  const el = h("form", { class: "form grid-form", novalidate: true, "data-testid": "token-form" },
    ...fields.map((f) => f.el), picker.el, general, h("div", { class: "form-actions" }, save));
  // Tokens are mostly for the central monitoring system, which watches live.
  role.value = "viewer";
  picker.setRole("viewer");
  picker.fill([{ facility: "*" }]);
  role.addEventListener("change", () => picker.setRole(role.value as Role));
  el.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });

  async function submit(): Promise<void> {
    const r = role.value as Role;
    const grants = picker.read(r);
    if (typeof grants === "string") {
      errors.show(new Error(grants));
      return;
    }
    save.disabled = true;
    try {
      await create({ name: fields[0].control.value.trim(), role: r, grants });
      errors.clear();
      fields[0].control.value = "";
    } catch (err) {
      errors.show(err);
    } finally {
      save.disabled = false;
    }
  }

  return {
    el,
    picker,
    relabel() {
      relabel(el);
      picker.relabel();
      errors.render();
    },
  };
}

function roleSelect(): HTMLSelectElement {
  return h("select", {}, ...roles.map((r) => h("option", { value: r, i18n: `role.${r}` as Key })));
}
