package mysql

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns the sink's counters for Prometheus, labelled with the
// sink's configured name and the target table.
func (s *Sink) Collectors(name string) []prometheus.Collector {
	labels := prometheus.Labels{"sink": name}
	counter := func(metric, help string, c *tableCounts) prometheus.Collector {
		return &countsCollector{desc: prometheus.NewDesc(metric, help, []string{"target"}, labels), c: c}
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
		prometheus.WrapCollectorWith(labels, s.applySeconds),
		prometheus.WrapCollectorWith(labels, s.batchOps),
		counter("tributary_mysql_replay_resolutions_total",
			"Rows deleted because an upsert collided with them on a unique key inside the replay window after a restart (anywhere under on_conflict: replace).", &s.resolved),
	}
}

// tableCounts counts events by target table.
type tableCounts struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (c *tableCounts) add(table string, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]uint64{}
	}
	c.n[table] += n
}

func (c *tableCounts) total() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum uint64
	for _, n := range c.n {
		sum += n
	}
	return sum
}

// countsCollector exports a tableCounts as one counter per table.
type countsCollector struct {
	desc *prometheus.Desc
	c    *tableCounts
}

// Describe sends the counter's description.
func (cc *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cc.desc }

// Collect sends one counter per table counted so far.
func (cc *countsCollector) Collect(ch chan<- prometheus.Metric) {
	cc.c.mu.Lock()
	n := maps.Clone(cc.c.n) // send without the lock: the workers count on
	cc.c.mu.Unlock()
	for table, v := range n {
		ch <- prometheus.MustNewConstMetric(cc.desc, prometheus.CounterValue, float64(v), table)
	}
}
