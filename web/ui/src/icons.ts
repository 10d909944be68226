// Line icons for the player's buttons, drawn on a 24×24 grid. Inline SVG renders the same everywhere,
// unlike symbol fonts and emoji.

// A path starting with "F" is filled; the others are stroked.
const paths = {
  play: ["FM8 5v14l11-7z"],
  pause: ["FM6 5h4v14H6z", "FM14 5h4v14h-4z"],
  stepBack: ["FM5 5h2.5v14H5z", "FM19 5v14L9 12z"],
  stepForward: ["FM16.5 5H19v14h-2.5z", "FM5 5v14l10-7z"],
  muted: ["FM3 9h4l5-4v14l-5-4H3z", "M16 9l5 6", "M21 9l-5 6"],
  sound: ["FM3 9h4l5-4v14l-5-4H3z", "M15.5 9a4 4 0 0 1 0 6", "M18 6.5a7.5 7.5 0 0 1 0 11"],
  snapshot: ["M3 8h3.5l2-3h7l2 3H21v11H3z", "M12 10.5a3.25 3.25 0 1 0 0 6.5a3.25 3.25 0 1 0 0-6.5"],
  fullscreen: ["M4 9V4h5", "M15 4h5v5", "M20 15v5h-5", "M9 20H4v-5"],
  link: ["M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1", "M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"],
  calendar: ["M4 6h16v14H4z", "M4 10h16", "M8 3v5", "M16 3v5"],
  back10: ["M4 12a8 8 0 1 0 2.5-5.8", "M4 4v4h4"],
  forward10: ["M20 12a8 8 0 1 1-2.5-5.8", "M20 4v4h-4"],
} as const;

export type IconName = keyof typeof paths;

const ns = "http://www.w3.org/2000/svg";

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "ico");
  for (const d of paths[name]) {
    const p = document.createElementNS(ns, "path");
    if (d.startsWith("F")) {
      p.setAttribute("d", d.slice(1));
      p.setAttribute("fill", "currentColor");
    } else {
      p.setAttribute("d", d);
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", "currentColor");
      p.setAttribute("stroke-width", "2");
      p.setAttribute("stroke-linecap", "round");
      p.setAttribute("stroke-linejoin", "round");
    }
    svg.append(p);
  }
  return svg;
}
