package continuity

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigil/store"
)

var (
	descAlertsOpen = prometheus.NewDesc("vigil_alerts_open",
		"Cameras with an open continuity alert (offline longer than alerts.offline_after).", nil, nil)
	descDeliveryFailures = prometheus.NewDesc("vigil_alert_delivery_failures_total",
		"Alert deliveries given up after their last attempt.", []string{"channel"}, nil)
)

// metricsTimeout bounds the two small queries of a scrape.
const metricsTimeout = 2 * time.Second

// Collector exposes the alert metrics, read from the store at scrape time: the store is where alerts
// live, so the figures survive restarts and need no engine to be running.
func Collector(st *store.Store) prometheus.Collector { return collector{st} }

type collector struct{ st *store.Store }

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descAlertsOpen
	ch <- descDeliveryFailures
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metricsTimeout)
	defer cancel()
	open, failed, err := c.st.AlertCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descAlertsOpen, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descAlertsOpen, prometheus.GaugeValue, float64(open))
	for _, channel := range []string{store.ChannelWebhook, store.ChannelEmail} {
		ch <- prometheus.MustNewConstMetric(descDeliveryFailures, prometheus.CounterValue, float64(failed[channel]), channel)
	}
}
