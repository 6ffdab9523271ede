package kinesis

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns the sink's counters for Prometheus, labelled with the
// sink's configured name.
func (s *Sink) Collectors(name string) []prometheus.Collector {
	labels := prometheus.Labels{"sink": name}
	counter := func(metric, help string, read func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: metric, Help: help, ConstLabels: labels},
			func() float64 { return float64(read()) })
	}
	return []prometheus.Collector{
		counter("tributary_kinesis_records_sent_total", "Row changes Kinesis acknowledged.", s.Sent),
		counter("tributary_kinesis_records_retried_total", "Kinesis records sent again after Kinesis refused them or a call failed.", s.Retried),
		counter("tributary_kinesis_records_failed_total", "Changes not sent (oversize) and recorded in the failed store.", s.Failed),
		&throttleCollector{desc: prometheus.NewDesc("tributary_kinesis_throttled_total",
			"Records Kinesis refused for want of throughput (ProvisionedThroughputExceeded, LimitExceeded), by stream; each is retried.",
			[]string{"stream"}, labels), c: &s.throttled},
	}
}

// isThrottle reports whether a Kinesis error code means the stream or
// the account is over its throughput.
func isThrottle(code string) bool {
	return code == "ProvisionedThroughputExceededException" || code == "LimitExceededException"
}

// throttleCounts counts throttled records by stream.
type throttleCounts struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (c *throttleCounts) add(stream string, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]uint64{}
	}
	c.n[stream] += n
}

// Throttled returns the throttled records by stream.
func (s *Sink) Throttled() map[string]uint64 {
	s.throttled.mu.Lock()
	defer s.throttled.mu.Unlock()
	return maps.Clone(s.throttled.n)
}

// throttleCollector exports throttleCounts as one counter per stream.
type throttleCollector struct {
	desc *prometheus.Desc
	c    *throttleCounts
}

func (tc *throttleCollector) Describe(ch chan<- *prometheus.Desc) { ch <- tc.desc }

func (tc *throttleCollector) Collect(ch chan<- prometheus.Metric) {
	tc.c.mu.Lock()
	n := maps.Clone(tc.c.n)
	tc.c.mu.Unlock()
	for stream, v := range n {
		ch <- prometheus.MustNewConstMetric(tc.desc, prometheus.CounterValue, float64(v), stream)
	}
}
