package upstream_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"

	"vigil/config"
	"vigil/simcam"
	"vigil/upstream"
)

// The central system's publishing account.
const (
	pushUser = "vigil-push"
	pushPass = "pu5h-SECRET"
)

// central is the central monitoring system in these tests: an RTSP server that accepts streams pushed
// with its credentials (ANNOUNCE/RECORD) and counts the RTP packets of each path and media type.
type central struct {
	srv *gortsplib.Server

	mu      sync.Mutex
	packets map[string]int // "path video" / "path audio"
}

func startCentral(t *testing.T, addr string) *central {
	t.Helper()
	c := &central{packets: map[string]int{}}
	c.srv = &gortsplib.Server{Handler: c, RTSPAddress: addr}
	if err := c.srv.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *central) addr() string { return c.srv.NetListener().Addr().String() }

func (c *central) count(path string, typ description.MediaType) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.packets[path+" "+string(typ)]
}

func (c *central) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	if !ctx.Conn.VerifyCredentials(ctx.Request, pushUser, pushPass) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (c *central) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() != gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusBadRequest}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, nil, nil
}

func (c *central) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	path := strings.Trim(ctx.Path, "/")
	ctx.Session.OnPacketRTPAny(func(medi *description.Media, _ format.Format, _ *rtp.Packet) {
		c.mu.Lock()
		c.packets[path+" "+string(medi.Type)]++
		c.mu.Unlock()
	})
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (c *central) OnPacketsLost(*gortsplib.ServerHandlerOnPacketsLostCtx) {}

func (c *central) OnDecodeError(*gortsplib.ServerHandlerOnDecodeErrorCtx) {}

// TestPush: a camera is published with its audio to the central system, a camera that is offline waits,
// a target that refuses the credentials fails with the reason; when the central system goes away the push
// fails and retries, and publishes again once it is back on the same port. No password ever shows in the
// status or the logs.
func TestPush(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"cam", simcam.ClipH264AAC}, rigCamera{"dead", nil})
	cen := startCentral(t, "127.0.0.1:0")
	addr := cen.addr()
	defer func() { cen.srv.Close() }()

	const wrongPass = "n0t-the-PASS"
	p := &upstream.Pusher{
		Targets: []config.PushTarget{
			{URL: "rtsp://" + pushUser + ":" + pushPass + "@" + addr + "/live/{camera}", Transport: "tcp"},
			{Camera: "cam", URL: "rtsp://" + pushUser + ":" + wrongPass + "@" + addr + "/refused", Transport: "tcp"},
		},
		Cameras:   r.cfg.Cameras,
		Subscribe: r.rec.Subscribe,
		Log:       r.log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		p.Run(ctx)
		close(stopped)
	}()
	defer func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	}()

	// Status lists the pushes in the order of the targets, each expanded over the cameras: cam and dead for
	// the first target, cam for the second. A target is named by its scheme and host only.
	const camLive, deadLive, camRefused = 0, 1, 2
	target := "rtsp://" + addr
	status := func(i int) upstream.PushStatus {
		all := p.Status()
		if i >= len(all) {
			return upstream.PushStatus{}
		}
		if all[i].Target != target {
			t.Errorf("push %d is named %q, want %q", i, all[i].Target, target)
		}
		return all[i]
	}
	waitFor(t, "the camera's video and audio at the central system", 20*time.Second, func() bool {
		return cen.count("live/cam", description.MediaTypeVideo) > 0 && cen.count("live/cam", description.MediaTypeAudio) > 0
	})
	if s := status(camLive); s.State != upstream.PushPublishing || s.Camera != "cam" || s.Attempts != 0 {
		t.Errorf("status of a push that works: %+v", s)
	}
	waitFor(t, "the offline camera to wait", 20*time.Second, func() bool {
		s := status(deadLive)
		return s.Camera == "dead" && s.State == upstream.PushWaiting && s.NextAttempt != nil
	})
	waitFor(t, "the refused push to fail", 20*time.Second, func() bool {
		s := status(camRefused)
		return s.Camera == "cam" && s.State == upstream.PushFailed && strings.Contains(s.LastError, "401")
	})

	cen.srv.Close()
	waitFor(t, "the push to fail when the central system goes away", 20*time.Second, func() bool {
		s := status(camLive)
		return (s.State == upstream.PushFailed || s.State == upstream.PushConnecting) && s.LastError != ""
	})
	// Wait for a refused connection too, so that the restart is found by a retry, not by chance.
	waitFor(t, "a retry refused", 30*time.Second, func() bool {
		s := status(camLive)
		return s.State == upstream.PushFailed && s.Attempts >= 1 && strings.Contains(s.LastError, "refused")
	})

	cen = startCentral(t, addr)
	waitFor(t, "publishing again after the central system is back", 40*time.Second, func() bool {
		return status(camLive).State == upstream.PushPublishing && cen.count("live/cam", description.MediaTypeVideo) > 0
	})

	shown := fmt.Sprintf("%+v", p.Status())
	logs := r.logs.String()
	for _, secret := range []string{pushPass, wrongPass} {
		if strings.Contains(shown, secret) || strings.Contains(logs, secret) {
			t.Errorf("a push password is shown:\nstatus %s\nlogs:\n%s", shown, logs)
		}
	}
	if !strings.Contains(logs, `msg="push failed"`) || !strings.Contains(logs, "target="+target) {
		t.Errorf("failures not logged with the redacted target:\n%s", logs)
	}
}
