// Who is signed in, and what they may do. The server decides every request; the UI asks the same
// permissions only to leave out what would be refused (a page, a link, the export button), so nobody is
// offered a control that answers 403.
import { ApiError, getJSON, loginHref, sendJSON, setCsrfToken, urls, type Grant, type Me, type Permission } from "./api";
import { lookup, t } from "./i18n";
import { messageOf, showError } from "./notice";
import { provinceWide } from "./grants";
import { formatTyped } from "./zone";

let me: Me | null = null;

/** Reads the session; null when there is none (401). Other failures are thrown. */
export async function loadMe(): Promise<Me | null> {
  try {
    me = await getJSON<Me>(urls.me(), undefined, { onUnauthorized: "throw" });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
  setCsrfToken(me.csrf);
  return me;
}

export function currentUser(): Me | null {
  return me;
}

/** True when the signed-in user has the permission. */
export function can(permission: Permission): boolean {
  return me?.permissions.includes(permission) ?? false;
}

/** Ends the session on the server, then shows the sign-in page (a new page load, so nothing of the user stays). */
export async function logout(): Promise<void> {
  try {
    await sendJSON("POST", urls.logout(), undefined, { onUnauthorized: "throw" });
  } catch (err) {
    // An already ended session is signed out all the same.
    if (!(err instanceof ApiError && err.status === 401)) {
      showError("logout", `${t("auth.logoutFailed")}: ${messageOf(err)}`);
      return;
    }
  }
  me = null;
  location.assign(loginHref(""));
}

/** A role in words. */
export function roleLabel(role: string): string {
  return lookup(`role.${role}`) ?? role;
}

/**
 * The facilities of grants in words: "Tất cả cơ sở" or their names (names maps id → name), each with its
 * own footage window when it has one. Administrators and operators see every facility whatever their grants say.
 */
export function grantsText(role: string, grants: Grant[], names: Map<string, string>): string {
  if (provinceWide(role)) return t("grant.byRole");
  if (grants.length === 0) return t("grant.none");
  const windows = grants.map((g) => windowText(g));
  // Every facility, with no window anywhere: the rest of the list adds nothing.
  if (grants.some((g) => g.facility === "*") && windows.every((w) => w === "")) return t("grant.all");
  const parts = grants.map((g, i) => {
    const name = g.facility === "*" ? t("grant.all") : names.get(g.facility) ?? g.facility;
    return windows[i] ? `${name} (${windows[i]})` : name;
  });
  return parts.join(windows.some((w) => w !== "") ? "; " : ", ");
}

/** The footage window of an investigator's grant: "ghi hình từ … đến …", to the second when it is set so. */
export function windowText(g: Grant): string {
  const from = g.from ? Date.parse(g.from) : NaN;
  const until = g.until ? Date.parse(g.until) : NaN;
  if (Number.isFinite(from) && Number.isFinite(until)) {
    return t("grant.window", { from: formatTyped(from), until: formatTyped(until) });
  }
  if (Number.isFinite(from)) return t("grant.windowFrom", { from: formatTyped(from) });
  if (Number.isFinite(until)) return t("grant.windowUntil", { until: formatTyped(until) });
  return "";
}
