package web

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vigil/continuity"
)

// metricsHandler serves a registry of vigil's own: the default one would also export whatever any
// imported library registers globally, and one registry per Handler keeps tests independent.
func (h *handlers) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		h.Recorder.Collector(),
		continuity.Collector(h.Store),
		h.loginFailures,
		upstreamCollector{h.Upstream},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelError),
	})
}

// upstreamCollector reports the connection to the central system at each scrape.
type upstreamCollector struct{ r UpstreamReporter }

var (
	rtspReadersDesc = prometheus.NewDesc("vigil_upstream_rtsp_readers", "RTSP readers of a camera's re-stream.", []string{"camera"}, nil)
	pushStateDesc   = prometheus.NewDesc("vigil_upstream_push_publishing", "1 while a push publisher is publishing, else 0.", []string{"camera", "target"}, nil)
)

func (u upstreamCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- rtspReadersDesc
	ch <- pushStateDesc
}

func (u upstreamCollector) Collect(ch chan<- prometheus.Metric) {
	if u.r == nil {
		return
	}
	s := u.r.UpstreamState()
	for camera, n := range s.Readers {
		ch <- prometheus.MustNewConstMetric(rtspReadersDesc, prometheus.GaugeValue, float64(n), camera)
	}
	for _, p := range s.Push {
		v := 0.0
		if p.State == "publishing" {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(pushStateDesc, prometheus.GaugeValue, v, p.Camera, p.Target)
	}
}

func newLoginFailures() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_login_failures_total",
		Help: "Refused sign-ins at the login form: wrong credentials, locked or disabled accounts."})
}
