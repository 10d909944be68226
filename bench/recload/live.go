package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gohlslib/v2"
)

// measureLive records cams cameras with vigil, measures its CPU without viewers and then with viewers
// gohlslib clients (this process, not vigil's) watching the cameras' live LL-HLS round-robin, and reports
// the CPU each viewer costs and the drops, which must stay zero for the recording.
func measureLive(o *options, bins tools, cams, viewers int) error {
	camProc, urlFormat, err := startCameras(bins.simcams, o.clip, cams)
	if err != nil {
		return err
	}
	defer stop(camProc)
	dir := filepath.Join(o.work, "live")
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\nupstream: {listen: \"off\"}\nstorage:\n  path: %s\nretention:\n  quota: none\n  max_age: 0\ncameras:\n", filepath.Join(dir, "data"))
	for i := 1; i <= cams; i++ {
		cfg += fmt.Sprintf("  - id: cam%03d\n    facility: bench\n    url: %s\n", i, fmt.Sprintf(urlFormat, i))
	}
	cfgPath := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	vigil, err := startVigilProcess(o.vigil, cfgPath)
	if err != nil {
		return err
	}
	defer stop(vigil.cmd)
	time.Sleep(o.warmup)
	idle, err := vigil.cpuOver(o.measure)
	if err != nil {
		return err
	}
	var clients []*gohlslib.Client
	var failed int
	var ended, decodeErrors atomic.Int64
	var closing atomic.Bool
	for v := 0; v < viewers; v++ {
		c := &gohlslib.Client{URI: fmt.Sprintf("%slive/cam%03d/index.m3u8", vigil.base, v%cams+1),
			HTTPClient: adminClient}
		quiet := func(string) {}
		c.OnTracks = func([]*gohlslib.Track) error { return nil }
		c.OnDownloadPrimaryPlaylist, c.OnDownloadStreamPlaylist, c.OnDownloadSegment, c.OnDownloadPart = quiet, quiet, quiet, quiet
		c.OnDecodeError = func(err error) { decodeErrors.Add(1) }
		if err := c.Start(); err != nil {
			failed++
			continue
		}
		clients = append(clients, c)
		go func() {
			if err := c.Wait2(); err != nil && !closing.Load() {
				ended.Add(1)
				fmt.Fprintf(os.Stderr, "viewer ended: %v\n", err)
			}
		}()
	}
	defer func() {
		closing.Store(true)
		for _, c := range clients {
			c.Close()
		}
	}()
	time.Sleep(o.warmup)
	m0, err := scrape(vigil.base)
	if err != nil {
		return err
	}
	watched, err := vigil.cpuOver(o.measure)
	if err != nil {
		return err
	}
	m1, err := scrape(vigil.base)
	if err != nil {
		return err
	}
	running := len(clients) - int(ended.Load())
	fmt.Printf("| %d cameras, %d viewers (%d failed to start, %d running at the end, %d client decode errors) | %.1f ms/s | %.1f ms/s | %.2f ms/s | %.0f | %.0f |\n",
		cams, viewers, failed, running, decodeErrors.Load(), idle, watched, (watched-idle)/float64(viewers),
		m1["vigil_camera_queue_drops_total"]-m0["vigil_camera_queue_drops_total"],
		m1["vigil_camera_live_drops_total"]-m0["vigil_camera_live_drops_total"])
	return nil
}

type vigilProcess struct {
	cmd  *exec.Cmd
	pid  int
	base string
}

func startVigilProcess(bin, cfgPath string) (*vigilProcess, error) {
	if err := signIn(bin, cfgPath); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--log-level", "warn")
	line, err := startAndWait(cmd, "http://")
	if err != nil {
		return nil, err
	}
	return &vigilProcess{cmd: cmd, pid: cmd.Process.Pid, base: strings.TrimSpace(line)}, nil
}

// cpuOver is the process's CPU in ms per second of wall time over d.
func (p *vigilProcess) cpuOver(d time.Duration) (float64, error) {
	u0, t0, err := cpuAndTime(p.pid)
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	u1, t1, err := cpuAndTime(p.pid)
	if err != nil {
		return 0, err
	}
	return float64((u1 - u0).Milliseconds()) / t1.Sub(t0).Seconds(), nil
}
