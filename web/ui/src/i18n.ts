// Every user-facing string, in Vietnamese (the users' language, and the default) and English.
// A key missing from either dictionary is a type error.

const vi = {
  "app.loading": "Đang tải…",
  "nav.wall": "Tường camera",
  "nav.main": "Điều hướng chính",
  "lang.switch": "English",
  "lang.label": "Chuyển sang tiếng Anh",
  "clock.label": "Giờ hiện tại",
  "banner.close": "Đóng thông báo",
  "err.network": "Không kết nối được máy chủ vigil",
  "err.http": "Máy chủ trả lỗi {status}",
  "err.settings": "Không đọc được cài đặt; dùng múi giờ mặc định",
  "err.zone": "Trình duyệt không biết múi giờ {zone}; hiển thị theo {fallback}",
  "err.unexpected": "Lỗi không mong đợi: {message}",
  "err.noHls": "Trình duyệt này không phát được HLS (thiếu Media Source Extensions)",
  "notfound.title": "Không có trang này",
  "notfound.back": "Về tường camera",

  "state.online": "Trực tuyến",
  "state.offline": "Mất kết nối",
  "state.connecting": "Đang kết nối",
  "state.disabled": "Đã tắt",
  "state.unknown": "Không rõ",

  "wall.label": "Tường camera",
  "wall.facilities": "Cơ sở",
  "wall.all": "Tất cả",
  "wall.grid": "Bố cục",
  "wall.gridN": "Lưới {n} ô",
  "wall.page": "Trang {page}/{pages}",
  "wall.prev": "Trang trước",
  "wall.next": "Trang sau",
  "wall.empty": "Không có camera nào",
  "wall.loading": "Đang tải danh sách camera…",
  "tile.lostSince": "Mất kết nối từ {time}",
  "tile.connectingSince": "Đang kết nối từ {time}",
  "tile.disabledSince": "Đã tắt từ {time}",
  "tile.nextAttempt": "Thử lại lúc {time} (lần {n})",
  "tile.open": "Mở camera {name}",

  "live.connecting": "Đang kết nối luồng trực tiếp…",
  "live.waiting": "Chưa có hình: {reason}",
  "live.retryIn": "thử lại sau {s} giây",
  "live.unsupported": "Trình duyệt không giải mã được luồng này ({codec})",
  "live.stalled": "Luồng bị treo, đang kết nối lại…",
  "live.fallback": "Trình duyệt không giải mã được luồng chính ({codec}): đang xem luồng phụ",

  "cam.view": "Xem camera",
  "cam.choose": "Chọn camera",
  "cam.notFound": "Không tìm thấy camera {id}",
  "cam.player": "Khung hình camera",
  "mode.live": "Trực tiếp",
  "mode.playback": "Xem lại",
  "ctl.goLive": "Trực tiếp",
  "ctl.goLiveLabel": "Chuyển về xem trực tiếp (L)",
  "ctl.play": "Phát (phím cách)",
  "ctl.pause": "Tạm dừng (phím cách)",
  "ctl.stepBack": "Khung hình khóa trước (Shift+←)",
  "ctl.stepForward": "Khung hình khóa sau (Shift+→)",
  "ctl.back10": "Lùi 10 giây (←)",
  "ctl.fwd10": "Tới 10 giây (→)",
  "ctl.speed": "Tốc độ phát (↑/↓)",
  "ctl.soundOn": "Bật tiếng",
  "ctl.soundOff": "Tắt tiếng",
  "ctl.snapshot": "Chụp khung hình",
  "ctl.fullscreen": "Toàn màn hình",
  "ctl.share": "Chia sẻ",
  "ctl.shareLabel": "Chép liên kết tới giây đang xem",
  "ctl.copied": "Đã chép liên kết: {url}",
  "ctl.copyFailed": "Không chép được; liên kết: {url}",
  "ctl.help": "Phím tắt (?)",
  "ctl.clock": "Thời điểm của khung hình đang hiển thị",
  "jump.label": "Đi tới thời điểm",
  "jump.placeholder": "dd/mm/yyyy HH:mm:ss",
  "jump.go": "Đi tới",
  "jump.calendar": "Chọn ngày trên lịch",
  "jump.format": "Nhập theo dạng dd/mm/yyyy HH:mm:ss, ví dụ {example}",
  "jump.badDate": "Ngày không hợp lệ (dd/mm/yyyy)",
  "jump.badTime": "Giờ không hợp lệ (HH:mm:ss, 00–23 giờ)",
  "jump.future": "Thời điểm này chưa tới",
  "play.loading": "Đang tải đoạn ghi hình…",
  "play.noFootageAt": "Không có ghi hình lúc {time}; chuyển tới đoạn ghi hình kế tiếp ({next})",
  "play.noFootageAfter": "Không có ghi hình từ {time} đến nay",
  "play.caughtUp": "Đã theo kịp thời gian thực: chuyển sang trực tiếp",
  "play.error": "Lỗi phát lại: {reason}",
  "play.unsupported": "Trình duyệt không giải mã được ghi hình này ({codec}); vẫn có thể chọn đoạn và tải về MP4",
  "play.badT": "Tham số t không phải thời điểm RFC 3339: {t}",
  "play.live": "Đang xem trực tiếp",

  "help.title": "Phím tắt",
  "key.space": "Phím cách",
  "help.close": "Đóng",
  "help.space": "Phát / tạm dừng",
  "help.arrows": "Lùi / tới 10 giây",
  "help.shiftArrows": "Khung hình khóa trước / sau",
  "help.upDown": "Tăng / giảm tốc độ",
  "help.l": "Xem trực tiếp",
  "help.zoom": "Phóng to / thu nhỏ dòng thời gian",
  "help.escape": "Bỏ chọn đoạn",
  "help.shiftDrag": "Shift + kéo trên dòng thời gian: chọn đoạn để tải về",
  "help.drag": "Kéo dòng thời gian: di chuyển; kéo đầu phát: tua; bấm: tới thời điểm đó",
  "help.question": "Hiện / ẩn trợ giúp này",

  "tl.label": "Dòng thời gian ghi hình",
  "tl.zoomIn": "Phóng to (+)",
  "tl.zoomOut": "Thu nhỏ (−)",
  "tl.panBack": "Lùi khung thời gian",
  "tl.panForward": "Tiến khung thời gian",
  "tl.now": "Bây giờ",
  "tl.nowLabel": "Đưa khung thời gian về hiện tại",
  "tl.select": "Chọn đoạn",
  "tl.selectLabel": "Chọn đoạn: kéo trên dòng thời gian để chọn (hoặc Shift + kéo)",
  "tl.recorded": "Có ghi hình",
  "tl.gap": "Không ghi hình",
  "tl.outage": "Camera mất kết nối",
  "tl.loading": "Đang tải dòng thời gian…",
  "tl.span1m": "1 phút",
  "tl.spanMin": "{n} phút",
  "tl.span1h": "1 giờ",
  "tl.spanH": "{n} giờ",
  "sel.label": "Đoạn đã chọn",
  "sel.range": "{start} → {end} ({duration})",
  "sel.export": "Tải về MP4",
  "sel.exportLabel": "Tải đoạn đã chọn về dạng MP4",
  "sel.tooLong": "Đoạn dài hơn 24 giờ: hãy chọn đoạn ngắn hơn để tải về",
  "sel.clear": "Bỏ chọn (Esc)",
  "sel.empty": "Không có ghi hình trong đoạn này",
  "sel.play": "Phát từ đầu đoạn",
} as const;

export type Key = keyof typeof vi;

const en: Record<Key, string> = {
  "app.loading": "Loading…",
  "nav.wall": "Live wall",
  "nav.main": "Main navigation",
  "lang.switch": "Tiếng Việt",
  "lang.label": "Switch to Vietnamese",
  "clock.label": "Current time",
  "banner.close": "Dismiss message",
  "err.network": "Cannot reach the vigil server",
  "err.http": "The server answered {status}",
  "err.settings": "Could not read the settings; using the default time zone",
  "err.zone": "This browser does not know the time zone {zone}; showing {fallback}",
  "err.unexpected": "Unexpected error: {message}",
  "err.noHls": "This browser cannot play HLS (no Media Source Extensions)",
  "notfound.title": "No such page",
  "notfound.back": "Back to the live wall",

  "state.online": "Online",
  "state.offline": "Offline",
  "state.connecting": "Connecting",
  "state.disabled": "Disabled",
  "state.unknown": "Unknown",

  "wall.label": "Live wall",
  "wall.facilities": "Facilities",
  "wall.all": "All",
  "wall.grid": "Layout",
  "wall.gridN": "{n}-tile grid",
  "wall.page": "Page {page}/{pages}",
  "wall.prev": "Previous page",
  "wall.next": "Next page",
  "wall.empty": "No cameras",
  "wall.loading": "Loading the cameras…",
  "tile.lostSince": "Offline since {time}",
  "tile.connectingSince": "Connecting since {time}",
  "tile.disabledSince": "Disabled since {time}",
  "tile.nextAttempt": "Next attempt at {time} (attempt {n})",
  "tile.open": "Open camera {name}",

  "live.connecting": "Connecting to the live stream…",
  "live.waiting": "No picture yet: {reason}",
  "live.retryIn": "retrying in {s} s",
  "live.unsupported": "This browser cannot decode this stream ({codec})",
  "live.stalled": "The stream stalled; reconnecting…",
  "live.fallback": "This browser cannot decode the main stream ({codec}): showing the substream",

  "cam.view": "Camera view",
  "cam.choose": "Choose a camera",
  "cam.notFound": "Camera {id} not found",
  "cam.player": "Camera picture",
  "mode.live": "Live",
  "mode.playback": "Playback",
  "ctl.goLive": "Live",
  "ctl.goLiveLabel": "Back to live (L)",
  "ctl.play": "Play (space)",
  "ctl.pause": "Pause (space)",
  "ctl.stepBack": "Previous keyframe (Shift+←)",
  "ctl.stepForward": "Next keyframe (Shift+→)",
  "ctl.back10": "Back 10 seconds (←)",
  "ctl.fwd10": "Forward 10 seconds (→)",
  "ctl.speed": "Playback speed (↑/↓)",
  "ctl.soundOn": "Unmute",
  "ctl.soundOff": "Mute",
  "ctl.snapshot": "Save a snapshot",
  "ctl.fullscreen": "Full screen",
  "ctl.share": "Share link",
  "ctl.shareLabel": "Copy a link to the second on screen",
  "ctl.copied": "Link copied: {url}",
  "ctl.copyFailed": "Could not copy; the link is {url}",
  "ctl.help": "Keyboard shortcuts (?)",
  "ctl.clock": "Time of the frame on screen",
  "jump.label": "Go to a time",
  "jump.placeholder": "dd/mm/yyyy HH:mm:ss",
  "jump.go": "Go",
  "jump.calendar": "Pick a date on a calendar",
  "jump.format": "Type dd/mm/yyyy HH:mm:ss, e.g. {example}",
  "jump.badDate": "Not a valid date (dd/mm/yyyy)",
  "jump.badTime": "Not a valid time (HH:mm:ss, hours 00–23)",
  "jump.future": "That time has not come yet",
  "play.loading": "Loading the recording…",
  "play.noFootageAt": "Nothing recorded at {time}; going to the next recording ({next})",
  "play.noFootageAfter": "Nothing recorded from {time} until now",
  "play.caughtUp": "Caught up with real time: switching to live",
  "play.error": "Playback error: {reason}",
  "play.unsupported": "This browser cannot decode this recording ({codec}); you can still select a range and download the MP4",
  "play.badT": "The t parameter is not an RFC 3339 time: {t}",
  "play.live": "Watching live",

  "help.title": "Keyboard shortcuts",
  "key.space": "Space",
  "help.close": "Close",
  "help.space": "Play / pause",
  "help.arrows": "Back / forward 10 seconds",
  "help.shiftArrows": "Previous / next keyframe",
  "help.upDown": "Speed up / slow down",
  "help.l": "Go live",
  "help.zoom": "Zoom the timeline in / out",
  "help.escape": "Clear the selection",
  "help.shiftDrag": "Shift + drag on the timeline: select a range to export",
  "help.drag": "Drag the timeline: pan; drag the playhead: scrub; click: go to that time",
  "help.question": "Show / hide this help",

  "tl.label": "Recording timeline",
  "tl.zoomIn": "Zoom in (+)",
  "tl.zoomOut": "Zoom out (−)",
  "tl.panBack": "Move the window back",
  "tl.panForward": "Move the window forward",
  "tl.now": "Now",
  "tl.nowLabel": "Bring the window to the present",
  "tl.select": "Select range",
  "tl.selectLabel": "Select range: drag on the timeline to select (or Shift + drag)",
  "tl.recorded": "Recorded",
  "tl.gap": "Not recorded",
  "tl.outage": "Camera offline",
  "tl.loading": "Loading the timeline…",
  "tl.span1m": "1 minute",
  "tl.spanMin": "{n} minutes",
  "tl.span1h": "1 hour",
  "tl.spanH": "{n} hours",
  "sel.label": "Selected range",
  "sel.range": "{start} → {end} ({duration})",
  "sel.export": "Download MP4",
  "sel.exportLabel": "Download the selected range as an MP4",
  "sel.tooLong": "The range is longer than 24 hours: select a shorter one to export",
  "sel.clear": "Clear (Esc)",
  "sel.empty": "Nothing was recorded in this range",
  "sel.play": "Play from its start",
};

export type Lang = "vi" | "en";
const dictionaries: Record<Lang, Record<Key, string>> = { vi, en };
const storageKey = "vigil.lang";

let lang: Lang = "vi";

export function currentLang(): Lang {
  return lang;
}

/** Picks the language: ?lang= first (and remembered), then the remembered choice, then Vietnamese. */
export function initLang(query: URLSearchParams): void {
  const asked = query.get("lang");
  if (asked === "vi" || asked === "en") {
    lang = asked;
    remember(asked);
  } else {
    const stored = readStored();
    if (stored) lang = stored;
  }
  document.documentElement.lang = lang;
}

export function setLang(next: Lang): void {
  lang = next;
  remember(next);
  document.documentElement.lang = next;
}

// Storage can be disabled or full (private windows, policies); the choice then lasts for the page only.
function remember(l: Lang): void {
  try {
    localStorage.setItem(storageKey, l);
  } catch {
    /* not remembered */
  }
}

function readStored(): Lang | null {
  try {
    const v = localStorage.getItem(storageKey);
    return v === "vi" || v === "en" ? v : null;
  } catch {
    return null;
  }
}

export function t(key: Key, params?: Record<string, string | number>): string {
  const text = dictionaries[lang][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function stateLabel(state: string): string {
  switch (state) {
    case "online":
      return t("state.online");
    case "offline":
      return t("state.offline");
    case "connecting":
      return t("state.connecting");
    case "disabled":
      return t("state.disabled");
    default:
      return state || t("state.unknown");
  }
}
