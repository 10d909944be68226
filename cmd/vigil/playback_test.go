package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/simcam"
)

// hlsFragment is one media entry of a playlist.
type hlsFragment struct {
	pdt            time.Time
	dur            float64
	offset, length int64
	uri            string
}

func parsePlaylist(t *testing.T, body string) (frags []hlsFragment, maps, discontinuities int) {
	t.Helper()
	var cur hlsFragment
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#EXT-X-MAP:"):
			maps++
		case l == "#EXT-X-DISCONTINUITY":
			discontinuities++
		case strings.HasPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:"):
			pdt, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:"))
			if err != nil {
				t.Fatal(err)
			}
			cur.pdt = pdt
		case strings.HasPrefix(l, "#EXTINF:"):
			cur.dur, _ = strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(l, "#EXTINF:"), ","), 64)
		case strings.HasPrefix(l, "#EXT-X-BYTERANGE:"):
			fmt.Sscanf(strings.TrimPrefix(l, "#EXT-X-BYTERANGE:"), "%d@%d", &cur.length, &cur.offset)
		case l != "" && !strings.HasPrefix(l, "#"):
			cur.uri = l
			frags = append(frags, cur)
			cur = hlsFragment{}
		}
	}
	return frags, maps, discontinuities
}

func getRange(t *testing.T, u string, offset, length int64) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	resp, err := clientFor(req.URL).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestPlaybackPlaylistServesTheRecordedBytes records two cameras with the real binary, asks for the
// playlist of the last seconds and checks it as a player would: every byte range lies in its file and
// starts with a moof, program date-times rise with the durations, and ffprobe plays the playlist over
// HTTP for the duration it announces.
func TestPlaybackPlaylistServesTheRecordedBytes(t *testing.T) {
	requireFFprobe(t)
	cams := &simcam.Server{}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	defer cams.Close()
	clip, _ := simcam.LoadClip(simcam.ClipH264AAC)
	cams.AddCamera("cam-a", clip)
	dir := t.TempDir()
	p := startVigil(t, writeConfig(t, dir, cams, "cam-a"))
	defer func() { p.cmd.Process.Kill(); p.cmd.Wait() }()
	start := time.Now()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c := p.cameras(t); len(c) == 1 && c[0].Fragments >= 13 { // a 10 s segment and a bit of the next
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not enough recorded in 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	end := time.Now()
	q := url.Values{"start": {start.Add(-time.Minute).Format(time.RFC3339)}, "end": {end.Format(time.RFC3339Nano)}}
	playlistURL := p.url + "playback/cam-a/index.m3u8?" + q.Encode()
	resp, err := authedGet(playlistURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		t.Fatalf("playlist: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	frags, maps, _ := parsePlaylist(t, string(body))
	if len(frags) < 12 || maps < 2 {
		t.Fatalf("%d fragments in %d segments:\n%s", len(frags), maps, body)
	}
	var total float64
	for i, f := range frags {
		code, b := getRange(t, p.url+strings.TrimPrefix(f.uri, "/"), f.offset, f.length)
		if code != http.StatusPartialContent || int64(len(b)) != f.length || string(b[4:8]) != "moof" {
			t.Fatalf("fragment %d (%s %d@%d): %d, %d bytes, starts %q", i, f.uri, f.length, f.offset, code, len(b), b[4:8])
		}
		if i > 0 {
			prev := frags[i-1]
			if want := prev.pdt.Add(time.Duration(prev.dur * float64(time.Second))); f.pdt.Sub(want).Abs() > 2*time.Millisecond {
				t.Fatalf("fragment %d at %v, want %v (previous + its duration)", i, f.pdt, want)
			}
		}
		total += f.dur
	}
	out, err := exec.Command("ffprobe", append(p.ffprobeAuth(), "-v", "error", "-show_entries", "format=duration:stream=codec_name",
		"-of", "json", playlistURL)...).Output()
	if err != nil {
		t.Fatalf("ffprobe on the playlist: %v", err)
	}
	var probe struct {
		Format  struct{ Duration string }
		Streams []struct {
			CodecName string `json:"codec_name"`
		}
	}
	json.Unmarshal(out, &probe)
	got, _ := strconv.ParseFloat(probe.Format.Duration, 64)
	if got < total-0.2 || got > total+0.2 || len(probe.Streams) != 2 {
		t.Fatalf("ffprobe plays %.3f s (%s), the playlist announces %.3f s", got, out, total)
	}

	// The timeline of the same range: what was recorded, and the second or so the camera spent connecting.
	resp, err = authedGet(p.url + "api/v1/cameras/cam-a/timeline?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Spans, Gaps []struct{ Start, End string }
		Outages     []struct{ Start, End, State, Reason string }
	}
	json.NewDecoder(resp.Body).Decode(&tl)
	resp.Body.Close()
	if len(tl.Spans) != 1 || len(tl.Outages) != 1 || tl.Outages[0].State != "connecting" ||
		tl.Outages[0].Reason != "recorder started" {
		t.Fatalf("timeline: %+v", tl)
	}
	// The camera goes online as its first segment opens: the outage ends where the recording begins.
	outageEnd, _ := time.Parse(time.RFC3339Nano, tl.Outages[0].End)
	spanStart, _ := time.Parse(time.RFC3339Nano, tl.Spans[0].Start)
	if d := outageEnd.Sub(spanStart).Abs(); d > 50*time.Millisecond {
		t.Errorf("outage ends %v away from the first recorded second: %+v", d, tl)
	}

	// The export of the same range: one MP4 of the recorded bytes that plays for the duration it states.
	resp, err = authedGet(p.url + "api/v1/cameras/cam-a/export.mp4?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	clipPath := filepath.Join(dir, "export.mp4")
	clipFile, _ := os.Create(clipPath)
	n, _ := io.Copy(clipFile, resp.Body)
	clipFile.Close()
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "video/mp4" || h.Get("Content-Length") != strconv.FormatInt(n, 10) ||
		!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="cam-a_`) || h.Get("X-Vigil-Start") == "" {
		t.Fatalf("export: %d, %d bytes, headers %v", resp.StatusCode, n, h)
	}
	stated, _ := strconv.ParseFloat(h.Get("X-Vigil-Duration"), 64)
	checkClip(t, clipPath, stated)

	// Live: the LL-HLS of the same camera, from the recorder's session, plays in ffprobe.
	liveURL := p.url + "live/cam-a/index.m3u8"
	out, err = exec.Command("ffprobe", append(p.ffprobeAuth(), "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", liveURL)...).Output()
	if err != nil || !strings.Contains(string(out), "h264") || !strings.Contains(string(out), "aac") {
		t.Fatalf("ffprobe on the live stream: %v\n%s", err, out)
	}

	// Bad requests and empty ranges answer JSON 4xx.
	for _, tc := range []struct {
		path string
		code int
	}{
		{"playback/cam-a/index.m3u8?start=yesterday&end=now", 400},
		{"playback/cam-a/index.m3u8?start=2020-01-01T00:00:00Z&end=2020-01-03T00:00:00Z", 400}, // over 24 h
		{"playback/cam-a/index.m3u8?start=2020-01-01T00:00:00Z&end=2020-01-01T01:00:00Z", 404},
		{"playback/nope/index.m3u8?start=2020-01-01T00:00:00Z&end=2020-01-01T01:00:00Z", 404},
		{"recordings/cam-a/../../vigil.yaml", 400},
		{"live/nope/index.m3u8", 404},
		{"api/v1/cameras/cam-a/export.mp4?start=2020-01-01T00:00:00Z&end=2020-01-01T01:00:00Z", 404},
		{"api/v1/cameras/cam-a/export.mp4?start=2020-01-01T00:00:00Z", 400},
		{"recordings/cam-a/2020-01-01/00-00-00.000.mp4", 404},
	} {
		resp, err := authedGet(p.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.code || e.Error == "" {
			t.Errorf("%s: %d %q, want %d with a message", tc.path, resp.StatusCode, e.Error, tc.code)
		}
	}
}

func requireFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is required (apt-get install ffmpeg); .ci/run installs it")
	}
}

// checkClip requires ffprobe to read an H.264 + AAC file of the given duration with a frame for every 40 ms,
// and ffmpeg to decode all of it without a complaint.
func checkClip(t *testing.T, path string, duration float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries",
		"format=duration:stream=codec_name,nb_read_frames", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var probe struct {
		Format  struct{ Duration string }
		Streams []struct {
			CodecName    string `json:"codec_name"`
			NbReadFrames string `json:"nb_read_frames"`
		}
	}
	json.Unmarshal(out, &probe)
	got, _ := strconv.ParseFloat(probe.Format.Duration, 64)
	if len(probe.Streams) != 2 || probe.Streams[0].CodecName != "h264" || probe.Streams[1].CodecName != "aac" {
		t.Fatalf("%s: streams %s", path, out)
	}
	frames, _ := strconv.ParseFloat(probe.Streams[0].NbReadFrames, 64)
	if got < duration-0.15 || got > duration+0.15 || frames/25 < duration-0.1 || frames/25 > duration+0.1 {
		t.Fatalf("%s: ffprobe reads %.3f s and %v frames, the export states %.3f s", path, got, frames, duration)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("%s: ffmpeg decoding: %v\n%s", path, err, out)
	}
}
