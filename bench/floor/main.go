// Command floor is the load harness's yardstick: the least a recorder can do with gortsplib. One client
// per camera appends the raw RTP payloads it receives to a buffered file, nothing else; the harness
// reports vigil's cost as a multiple of this program's.
//
//	go run ./bench/floor -url rtsp://127.0.0.1:8554/cam%03d -n 200 -dir /tmp/floor
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

func main() {
	urlFormat := flag.String("url", "rtsp://127.0.0.1:8554/cam%03d", "camera URL, with %03d for the camera number")
	n := flag.Int("n", 10, "number of cameras (1..n)")
	dir := flag.String("dir", "", "folder for the raw files (required)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("floor: ")
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	var cams []*camera
	for i := 1; i <= *n; i++ {
		c, err := record(fmt.Sprintf(*urlFormat, i), filepath.Join(*dir, fmt.Sprintf("cam%03d.rtp", i)))
		if err != nil {
			log.Fatal(err)
		}
		cams = append(cams, c)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	for _, c := range cams {
		c.client.Close()
		c.w.Flush()
	}
}

// camera is one client and its file. The mutex is the camera's own: audio and video callbacks may run
// on different goroutines, and nothing is shared between cameras, as in a real recorder.
type camera struct {
	client *gortsplib.Client
	mu     sync.Mutex
	w      *bufio.Writer
}

func record(rawURL, path string) (*camera, error) {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	tcp := gortsplib.ProtocolTCP
	cam := &camera{client: &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp},
		w: bufio.NewWriterSize(f, 64<<10)}
	c := cam.client
	if err := c.Start(); err != nil {
		return nil, err
	}
	desc, _, err := c.Describe(u)
	if err != nil {
		return nil, err
	}
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		return nil, err
	}
	c.OnPacketRTPAny(func(_ *description.Media, _ format.Format, pkt *rtp.Packet) {
		cam.mu.Lock()
		cam.w.Write(pkt.Payload)
		cam.mu.Unlock()
	})
	if _, err := c.Play(nil); err != nil {
		return nil, err
	}
	return cam, nil
}
