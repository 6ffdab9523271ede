package kinesis

import (
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
		s.throttled.Collector(prometheus.NewDesc("tributary_kinesis_throttled_total",
			"Records Kinesis refused for want of throughput (ProvisionedThroughputExceeded, LimitExceeded), by stream; each is retried.",
			[]string{"stream"}, labels)),
	}
}

// isThrottle reports whether a Kinesis error code means the stream or
// the account is over its throughput.
func isThrottle(code string) bool {
	return code == "ProvisionedThroughputExceededException" || code == "LimitExceededException"
}

// Throttled returns the throttled records by stream.
func (s *Sink) Throttled() map[string]uint64 {
	return s.throttled.Snapshot()
}
