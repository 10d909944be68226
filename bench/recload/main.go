// Command recload is the recorder's load harness. For each camera count N it starts N simulated 1080p25
// cameras in a separate process (bench/simcams), then records them twice, each time in its own process
// and measured alone: once with vigil, once with bench/floor (a gortsplib client per camera appending raw
// RTP payloads to a buffered file, the least a recorder can do). It prints, per N, the CPU each spends per
// stream per second of footage, resident memory per stream, vigil's bytes written versus received, its
// drops and the footage the index holds for the measured window, and vigil's CPU as a multiple of the
// floor's.
//
//	make build && go run ./bench/recload -n 10,50,100,200
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"vigil/store"
)

type options struct {
	counts  []int
	warmup  time.Duration
	measure time.Duration
	clip    string
	fsync   string
	vigil   string
	work    string
	profile bool
	runs    int
	// live mode: liveViewers > 0 measures live viewing instead of recording load
	liveViewers, liveCameras int
}

func main() {
	var o options
	counts := flag.String("n", "10,50,100,200", "camera counts to measure, comma separated")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "time to let the recorder settle before measuring")
	flag.DurationVar(&o.measure, "measure", 30*time.Second, "measured window")
	flag.StringVar(&o.clip, "clip", "", "1080p clip to loop (default: made with bench/make-1080p-clip.sh into the work folder)")
	flag.StringVar(&o.fsync, "fsync", "fragment", "vigil's storage.fsync")
	flag.StringVar(&o.vigil, "vigil", "bin/vigil", "vigil binary")
	flag.StringVar(&o.work, "work", "", "work folder (default: a new temp folder, removed at the end)")
	flag.IntVar(&o.liveViewers, "live-viewers", 0, "instead of the load table: measure this many live LL-HLS viewers")
	flag.IntVar(&o.liveCameras, "live-cameras", 10, "cameras the live viewers watch, round-robin")
	flag.IntVar(&o.runs, "runs", 3, "rounds per N (vigil then floor each round); the table shows medians")
	flag.BoolVar(&o.profile, "pprof", false, "save a CPU profile of vigil for each N (vigil-N.pprof in the work folder, which is then kept)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("recload: ")
	for _, s := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("-n: bad count %q", s)
		}
		o.counts = append(o.counts, n)
	}
	if err := run(&o); err != nil {
		log.Fatal(err)
	}
}

func run(o *options) error {
	keep := o.work != "" || o.profile
	if o.work == "" {
		dir, err := os.MkdirTemp("", "vigil-recload")
		if err != nil {
			return err
		}
		o.work = dir
	}
	if !keep {
		defer os.RemoveAll(o.work)
	}
	bins, err := buildTools(o.work)
	if err != nil {
		return err
	}
	if o.clip == "" {
		o.clip = filepath.Join(o.work, "cam1080p.ts")
		if out, err := exec.Command("bench/make-1080p-clip.sh", o.clip).CombinedOutput(); err != nil {
			return fmt.Errorf("make clip: %v\n%s", err, out)
		}
	}
	if o.liveViewers > 0 {
		fmt.Printf("machine: %s, %d cores visible; clip %s; warm-up %v, measured %v\n\n", cpuModel(), numCPU(),
			filepath.Base(o.clip), o.warmup, o.measure)
		fmt.Println("| setup | vigil CPU, no viewer | vigil CPU, viewers | CPU per viewer | recorder queue drops | live drops |")
		fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: |")
		return measureLive(o, bins, o.liveCameras, o.liveViewers)
	}
	fmt.Printf("machine: %s, %d cores visible; clip %s; warm-up %v, measured %v; fsync %s; medians of %d rounds\n\n",
		cpuModel(), numCPU(), filepath.Base(o.clip), o.warmup, o.measure, o.fsync, o.runs)
	fmt.Println("| N | vigil CPU ms/stream/s | floor CPU ms/stream/s | vigil ÷ floor | machine ms/stream/s, vigil round | machine, floor round | vigil RSS MB/stream | floor RSS MB/stream | written ÷ received | drops+lost+decode errors (all rounds) | footage indexed |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, n := range o.counts {
		var rounds []*result
		for i := 0; i < max(o.runs, 1); i++ {
			r, err := measureN(o, bins, n)
			if err != nil {
				return fmt.Errorf("with %d cameras: %w", n, err)
			}
			rounds = append(rounds, r)
		}
		med := func(f func(*result) float64) float64 { return median(rounds, f) }
		var trouble uint64
		for _, r := range rounds {
			trouble += r.trouble
		}
		fmt.Printf("| %d | %.2f | %.2f | %.2f× | %.2f | %.2f | %.2f | %.2f | %.3f | %d | %.1f%% |\n", n,
			med(func(r *result) float64 { return r.vigil.cpuMs }),
			med(func(r *result) float64 { return r.floor.cpuMs }),
			med(func(r *result) float64 { return r.vigil.cpuMs / r.floor.cpuMs }),
			med(func(r *result) float64 { return r.vigil.machineMs }),
			med(func(r *result) float64 { return r.floor.machineMs }),
			med(func(r *result) float64 { return r.vigil.rssMB }),
			med(func(r *result) float64 { return r.floor.rssMB }),
			med(func(r *result) float64 { return r.written / r.received }),
			trouble,
			100*med(func(r *result) float64 { return r.footage }))
	}
	return nil
}

// median of f over the rounds; the ratio column is the median of each round's own ratio, since vigil
// and the floor of one round ran back to back on the same machine.
func median(rounds []*result, f func(*result) float64) float64 {
	v := make([]float64, len(rounds))
	for i, r := range rounds {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

type tools struct{ simcams, floor string }

func buildTools(work string) (tools, error) {
	t := tools{simcams: filepath.Join(work, "simcams"), floor: filepath.Join(work, "floor")}
	for bin, pkg := range map[string]string{t.simcams: "./bench/simcams", t.floor: "./bench/floor"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return t, fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return t, nil
}

type usage struct {
	cpuMs     float64 // the recorder process's CPU ms per stream per second
	machineMs float64 // the whole machine's busy CPU ms per stream per second: cameras, kernel writeback and all
	rssMB     float64 // resident MB per stream at the end of the window
}

type result struct {
	vigil, floor      usage
	written, received float64
	trouble           uint64
	footage           float64 // fraction of N × window the index holds
}

func measureN(o *options, bins tools, n int) (*result, error) {
	cams, urlFormat, err := startCameras(bins.simcams, o.clip, n)
	if err != nil {
		return nil, err
	}
	defer stop(cams)
	r := &result{}
	if r.vigil, err = measureVigil(o, n, urlFormat, r); err != nil {
		return nil, err
	}
	if r.floor, err = measureFloor(o, bins.floor, n, urlFormat); err != nil {
		return nil, err
	}
	return r, nil
}

func startCameras(bin, clip string, n int) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, "-n", strconv.Itoa(n), "-clip", clip, "-addr", "127.0.0.1:0")
	line, err := startAndWait(cmd, "ready ")
	if err != nil {
		return nil, "", err
	}
	return cmd, strings.TrimPrefix(line, "ready "), nil
}

// startAndWait starts cmd and returns its first stdout line that starts with prefix.
func startAndWait(cmd *exec.Cmd, prefix string) (string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), prefix); i >= 0 {
				lines <- sc.Text()[i:]
			}
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			cmd.Wait()
			return "", fmt.Errorf("%s exited before it was ready", filepath.Base(cmd.Path))
		}
		return l, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return "", fmt.Errorf("%s not ready after 60 s", filepath.Base(cmd.Path))
	}
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func measureVigil(o *options, n int, urlFormat string, r *result) (usage, error) {
	dir := filepath.Join(o.work, fmt.Sprintf("vigil-%d", n))
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage{}, err
	}
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\nupstream: {listen: \"off\"}\nstorage:\n  path: %s\n  fsync: %s\nretention:\n  quota: none\n  max_age: 0\ncameras:\n",
		filepath.Join(dir, "data"), o.fsync)
	for i := 1; i <= n; i++ {
		cfg += fmt.Sprintf("  - id: cam%03d\n    facility: bench\n    url: %s\n", i, fmt.Sprintf(urlFormat, i))
	}
	cfgPath := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return usage{}, err
	}
	args := []string{"serve", "--config", cfgPath, "--log-level", "warn"}
	pprofAddr := ""
	if o.profile {
		pprofAddr = freeAddr()
		args = append(args, "--pprof", pprofAddr)
	}
	if err := signIn(o.vigil, cfgPath); err != nil {
		return usage{}, err
	}
	cmd := exec.Command(o.vigil, args...)
	line, err := startAndWait(cmd, "http://")
	if err != nil {
		return usage{}, err
	}
	base := strings.TrimSpace(line)
	defer stop(cmd)
	time.Sleep(o.warmup)
	m0, err := scrape(base)
	if err != nil {
		return usage{}, err
	}
	m0busy := machineBusy()
	u0, t0, err := cpuAndTime(cmd.Process.Pid)
	if err != nil {
		return usage{}, err
	}
	if o.profile {
		if err := saveProfile(pprofAddr, o.measure, filepath.Join(o.work, fmt.Sprintf("vigil-%d.pprof", n))); err != nil {
			return usage{}, err
		}
	} else {
		time.Sleep(o.measure)
	}
	u1, t1, err := cpuAndTime(cmd.Process.Pid)
	if err != nil {
		return usage{}, err
	}
	busy := machineBusy() - m0busy
	m1, err := scrape(base)
	if err != nil {
		return usage{}, err
	}
	rss, err := rssBytes(cmd.Process.Pid)
	if err != nil {
		return usage{}, err
	}
	stop(cmd)
	r.written = m1["vigil_camera_recorded_bytes_total"] - m0["vigil_camera_recorded_bytes_total"]
	r.received = m1["vigil_camera_received_bytes_total"] - m0["vigil_camera_received_bytes_total"]
	for _, k := range []string{"vigil_camera_queue_drops_total", "vigil_camera_packets_lost_total", "vigil_camera_decode_errors_total"} {
		r.trouble += uint64(m1[k])
	}
	if r.footage, err = footage(filepath.Join(dir, "data", "vigil.db"), n, t0, t1); err != nil {
		return usage{}, err
	}
	return perStream(u1-u0, busy, t1.Sub(t0), rss, n), nil
}

func measureFloor(o *options, bin string, n int, urlFormat string) (usage, error) {
	dir := filepath.Join(o.work, fmt.Sprintf("floor-%d", n))
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage{}, err
	}
	cmd := exec.Command(bin, "-url", urlFormat, "-n", strconv.Itoa(n), "-dir", dir)
	if _, err := startAndWait(cmd, "ready"); err != nil {
		return usage{}, err
	}
	defer stop(cmd)
	time.Sleep(o.warmup)
	m0busy := machineBusy()
	u0, t0, err := cpuAndTime(cmd.Process.Pid)
	if err != nil {
		return usage{}, err
	}
	time.Sleep(o.measure)
	u1, t1, err := cpuAndTime(cmd.Process.Pid)
	if err != nil {
		return usage{}, err
	}
	busy := machineBusy() - m0busy
	rss, err := rssBytes(cmd.Process.Pid)
	if err != nil {
		return usage{}, err
	}
	return perStream(u1-u0, busy, t1.Sub(t0), rss, n), nil
}

// saveProfile takes a CPU profile of vigil over the measured window.
func saveProfile(addr string, d time.Duration, path string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	log.Printf("CPU profile: %s", path)
	return err
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func perStream(cpu, machine, wall time.Duration, rss int64, n int) usage {
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(n) / wall.Seconds() }
	return usage{cpuMs: per(cpu), machineMs: per(machine), rssMB: float64(rss) / float64(n) / 1e6}
}

// machineBusy is the CPU time all cores have spent not idle, from /proc/stat. It counts what a process's
// own figures miss, such as the kernel threads that write dirty pages back and the camera simulator.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1:]
	var busy int64
	for i, v := range f {
		x, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 { // idle and iowait
			busy += x
		}
	}
	const ticksPerSecond = 100 // USER_HZ
	return time.Duration(busy) * time.Second / ticksPerSecond
}

// cpuAndTime reads the process's user+system CPU time from /proc.
func cpuAndTime(pid int) (time.Duration, time.Time, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, time.Time{}, err
	}
	// fields after the command name, which is in parentheses and may hold spaces
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, time.Now(), nil
}

func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// scrape sums each vigil_camera_* counter over cameras.
func scrape(base string) (map[string]float64, error) {
	resp, err := adminClient.Get(strings.TrimSuffix(base, "/") + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	sums := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "vigil_camera_") {
			continue
		}
		name := l[:strings.IndexAny(l, "{ ")]
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err == nil {
			sums[name] += v
		}
	}
	return sums, sc.Err()
}

// footage is the share of n cameras × [t0, t1) that the index holds as recorded (less the last second,
// which the index may not have yet).
func footage(db string, n int, t0, t1 time.Time) (float64, error) {
	st, err := store.Open(db)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	end := t1.Add(-2 * time.Second)
	var total time.Duration
	for i := 1; i <= n; i++ {
		segs, err := st.SegmentsOverlapping(context.Background(), fmt.Sprintf("cam%03d", i), t0.UnixNano(), end.UnixNano(), false)
		if err != nil {
			return 0, err
		}
		for _, s := range segs {
			a, b := max(s.Start, t0.UnixNano()), min(s.End, end.UnixNano())
			if b > a {
				total += time.Duration(b - a)
			}
		}
	}
	return total.Seconds() / (float64(n) * end.Sub(t0).Seconds()), nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			return strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
		}
	}
	return "unknown CPU"
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

// adminClient signs the harness's requests (metrics, live playlists) in with the token signIn made.
var adminClient = &http.Client{Timeout: 30 * time.Second}

// signIn makes an admin API token with `vigil token add`, as an installer would, for adminClient.
func signIn(bin, cfgPath string) error {
	out, err := exec.Command(bin, "token", "add", "--config", cfgPath, "--role", "admin", "recload").CombinedOutput()
	if err != nil {
		return fmt.Errorf("vigil token add: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "token recload: ")
	if !ok {
		return fmt.Errorf("vigil token add printed no token:\n%s", out)
	}
	token, _, _ := strings.Cut(after, "\n")
	adminClient.Transport = bearer(strings.TrimSpace(token))
	return nil
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}
