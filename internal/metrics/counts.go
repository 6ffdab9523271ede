package metrics

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Counts counts events by one label value (a target table, a stream); its
// zero value is ready. Collector exports it.
type Counts struct {
	mu sync.Mutex
	n  map[string]uint64
}

// Add counts n events of value.
func (c *Counts) Add(value string, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]uint64{}
	}
	c.n[value] += n
}

// Total returns the events of every value.
func (c *Counts) Total() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum uint64
	for _, n := range c.n {
		sum += n
	}
	return sum
}

// Snapshot returns the counts by value.
func (c *Counts) Snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// Collector exports c as one counter per value, desc having that one
// variable label.
func (c *Counts) Collector(desc *prometheus.Desc) prometheus.Collector {
	return &countsCollector{desc: desc, c: c}
}

type countsCollector struct {
	desc *prometheus.Desc
	c    *Counts
}

func (cc *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cc.desc }

// Collect sends one counter per value counted so far, without holding the
// lock while sending: the counting goes on.
func (cc *countsCollector) Collect(ch chan<- prometheus.Metric) {
	for v, n := range cc.c.Snapshot() {
		ch <- prometheus.MustNewConstMetric(cc.desc, prometheus.CounterValue, float64(n), v)
	}
}
