package backfill

import "github.com/prometheus/client_golang/prometheus"

// counters are the Backfiller's Prometheus counters, labelled with the
// source by Collectors.
type counters struct {
	rows, chunks *prometheus.CounterVec
	throttled    *prometheus.CounterVec
}

func newCounters(source string) counters {
	labels := prometheus.Labels{"source": source}
	vec := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, []string{label})
	}
	return counters{
		rows: vec("tributary_backfill_rows_total",
			"Rows a backfill copied into the stream, by table (rows the stream carried itself are not counted).", "table"),
		chunks: vec("tributary_backfill_chunks_total",
			"Backfill chunks merged into the stream, by table.", "table"),
		throttled: vec("tributary_backfill_throttled_seconds_total",
			"Seconds backfill workers waited before a chunk, by reason (rate: backfill_max_rows_per_second; "+
				"threads_running: backfill_max_threads_running), summed over the workers.", "reason"),
	}
}

// Collectors returns the backfill's metrics for Prometheus, labelled with
// the source's name: rows and chunks copied per table, tables pending and
// seconds throttled.
func (b *Backfiller) Collectors() []prometheus.Collector {
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "tributary_backfill_tables_pending",
		Help:        "Tables requested of a backfill and not copied yet, being copied or waiting for a worker.",
		ConstLabels: prometheus.Labels{"source": b.opts.Source},
	}, func() float64 { return float64(b.pending()) })
	return []prometheus.Collector{b.metrics.rows, b.metrics.chunks, b.metrics.throttled, pending}
}

// pending counts the tables not done.
func (b *Backfiller) pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, j := range b.mu.jobs {
		if !j.cursor.Done {
			n++
		}
	}
	return n
}
