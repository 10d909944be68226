// Command simcams serves many simulated cameras from one process, so a load
// test can measure the recorder without the cameras' CPU mixed in.
//
//	go run ./bench/simcams -n 200 -clip clip.ts -addr 127.0.0.1:8554
//
// Once listening it prints one line, "ready rtsp://ADDR/cam%03d", a format
// string for the camera URLs (cam001 … camNNN), then runs until SIGINT or
// SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"vigil/simcam"
)

func main() {
	n := flag.Int("n", 200, "number of cameras")
	clipPath := flag.String("clip", "", "MPEG-TS clip to loop (H.264/H.265, optional AAC); empty: the embedded 640x360 H.264 clip")
	addr := flag.String("addr", "127.0.0.1:8554", "RTSP listen address")
	user := flag.String("user", "", "user clients must authenticate as")
	pass := flag.String("pass", "", "password clients must authenticate with")
	omitParams := flag.Bool("omit-params", false, "leave SPS/PPS out of the SDP")
	stagger := flag.Duration("stagger", time.Second,
		"spread camera starts over this long, so keyframes of different cameras do not all land at once")
	stats := flag.Duration("stats", 0, "if set, log this process's CPU use to stderr at this interval")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until exit")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("simcams: ")

	if *n < 1 {
		log.Fatal("-n must be at least 1")
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}

	data := simcam.ClipH264
	if *clipPath != "" {
		var err error
		if data, err = os.ReadFile(*clipPath); err != nil {
			log.Fatal(err)
		}
	}
	// One Clip shared by every camera: it is read-only once loaded, which
	// keeps memory flat however many cameras there are.
	clip, err := simcam.LoadClip(data)
	if err != nil {
		log.Fatal(err)
	}

	srv := &simcam.Server{Address: *addr, User: *user, Pass: *pass, OmitParams: *omitParams}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	for i := 1; i <= *n; i++ {
		if i > 1 && *stagger > 0 {
			time.Sleep(*stagger / time.Duration(*n))
		}
		if err := srv.AddCamera(fmt.Sprintf("cam%03d", i), clip); err != nil {
			log.Fatal(err)
		}
	}

	fmt.Printf("ready rtsp://%s/cam%%03d\n", srv.Addr())
	log.Printf("%d cameras, %s %s, %v per loop", *n, clip.Codec(), describeAudio(clip), clip.Duration())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)

	var tick <-chan time.Time
	if *stats > 0 {
		t := time.NewTicker(*stats)
		defer t.Stop()
		tick = t.C
	}
	lastCPU, lastWall := cpuTime(), time.Now()
	for {
		select {
		case s := <-sig:
			log.Printf("%v, exiting", s)
			return
		case now := <-tick:
			cpu := cpuTime()
			log.Printf("cpu %.1f%% of one core, %d packets dropped in total",
				100*float64(cpu-lastCPU)/float64(now.Sub(lastWall)), srv.DroppedPackets())
			lastCPU, lastWall = cpu, now
		}
	}
}

func describeAudio(c *simcam.Clip) string {
	if c.HasAudio() {
		return "+ AAC"
	}
	return "no audio"
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
