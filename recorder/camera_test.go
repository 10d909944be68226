package recorder

import (
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/config"
)

func TestBackoffStepsUpWithJitterAndStaysNearAMinute(t *testing.T) {
	for _, tc := range []struct {
		failures int
		base     time.Duration
	}{{1, time.Second}, {5, time.Second}, {6, 5 * time.Second}, {11, 10 * time.Second}, {21, time.Minute}, {500, time.Minute}} {
		lo, hi := tc.base*8/10, tc.base*12/10
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := backoff(tc.failures)
			if d < lo || d > hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tc.failures, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("backoff(%d): only %d distinct delays in 50: no jitter", tc.failures, len(seen))
		}
	}
}

func TestRedactHidesThePasswordInEveryForm(t *testing.T) {
	c := &camera{cfg: config.Camera{URL: "rtsp://admin:p%40ss%2Fw0rd@10.0.0.1/stream"}}
	for _, msg := range []string{
		"dial rtsp://admin:p%40ss%2Fw0rd@10.0.0.1/stream failed",
		"server said p@ss/w0rd is wrong",
	} {
		got := c.redact(errors.New(msg))
		if strings.Contains(got, "p%40ss") || strings.Contains(got, "p@ss/w0rd") || !strings.Contains(got, "***") {
			t.Errorf("redact(%q) = %q", msg, got)
		}
	}
}
