// The sign-in page (/login): user name and password. Every other page sends a visitor without a session
// here with ?next= (the page they asked for), and a successful sign-in goes back there, only if next is a
// page of this site.
import { ApiError, safeNext, sendJSON, urls, type Me } from "./api";
import { h, relabel } from "./dom";
import { t } from "./i18n";
import type { View } from "./nav";
import { messageOf } from "./notice";

export function createLogin(query: URLSearchParams): View {
  const next = safeNext(query.get("next"));
  // The failure last shown, kept to say it again in the other language.
  let failure: unknown = null;

  const username = h("input", { type: "text", id: "login-username", name: "username", autocomplete: "username",
    autocapitalize: "none", spellcheck: "false", required: true, "data-testid": "login-username" });
  const password = h("input", { type: "password", id: "login-password", name: "password", autocomplete: "current-password",
    required: true, "data-testid": "login-password" });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "login-error", hidden: true });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "login-submit" },
    h("span", { i18n: "login.submit" }));
  const form = h("form", { class: "form login-form", novalidate: true, "data-testid": "login-form",
    onsubmit: (e: Event) => {
      e.preventDefault();
      void signIn();
    } },
  h("div", { class: "field" }, h("label", { for: username.id, i18n: "login.username" }), username),
  h("div", { class: "field" }, h("label", { for: password.id, i18n: "login.password" }), password),
  error,
  h("div", { class: "form-actions" }, submit));
  const el = h("section", { class: "login-page", "data-testid": "login" },
    h("div", { class: "panel login-box" },
      h("h1", { class: "page-title", i18n: "login.title" }),
      h("p", { class: "muted", i18n: "login.intro" }),
      form));

  document.title = `${t("login.title")} · vigil`;
  // After the page is in the document: a field that is not there yet cannot take the focus.
  window.setTimeout(() => username.focus(), 0);

  async function signIn(): Promise<void> {
    const name = username.value.trim();
    if (!name || !password.value) {
      show(new Error(t("login.missing")));
      (name ? password : username).focus();
      return;
    }
    submit.disabled = true;
    show(null);
    try {
      await sendJSON<Me>("POST", urls.login(), { username: name, password: password.value }, { onUnauthorized: "throw" });
    } catch (err) {
      show(err);
      password.value = "";
      password.focus();
      submit.disabled = false;
      return;
    }
    // A new page load: the header, the permissions and the anti-forgery token all come from the new session.
    location.assign(next);
  }

  function show(err: unknown): void {
    failure = err;
    error.hidden = err === null;
    error.textContent = err === null ? "" : failureText(err);
    if (err === null) username.removeAttribute("aria-invalid");
    else username.setAttribute("aria-invalid", "true");
  }

  return {
    el,
    relabel() {
      relabel(el);
      document.title = `${t("login.title")} · vigil`;
      if (failure !== null) show(failure);
    },
    destroy() {
      document.title = "vigil";
    },
  };
}

/**
 * Why the sign-in failed, in the user's language; the server's words for anything unforeseen. A refusal is
 * told by its code, not its status: a 403 is also what a request from another site gets.
 */
function failureText(err: unknown): string {
  if (!(err instanceof ApiError)) return messageOf(err);
  if (err.code === "account_disabled") return t("login.disabled");
  if (err.code === "locked" || err.status === 429) {
    return err.retryAfter > 0
      ? t("login.locked", { n: Math.max(1, Math.ceil(err.retryAfter / 60)) })
      : t("login.lockedLater");
  }
  return err.status === 401 ? t("login.wrong") : err.message;
}
