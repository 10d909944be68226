package recorder

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes per-camera counters to Prometheus. It reads the counters the cameras keep anyway at
// scrape time, so metrics cost the per-packet path nothing.
func (r *Recorder) Collector() prometheus.Collector { return (*collector)(r) }

type collector Recorder

var (
	descReceived = prometheus.NewDesc("vigil_camera_received_bytes_total",
		"RTP payload bytes received from the camera.", []string{"camera"}, nil)
	descBytes = prometheus.NewDesc("vigil_camera_recorded_bytes_total",
		"Bytes of fragments written to segment files.", []string{"camera"}, nil)
	descFragments = prometheus.NewDesc("vigil_camera_fragments_total",
		"Fragments written to segment files.", []string{"camera"}, nil)
	descReconnects = prometheus.NewDesc("vigil_camera_reconnects_total",
		"RTSP sessions that ended and were retried.", []string{"camera"}, nil)
	descDrops = prometheus.NewDesc("vigil_camera_queue_drops_total",
		"Access units dropped because the writer queue was full.", []string{"camera"}, nil)
	descLiveDrops = prometheus.NewDesc("vigil_camera_live_drops_total",
		"Access units a live viewer missed because it read too slowly.", []string{"camera"}, nil)
	descLost = prometheus.NewDesc("vigil_camera_packets_lost_total",
		"RTP packets the camera sent that never arrived.", []string{"camera"}, nil)
	descDecodeErrors = prometheus.NewDesc("vigil_camera_decode_errors_total",
		"Packets or access units that could not be decoded.", []string{"camera"}, nil)
	descState = prometheus.NewDesc("vigil_camera_state",
		"1 for the camera's current state.", []string{"camera", "state"}, nil)
	descBitrate = prometheus.NewDesc("vigil_camera_bitrate_bits_per_second",
		"Bitrate over the last fragment.", []string{"camera"}, nil)
)

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReceived, descLiveDrops, descBytes, descFragments, descReconnects, descDrops, descLost,
		descDecodeErrors, descState, descBitrate} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, cam := range c.cameras {
		s := cam.Status()
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), s.ID)
		}
		counter(descReceived, s.Received)
		counter(descBytes, s.Bytes)
		counter(descFragments, s.Fragments)
		counter(descReconnects, s.Reconnects)
		counter(descDrops, s.QueueDrops)
		counter(descLiveDrops, s.LiveDrops)
		counter(descLost, s.PacketsLost)
		counter(descDecodeErrors, s.DecodeErrors)
		for _, st := range []string{"connecting", "online", "offline", StateDisabled} {
			v := 0.0
			if s.State == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, v, s.ID, st)
		}
		ch <- prometheus.MustNewConstMetric(descBitrate, prometheus.GaugeValue, float64(s.Bitrate), s.ID)
	}
}
