// Wall-clock time ↔ media time through a playlist's fragments. Every fragment of a vigil playlist carries
// its program date-time; media time runs on across gaps while wall time jumps, so only the fragment list
// can map one to the other.

/** What the mapping needs of an hls.js fragment (its fields are updated in place as media is parsed). */
export interface Frag {
  start: number; // media seconds
  duration: number; // seconds
  programDateTime: number | null; // epoch ms
}

const pdt = (f: Frag) => f.programDateTime ?? NaN;

/** Index of the last fragment whose program date-time is at or before wall, or -1. */
function lastAtOrBeforeWall(frags: readonly Frag[], wall: number): number {
  let lo = 0;
  let hi = frags.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (pdt(frags[mid]) <= wall) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Index of the fragment that holds media time t (the last one starting at or before it), or -1. */
export function fragIndexAtMedia(frags: readonly Frag[], t: number): number {
  let lo = 0;
  let hi = frags.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frags[mid].start <= t + 1e-3) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export interface MediaPosition {
  /** media time to seek to */
  time: number;
  /** the fragment it falls in */
  index: number;
}

/**
 * Where wall time lands in the media: inside the fragment that covers it, or at the start of the next
 * fragment when it falls in a gap (or before the first). Null when it is after the last fragment.
 */
export function wallToMedia(frags: readonly Frag[], wall: number): MediaPosition | null {
  if (frags.length === 0) return null;
  const i = lastAtOrBeforeWall(frags, wall);
  if (i < 0) return { time: frags[0].start, index: 0 };
  const f = frags[i];
  const offset = (wall - pdt(f)) / 1000;
  if (offset < f.duration) return { time: f.start + offset, index: i };
  if (i + 1 < frags.length) return { time: frags[i + 1].start, index: i + 1 };
  return null;
}

/** The wall-clock time of media time t, or null outside the fragments. */
export function mediaToWall(frags: readonly Frag[], t: number): number | null {
  const i = fragIndexAtMedia(frags, t);
  if (i < 0) {
    const first = frags.length ? pdt(frags[0]) : NaN;
    return Number.isFinite(first) ? first : null;
  }
  const f = frags[i];
  const offset = Math.min(Math.max(t - f.start, 0), f.duration);
  const wall = pdt(f) + offset * 1000;
  return Number.isFinite(wall) ? wall : null;
}

/** The wall-clock end of the last fragment. */
export function wallEnd(frags: readonly Frag[]): number {
  const f = frags[frags.length - 1];
  return pdt(f) + f.duration * 1000;
}

export function wallStart(frags: readonly Frag[]): number {
  return pdt(frags[0]);
}

export function mediaEnd(frags: readonly Frag[]): number {
  const f = frags[frags.length - 1];
  return f.start + f.duration;
}
