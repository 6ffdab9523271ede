package mysql

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-cdc/tributary/internal/metrics"
)

// Collectors returns the sink's counters for Prometheus, labelled with the
// sink's configured name and the target table.
func (s *Sink) Collectors(name string) []prometheus.Collector {
	labels := prometheus.Labels{"sink": name}
	counter := func(metric, help string, c *metrics.Counts) prometheus.Collector {
		return c.Collector(prometheus.NewDesc(metric, help, []string{"target"}, labels))
	}
	return []prometheus.Collector{
		counter("tributary_mysql_failed_total",
			"Operations the target refused permanently, recorded in the failed store (on_error: record).", &s.failed),
		counter("tributary_mysql_conflicts_total",
			"Upserts that collided on a unique key with a row under another primary key and were handed to on_error.", &s.conflicts),
		counter("tributary_mysql_rejected_total",
			"Changes whose target key their source does not own (a shard merge's owns:), handed to on_error, never written.", &s.rejected),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tributary_mysql_retries_total",
			Help:        "Retries after transient target errors: deadlocks, lost connections, timeouts (a hung target).",
			ConstLabels: labels}, func() float64 { return float64(s.retries.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tributary_mysql_split_runs_total",
			Help:        "Runs of a table with a second unique key written compacted, in parts over several connections when long enough.",
			ConstLabels: labels}, func() float64 { return float64(s.split.runs.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tributary_mysql_split_fallbacks_total",
			Help:        "Such runs rolled back and written by one connection in order: their parts met on a row or a unique value, or the target refused one.",
			ConstLabels: labels}, func() float64 { return float64(s.split.fallbacks.Load()) }),
		prometheus.WrapCollectorWith(labels, s.applySeconds),
		prometheus.WrapCollectorWith(labels, s.lookupSeconds),
		prometheus.WrapCollectorWith(labels, s.batchOps),
		counter("tributary_mysql_unchanged_updates_total",
			"Updates not sent because the sink's last write to the row left it with their values (a lookup read them already).", &s.unchanged),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tributary_mysql_remembered_rows",
			Help:        "Rows whose last write the workers remember, to leave out updates that change nothing; at most remembered_rows.",
			ConstLabels: labels}, func() float64 { return float64(s.remembered.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tributary_mysql_remembered_evictions_total",
			Help:        "Remembered rows dropped to make room for others: while it rises, updates of the rows dropped are sent again (raise remembered_rows).",
			ConstLabels: labels}, func() float64 { return float64(s.evicted.Load()) }),
		counter("tributary_mysql_seen_rederives_total",
			"Re-derivations of a row by a lookup neither read from the source nor sent, because the sink's last write to the row read that lookup after their source transaction.", &s.seenBefore),
		counter("tributary_mysql_replay_resolutions_total",
			"Rows deleted because an upsert collided with them on a unique key inside the replay window after a restart (anywhere under on_conflict: replace).", &s.resolved),
	}
}
