// The cameras someone may play back but not watch live (an investigator), in place of the live wall: each
// links to its camera view, which opens on recorded footage.
import type { Camera } from "./api";
import { watchCameras } from "./cameras";
import { h, relabel } from "./dom";
import { stateLabel, t } from "./i18n";
import type { View } from "./nav";
import { cameraHref, dataTable, pageLink, swap, td } from "./page";

export function createCameraIndex(): View {
  let cameras: Camera[] | null = null;
  const table = h("div", { class: "table-wrap" });
  const el = h("section", { class: "page recordings-page", "data-testid": "camera-index" },
    h("header", { class: "page-head" }, h("div", {},
      h("h1", { class: "page-title", i18n: "rec.title" }),
      h("p", { class: "page-intro", i18n: "rec.intro" }))),
    table);
  const unwatch = watchCameras((list) => {
    cameras = list;
    render();
  });

  function render(): void {
    document.title = `${t("nav.recordings")} · vigil`;
    if (!cameras) {
      swap(table, h("p", { class: "loading" }, t("app.loading")));
      return;
    }
    const sorted = [...cameras].sort((a, b) => a.facility.localeCompare(b.facility) || a.name.localeCompare(b.name, "vi"));
    swap(table, dataTable({ "data-testid": "camera-index-table" }, ["col.camera", "col.facility", "col.location", "col.state"],
      sorted.map((c) => {
        const [path, params] = cameraHref(c.id);
        return h("tr", { "data-testid": "camera-index-row", "data-camera": c.id },
          td({}, pageLink(path, params, {}, c.name || c.id), h("span", { class: "muted small mono" }, ` ${c.id}`)),
          td({}, c.facility_name || c.facility),
          td({}, c.location || "—"),
          td({}, h("span", { class: `badge state-${c.state}` }, stateLabel(c.state))));
      }), "wall.empty"));
  }

  render();
  return {
    el,
    relabel() {
      relabel(el);
      render();
    },
    destroy() {
      unwatch();
      document.title = "vigil";
    },
  };
}
