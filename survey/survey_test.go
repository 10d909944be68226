package survey

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/xuri/excelize/v2"

	"vigil/config"
	"vigil/simcam"
	"vigil/store"
)

// The simulated cameras' password: it must never appear in a result, a message or an export.
const (
	user     = "viewer"
	password = "s3cret-pass"
)

// testWindow is long enough for two keyframes of the 1 s GOP clips whatever the joining point.
const testWindow = 2500 * time.Millisecond

// rig is a survey of real cameras: simcam playing the embedded clips behind a password, plus endpoints
// that fail in each of the ways a camera can, all on loopback.
type rig struct {
	cfg     *config.Config
	results map[string]Result
	ordered []Result
}

// newRig runs one survey of every kind of camera at once, so that the tests share its few seconds.
func newRig(t *testing.T) *rig {
	t.Helper()
	cams := startSimcam(t, &simcam.Server{User: user, Pass: password}, map[string][]byte{
		"h264aac": simcam.ClipH264AAC, "h265": simcam.ClipH265, "small": simcam.ClipH264Small,
	})
	udp := startSimcam(t, &simcam.Server{UDP: true}, map[string][]byte{"h264": simcam.ClipH264})
	odd := startOddServer(t)
	wrongPass := "rtsp://" + user + ":wrong@" + cams.Addr() + "/h264aac"

	cfg := &config.Config{
		Storage:    config.Storage{Path: t.TempDir()},
		Province:   config.Province{Name: "Tỉnh Đồng Nai"},
		Facilities: []config.Facility{{ID: "ktx", Name: "Khu cách ly Ký túc xá Đại học Đồng Nai"}, {ID: "bv", Name: "Bệnh viện dã chiến số 1"}},
		Cameras: []config.Camera{
			{ID: "gate", Facility: "ktx", Name: "Cổng chính", URL: cams.URL("h264aac"), SubstreamURL: cams.URL("small")},
			{ID: "hall", Facility: "ktx", URL: cams.URL("h265")},
			{ID: "small", Facility: "bv", URL: cams.URL("small")},
			{ID: "udp", Facility: "bv", URL: udp.URL("h264"), Transport: "udp"},
			{ID: "wrong-pass", Facility: "bv", URL: wrongPass},
			{ID: "no-path", Facility: "bv", URL: cams.URL("nothing-here")},
			{ID: "refused", Facility: "bv", URL: "rtsp://" + user + ":" + password + "@" + closedPort(t) + "/x"},
			{ID: "silent", Facility: "bv", URL: "rtsp://" + silentServer(t) + "/x", ReadTimeout: time.Second},
			{ID: "audio-only", Facility: "bv", URL: "rtsp://" + odd + "/audio"},
			{ID: "mjpeg", Facility: "other", URL: "rtsp://" + odd + "/mjpeg"},
		},
	}
	cfg.ApplyDefaults()
	cfg.Cameras[1].Enabled = false // surveyed all the same
	cfg.Survey.Minimum.Resolution = config.Resolution{Lines: 360}
	cfg.Survey.Minimum.MaxGOP = 2 * time.Second
	opt := OptionsFrom(cfg.Survey)
	opt.Window, opt.SubstreamWindow, opt.Parallel = testWindow, testWindow, len(cfg.Cameras)
	opt.Log = slog.New(slog.DiscardHandler)
	r := &rig{cfg: cfg, results: map[string]Result{}}
	r.ordered = Run(context.Background(), cfg.Cameras, opt)
	for _, res := range r.ordered {
		r.results[res.CameraID] = res
	}
	return r
}

func startSimcam(t *testing.T, srv *simcam.Server, clips map[string][]byte) *simcam.Server {
	t.Helper()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.AddClips(clips); err != nil {
		t.Fatal(err)
	}
	return srv
}

// closedPort is an address where nothing listens: a port that was just free.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentServer accepts connections and never answers, like a camera whose RTSP service hangs.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { l.Close(); conns.Wait() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { io.Copy(io.Discard, c); c.Close() })
		}
	}()
	return l.Addr().String()
}

// oddServer is a real RTSP server (gortsplib) offering the streams simcam cannot: audio alone
// (/audio) and Motion JPEG video (/mjpeg).
type oddServer struct {
	streams map[string]*gortsplib.ServerStream
}

func startOddServer(t *testing.T) string {
	h := &oddServer{streams: map[string]*gortsplib.ServerStream{}}
	srv := &gortsplib.Server{Handler: h, RTSPAddress: "127.0.0.1:0"}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for path, f := range map[string]format.Format{
		"audio": &format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1},
		"mjpeg": &format.MJPEG{},
	} {
		typ := description.MediaTypeVideo
		if path == "audio" {
			typ = description.MediaTypeAudio
		}
		st := &gortsplib.ServerStream{Server: srv, Desc: &description.Session{
			Medias: []*description.Media{{Type: typ, Formats: []format.Format{f}}},
		}}
		if err := st.Initialize(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		h.streams[path] = st
	}
	return srv.NetListener().Addr().String()
}

func (h *oddServer) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.find(ctx.Path)
}

func (h *oddServer) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.find(ctx.Path)
}

func (h *oddServer) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *oddServer) find(path string) (*base.Response, *gortsplib.ServerStream, error) {
	if st := h.streams[strings.Trim(path, "/")]; st != nil {
		return &base.Response{StatusCode: base.StatusOK}, st, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func TestSurvey(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	t.Run("measures exactly", r.testMeasures)
	t.Run("reasons", r.testReasons)
	t.Run("no password anywhere", r.testNoPassword)
	t.Run("assessment", r.testAssessment)
	t.Run("report", r.testReport)
	t.Run("csv", r.testCSV)
	t.Run("xlsx", r.testXLSX)
	t.Run("text", r.testText)
	t.Run("store", r.testStore)
}

// want is what a measured clip must show; the clips are 25 fps with closed 1 s GOPs.
type want struct {
	codec, profile  string
	width, height   int
	audio           string
	rate, channels  int
	transport       string
	minBps, maxBps  int64
	fps, gopSeconds float64
	gopFrames       int
}

func checkStream(t *testing.T, name string, s *Stream, w want) {
	t.Helper()
	if s.Reason != "" || !s.Reachable {
		t.Fatalf("%s: not measured: %s: %s", name, s.Reason, s.Message)
	}
	if s.Codec != w.codec || s.Profile != w.profile || s.Width != w.width || s.Height != w.height {
		t.Errorf("%s: codec %s %s %dx%d, want %s %s %dx%d", name, s.Codec, s.Profile, s.Width, s.Height,
			w.codec, w.profile, w.width, w.height)
	}
	if s.FPS != w.fps || s.FPSDeclared != w.fps {
		t.Errorf("%s: fps %v (declared %v), want %v", name, s.FPS, s.FPSDeclared, w.fps)
	}
	if s.GOPOpen || s.GOPFrames != w.gopFrames || s.GOPSeconds != w.gopSeconds {
		t.Errorf("%s: GOP %d frames %v s (open %v), want %d frames %v s", name, s.GOPFrames, s.GOPSeconds, s.GOPOpen,
			w.gopFrames, w.gopSeconds)
	}
	if s.Audio != w.audio || s.AudioRate != w.rate || s.AudioChannels != w.channels {
		t.Errorf("%s: audio %q %d Hz %d ch, want %q %d Hz %d ch", name, s.Audio, s.AudioRate, s.AudioChannels,
			w.audio, w.rate, w.channels)
	}
	if s.Transport != w.transport {
		t.Errorf("%s: transport %q, want %q", name, s.Transport, w.transport)
	}
	// The clips are encoded at 450 kbit/s (400 for H.265) with up to 500 kbit/s peaks, plus 48 kbit/s of
	// AAC; a window of two or three GOPs lands around that.
	if s.Bitrate < w.minBps || s.Bitrate > w.maxBps {
		t.Errorf("%s: bitrate %d bit/s, want %d to %d", name, s.Bitrate, w.minBps, w.maxBps)
	}
	if s.Window < testWindow.Seconds() || s.Window > testWindow.Seconds()+1 {
		t.Errorf("%s: window %v s", name, s.Window)
	}
	// Frames come every 40 ms; anything near a second would be a broken stream.
	if s.MaxStall <= 0 || s.MaxStall > 0.5 {
		t.Errorf("%s: max stall %v s", name, s.MaxStall)
	}
	if s.Keyframes < 2 || s.Frames < 25 {
		t.Errorf("%s: %d frames, %d keyframes", name, s.Frames, s.Keyframes)
	}
}

func (r *rig) testMeasures(t *testing.T) {
	gate := r.results["gate"]
	checkStream(t, "gate", &gate.Main, want{codec: "H264", profile: "High", width: 640, height: 360,
		audio: "AAC", rate: 48000, channels: 1, transport: "TCP", minBps: 300e3, maxBps: 700e3,
		fps: 25, gopSeconds: 1, gopFrames: 25})
	if gate.Main.Level != "3.0" {
		t.Errorf("gate: level %q, want 3.0", gate.Main.Level)
	}
	if gate.Sub == nil {
		t.Fatal("gate: substream not surveyed")
	}
	checkStream(t, "gate substream", gate.Sub, want{codec: "H264", profile: "High", width: 320, height: 180,
		transport: "TCP", minBps: 150e3, maxBps: 700e3, fps: 25, gopSeconds: 1, gopFrames: 25})

	hall := r.results["hall"]
	checkStream(t, "hall", &hall.Main, want{codec: "H265", profile: "Main", width: 640, height: 360,
		transport: "TCP", minBps: 250e3, maxBps: 700e3, fps: 25, gopSeconds: 1, gopFrames: 25})
	if hall.Enabled || hall.Sub != nil {
		t.Errorf("hall: enabled %v, substream %v", hall.Enabled, hall.Sub)
	}
	small := r.results["small"]
	checkStream(t, "small", &small.Main, want{codec: "H264", profile: "High", width: 320, height: 180,
		transport: "TCP", minBps: 150e3, maxBps: 700e3, fps: 25, gopSeconds: 1, gopFrames: 25})
	udp := r.results["udp"]
	checkStream(t, "udp", &udp.Main, want{codec: "H264", profile: "High", width: 640, height: 360,
		transport: "UDP", minBps: 250e3, maxBps: 700e3, fps: 25, gopSeconds: 1, gopFrames: 25})
}

func (r *rig) testReasons(t *testing.T) {
	for id, reason := range map[string]string{
		"wrong-pass": ReasonAuthFailed,
		"no-path":    ReasonNotFound,
		"refused":    ReasonRefused,
		"silent":     ReasonTimeout,
		"audio-only": ReasonNoVideoTrack,
		"mjpeg":      ReasonUnsupportedCodec,
	} {
		s := r.results[id].Main
		if s.Reason != reason || s.Message == "" || s.MessageVI == "" {
			t.Errorf("%s: reason %q (%s / %s), want %q", id, s.Reason, s.Message, s.MessageVI, reason)
		}
		// Reachable means the camera answered with a description of its stream.
		wantReachable := reason == ReasonNoVideoTrack || reason == ReasonUnsupportedCodec
		if s.Reachable != wantReachable {
			t.Errorf("%s: reachable %v, want %v", id, s.Reachable, wantReachable)
		}
	}
	if s := r.results["mjpeg"].Main; s.Codec != "M-JPEG" {
		t.Errorf("mjpeg: codec %q", s.Codec)
	}
}

func (r *rig) testNoPassword(t *testing.T) {
	b, err := json.Marshal(r.ordered)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), password) {
		t.Errorf("password in the results: %s", b)
	}
	if !strings.Contains(string(b), "rtsp://"+user+":***@") {
		t.Errorf("URLs not redacted the expected way: %s", b)
	}
}

func (r *rig) testAssessment(t *testing.T) {
	m := r.cfg.Survey.Minimum
	for id, codes := range map[string][]string{
		"gate":       nil,
		"hall":       nil,
		"udp":        nil,
		"small":      {CheckResolution},
		"wrong-pass": {ReasonAuthFailed},
		"refused":    {ReasonRefused},
		"mjpeg":      {ReasonUnsupportedCodec},
	} {
		res := r.results[id]
		fs := Assess(&res.Main, m)
		var got []string
		for _, f := range fs {
			got = append(got, f.Code)
		}
		if strings.Join(got, ",") != strings.Join(codes, ",") {
			t.Errorf("%s: failures %v, want %v (%+v)", id, got, codes, fs)
		}
	}
	small := r.results["small"]
	fs := Assess(&small.Main, m)
	if len(fs) != 1 || fs[0].Message != "resolution 320x180 is below the minimum 360p" ||
		fs[0].MessageVI != "Độ phân giải 320x180 thấp hơn mức tối thiểu 360p" {
		t.Errorf("small: %+v", fs)
	}
}

func (r *rig) report() *Report {
	loc, err := time.LoadLocation(config.DefaultTimeZone)
	if err != nil {
		panic(err)
	}
	return BuildReport(r.ordered, r.cfg, time.Now(), loc)
}

func (r *rig) testReport(t *testing.T) {
	rep := r.report()
	if rep.Province != "Tỉnh Đồng Nai" || len(rep.Cameras) != len(r.cfg.Cameras) || len(rep.NotSurveyed) != 0 {
		t.Errorf("report: province %q, %d cameras, not surveyed %v", rep.Province, len(rep.Cameras), rep.NotSurveyed)
	}
	var ids []string
	for _, f := range rep.Facilities {
		ids = append(ids, f.ID+"="+f.Name)
	}
	// The configuration's order, then the facilities it does not name, by id.
	if got := strings.Join(ids, "|"); got != "ktx=Khu cách ly Ký túc xá Đại học Đồng Nai|bv=Bệnh viện dã chiến số 1|other=other" {
		t.Errorf("facilities %s", got)
	}
	ktx := rep.Facilities[0].Summary
	gate, hall := r.results["gate"].Main, r.results["hall"].Main
	if ktx.Cameras != 2 || ktx.Reachable != 2 || ktx.Meeting != 2 || ktx.Failing != 0 ||
		ktx.Bitrate != gate.Bitrate+hall.Bitrate || ktx.StoragePerDay != (gate.Bitrate+hall.Bitrate)*86400/8 {
		t.Errorf("ktx summary %+v", ktx)
	}
	bv := rep.Facilities[1].Summary
	// small, udp, wrong-pass, no-path, refused, silent, audio-only: two reachable and measured, one of
	// them too small; audio-only answered but has no video.
	if bv.Cameras != 7 || bv.Reachable != 3 || bv.Meeting != 1 || bv.Failing != 6 {
		t.Errorf("bv summary %+v", bv)
	}
	if bv.Reasons[CheckResolution] != 1 || bv.Reasons[ReasonAuthFailed] != 1 || bv.Reasons[ReasonTimeout] != 1 {
		t.Errorf("bv reasons %v", bv.Reasons)
	}
	total := rep.Total
	if total.Cameras != 10 || total.Meeting != 3 || total.Failing != 7 ||
		total.Bitrate != ktx.Bitrate+bv.Bitrate || total.StoragePerDay != total.Bitrate*86400/8 {
		t.Errorf("province summary %+v", total)
	}
	// Cameras grouped by facility, in the order of the facilities.
	if rep.Cameras[0].CameraID != "gate" || rep.Cameras[len(rep.Cameras)-1].CameraID != "mjpeg" {
		t.Errorf("camera order: first %s, last %s", rep.Cameras[0].CameraID, rep.Cameras[len(rep.Cameras)-1].CameraID)
	}
	if zone := time.Time(rep.Generated).Location().String(); zone != config.DefaultTimeZone {
		t.Errorf("report written in %s", zone)
	}
}

func (r *rig) testCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := r.report().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 byte order mark")
	}
	if strings.Contains(buf.String(), password) {
		t.Error("password in the CSV")
	}
	cr := csv.NewReader(bytes.NewReader(data[3:]))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(recs[0][0], "BÁO CÁO KHẢO SÁT, ĐÁNH GIÁ HIỆN TRẠNG CAMERA") || !strings.HasSuffix(recs[0][0], "TỈNH ĐỒNG NAI") {
		t.Errorf("title %q", recs[0][0])
	}
	summary := findRow(t, recs, "Mã cơ sở", "Tên cơ sở", "Số camera")
	if got := recs[summary+1]; got[1] != "Khu cách ly Ký túc xá Đại học Đồng Nai" || got[2] != "2" || got[4] != "2" {
		t.Errorf("first facility row %q", got)
	}
	if got := recs[summary+4]; got[1] != "Toàn tỉnh (Tỉnh Đồng Nai)" || got[2] != "10" || got[4] != "3" {
		t.Errorf("province row %q", got)
	}
	cams := findRow(t, recs, "Mã cơ sở", "Tên cơ sở", "Mã camera")
	header := recs[cams]
	gate := rowMap(header, recs[cams+1])
	for k, v := range map[string]string{
		"Mã camera": "gate", "Tên camera": "Cổng chính", "Chuẩn nén": "H264", "Profile": "High",
		"Độ phân giải": "640x360", "Tốc độ khung hình đo được (fps)": "25", "GOP (số khung hình)": "25",
		"GOP (giây)": "1", "Âm thanh": "AAC 48000 Hz, 1 kênh", "Giao thức truyền": "TCP", "Đánh giá": "Đạt",
		"Kết nối được": "Có", "Đang ghi hình": "Có",
	} {
		if gate[k] != v {
			t.Errorf("gate %s = %q, want %q", k, gate[k], v)
		}
	}
	small := rowMap(header, recs[cams+3])
	if small["Mã camera"] != "small" || small["Đánh giá"] != "Không đạt" ||
		small["Lý do không đạt"] != "Độ phân giải 320x180 thấp hơn mức tối thiểu 360p" {
		t.Errorf("small row %v", small)
	}
}

func findRow(t *testing.T, recs [][]string, first ...string) int {
	t.Helper()
	for i, rec := range recs {
		if len(rec) >= len(first) && strings.Join(rec[:len(first)], "|") == strings.Join(first, "|") {
			return i
		}
	}
	t.Fatalf("no row starting %v", first)
	return -1
}

func rowMap(header, row []string) map[string]string {
	m := map[string]string{}
	for i, h := range header {
		if i < len(row) {
			m[h] = row[i]
		}
	}
	return m
}

func (r *rig) testXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := r.report().WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, "|") != "Tổng hợp|Camera" {
		t.Errorf("sheets %v", got)
	}
	summary, err := f.GetRows("Tổng hợp")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(summary[0][0], "TỈNH ĐỒNG NAI") || !strings.HasPrefix(summary[2][0], "Yêu cầu tối thiểu: độ phân giải từ 360p") {
		t.Errorf("title block %q / %q", summary[0][0], summary[2][0])
	}
	if got := summary[4]; got[0] != "Mã cơ sở" || got[8] != "Dung lượng lưu trữ/ngày (GB)" {
		t.Errorf("summary header %q", got)
	}
	if got := summary[6]; got[1] != "Bệnh viện dã chiến số 1" || got[2] != "7" || !strings.Contains(got[6], "Độ phân giải thấp: 1") {
		t.Errorf("second facility row %q", got)
	}
	// Numbers are numbers, not text, so Excel can sum them (a cell without a type is a number in OOXML).
	if typ, err := f.GetCellType("Tổng hợp", "C6"); err != nil || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("camera count cell type %v, %v", typ, err)
	}
	rows, err := f.GetRows("Camera")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 11 {
		t.Fatalf("%d camera rows with the header, want 11", len(rows))
	}
	gate := rowMap(rows[0], rows[1])
	if gate["Tên cơ sở"] != "Khu cách ly Ký túc xá Đại học Đồng Nai" || gate["Tên camera"] != "Cổng chính" ||
		gate["Độ phân giải"] != "640x360" || gate["Tốc độ khung hình đo được (fps)"] != "25" ||
		!strings.HasPrefix(gate["Luồng phụ"], "H264 320x180, 25 fps, ") {
		t.Errorf("gate row %v", gate)
	}
	refused := rowMap(rows[0], rows[7])
	if refused["Mã camera"] != "refused" || refused["Kết nối được"] != "Không" || refused["Độ phân giải"] != "" ||
		!strings.HasPrefix(refused["Lý do không đạt"], "Camera từ chối kết nối") {
		t.Errorf("refused row %v", refused)
	}
	for _, row := range rows {
		if strings.Contains(strings.Join(row, " "), password) {
			t.Errorf("password in the workbook: %q", row)
		}
	}
}

func (r *rig) testText(t *testing.T) {
	var buf bytes.Buffer
	if err := r.report().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{
		"Camera survey of Tỉnh Đồng Nai: 10 cameras",
		"Facility ktx (Khu cách ly Ký túc xá Đại học Đồng Nai)",
		"H264 High 3.0", "640x360", "25 fr / 1 s", "AAC 48 kHz",
		"small: resolution: resolution 320x180 is below the minimum 360p",
		"refused: refused: connection refused",
		"Province: 10 cameras, 6 reachable, 3 meet the minimum, 7 fail",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text report lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, password) {
		t.Error("password in the text report")
	}
}

func (r *rig) testStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, err := StartRun(ctx, st, "", "cli", testWindow, r.cfg.Survey.Minimum)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.ordered {
		if err := first.Add(ctx, res); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := Latest(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(r.ordered) {
		t.Fatalf("%d results back, want %d", len(got), len(r.ordered))
	}
	for _, g := range got {
		compareResults(t, g, r.results[g.CameraID])
	}

	// A later survey of one camera replaces that camera's result only.
	second, err := StartRun(ctx, st, Scope("", "small"), "api", testWindow, r.cfg.Survey.Minimum)
	if err != nil {
		t.Fatal(err)
	}
	again := r.results["small"]
	again.Main.Reason, again.Main.Reachable = ReasonRefused, false
	if err := second.Add(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, err = Latest(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		want := r.results[g.CameraID]
		if g.CameraID == "small" {
			want = again
		}
		compareResults(t, g, want)
	}
	run, ok, err := st.SurveyRunByID(ctx, first.ID)
	if err != nil || !ok || run.Finished == 0 || run.Source != "cli" || !strings.Contains(run.Minimum, `"resolution":"360p"`) {
		t.Errorf("first run %+v, %v, %v", run, ok, err)
	}
	if run, _, _ := st.SurveyRunByID(ctx, second.ID); run.Finished != 0 || run.Scope != "camera:small" {
		t.Errorf("second run %+v", run)
	}
}

// compareResults compares through JSON, with the times in one zone: the store keeps instants.
func compareResults(t *testing.T, got, want Result) {
	t.Helper()
	norm := func(r Result) string {
		r.Main.At = Time(time.Time(r.Main.At).UTC())
		if r.Sub != nil {
			s := *r.Sub
			s.At = Time(time.Time(s.At).UTC())
			r.Sub = &s
		}
		b, _ := json.Marshal(r)
		return string(b)
	}
	if g, w := norm(got), norm(want); g != w {
		t.Errorf("stored result differs:\n got  %s\n want %s", g, w)
	}
}

// TestStall is a camera that dies during the survey: what it sent is measured, and the rest of the
// window counts as a stall, which fails continuity.
func TestStall(t *testing.T) {
	t.Parallel()
	cams := startSimcam(t, &simcam.Server{}, map[string][]byte{"cam": simcam.ClipH264})
	cam := config.Camera{ID: "cam", Facility: "f", URL: cams.URL("cam")}
	cfg := &config.Config{Cameras: []config.Camera{cam}}
	cfg.ApplyDefaults()
	// 1.5 s: a keyframe (1 s GOPs) has come whatever the joining point, then 2.5 s without video.
	time.AfterFunc(1500*time.Millisecond, func() { cams.StopCamera("cam") })
	s := Probe(context.Background(), cfg.Cameras[0], 4*time.Second)
	if s.Reason != "" || !s.Reachable || s.Width != 640 || s.FPS != 25 {
		t.Fatalf("not measured: %+v", s)
	}
	if s.MaxStall < 2.1 || s.Window < 4 || !strings.HasPrefix(s.Message, "the camera ended the session after") {
		t.Errorf("max stall %v s, window %v s, message %q", s.MaxStall, s.Window, s.Message)
	}
	m := config.SurveyMinimum{Continuous: true, MaxStall: 2 * time.Second}
	if fs := Assess(&s, m); len(fs) != 1 || fs[0].Code != CheckContinuity {
		t.Errorf("failures %+v", fs)
	}
}

// TestStoppedWhilePlaying: a survey stopped mid-window keeps what it measured and blames no stall on
// the camera.
func TestStoppedWhilePlaying(t *testing.T) {
	t.Parallel()
	cams := startSimcam(t, &simcam.Server{}, map[string][]byte{"cam": simcam.ClipH265})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	s := Probe(ctx, config.Camera{ID: "cam", URL: cams.URL("cam")}, time.Minute)
	if s.Reason != "" || s.Codec != "H265" || s.FPS != 25 || s.Window > 5 || s.MaxStall > 0.5 ||
		!strings.HasPrefix(s.Message, "the survey was stopped after") {
		t.Errorf("stopped survey: %+v", s)
	}
}

// TestProbeCancelled: a survey stopped (Ctrl-C, shutdown) ends its readings at once.
func TestProbeCancelled(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	s := Probe(ctx, config.Camera{ID: "c", URL: "rtsp://" + addr + "/x", ReadTimeout: time.Minute}, time.Minute)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelled probe took %v", d)
	}
	if s.Reason != ReasonOther || !strings.Contains(s.Message, "stopped") {
		t.Errorf("reason %q: %s", s.Reason, s.Message)
	}
}

func TestAssess(t *testing.T) {
	m := config.SurveyMinimum{Resolution: config.Resolution{Lines: 720}, FPS: 10, Codecs: []string{"H264"},
		MaxGOP: 4 * time.Second, Continuous: true, MaxStall: 2 * time.Second}
	good := Stream{Reachable: true, Codec: "H264", Width: 1280, Height: 720, FPS: 9.99, GOPSeconds: 4, MaxStall: 2}
	for _, tt := range []struct {
		name  string
		edit  func(*Stream)
		codes string
	}{
		{"meets, jitter within tolerance, limits inclusive", func(*Stream) {}, ""},
		{"portrait 720p", func(s *Stream) { s.Width, s.Height = 720, 1280 }, ""},
		{"everything wrong", func(s *Stream) {
			s.Codec, s.Width, s.Height, s.FPS, s.GOPSeconds, s.MaxStall = "H265", 640, 360, 5, 8, 3
		}, "codec,resolution,fps,gop,continuity"},
		{"open GOP already too long", func(s *Stream) { s.GOPOpen, s.GOPSeconds = true, 5 }, "gop"},
		{"open GOP proves nothing", func(s *Stream) { s.GOPOpen, s.GOPSeconds = true, 3 }, ""},
		{"nothing decoded", func(s *Stream) { s.Width, s.Height, s.FPS = 0, 0, 0 }, "resolution,fps"},
		{"unreachable: that reason alone", func(s *Stream) {
			s.Reason, s.Message, s.MessageVI, s.Reachable = ReasonTimeout, "no answer", "Không phản hồi", false
		}, "timeout"},
	} {
		s := good
		tt.edit(&s)
		var codes []string
		for _, f := range Assess(&s, m) {
			codes = append(codes, f.Code)
			if f.Message == "" || f.MessageVI == "" {
				t.Errorf("%s: %s has no message", tt.name, f.Code)
			}
		}
		if got := strings.Join(codes, ","); got != tt.codes {
			t.Errorf("%s: failures %q, want %q", tt.name, got, tt.codes)
		}
	}
	// A minimum that checks nothing passes any measured stream.
	if fs := Assess(&Stream{Codec: "H265"}, config.SurveyMinimum{}); fs != nil {
		t.Errorf("empty minimum: %+v", fs)
	}
}

func TestMeasuredFPS(t *testing.T) {
	// 25 fps in decode order with B-frames (I P B B), one frame lost: still exactly 25.
	pts := []int64{0, 3 * 3600, 3600, 2 * 3600, 6 * 3600, 4 * 3600, 5 * 3600, 9 * 3600, 8 * 3600}
	if got := measuredFPS(pts); got != 25 {
		t.Errorf("measuredFPS = %v, want 25", got)
	}
	// 29.97 fps: 3003 ticks.
	if got := round(measuredFPS([]int64{0, 3003, 6006, 9009}), 2); got != 29.97 {
		t.Errorf("measuredFPS = %v, want 29.97", got)
	}
	if got := measuredFPS([]int64{42}); got != 0 {
		t.Errorf("one frame: %v", got)
	}
}
