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
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelError),
	})
}
