// The camera list, polled while any view listens. Views share one poll so the wall and the camera view
// never disagree about a camera's state.
import { getJSON, urls, type Camera } from "./api";
import { clearError, messageOf, showError } from "./notice";

type Listener = (cameras: Camera[]) => void;

const pollMs = 5000;
const listeners = new Set<Listener>();
let latest: Camera[] | null = null;
let timer = 0;
let inFlight: Promise<void> | null = null;

export function latestCameras(): Camera[] | null {
  return latest;
}

/** Calls fn with the list now (if known) and after every poll; returns the unsubscribe function. */
export function watchCameras(fn: Listener): () => void {
  listeners.add(fn);
  if (latest) fn(latest);
  if (listeners.size === 1) {
    void refreshCameras();
    timer = window.setInterval(() => void refreshCameras(), pollMs);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) {
      window.clearInterval(timer);
      timer = 0;
    }
  };
}

/** Polls now; concurrent callers share the request. */
export function refreshCameras(): Promise<void> {
  if (!inFlight) {
    inFlight = poll().finally(() => {
      inFlight = null;
    });
  }
  return inFlight;
}

async function poll(): Promise<void> {
  try {
    const answer = await getJSON<{ cameras: Camera[] }>(urls.cameras());
    latest = answer.cameras ?? [];
    clearError("cameras");
  } catch (err) {
    showError("cameras", messageOf(err));
    return;
  }
  for (const fn of [...listeners]) {
    try {
      fn(latest);
    } catch (err) {
      showError("cameras-view", messageOf(err));
    }
  }
}
