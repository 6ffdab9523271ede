package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// counterCache keeps the counters of a CounterVec by a comparable key, so
// that counting every transaction part costs a map read instead of
// hashing the label values, and building the table's name, at each call.
// Counters are never deleted from the vectors, so a cached one stays the
// one the vector exports. The cache is emptied when it reaches maxCached
// keys: keys hold table descriptions, which DDL replaces.
type counterCache[K comparable] struct {
	vec    *prometheus.CounterVec
	labels func(K) []string
	mu     sync.RWMutex
	m      map[K]prometheus.Counter
}

const maxCached = 4096

func newCounterCache[K comparable](vec *prometheus.CounterVec, labels func(K) []string) *counterCache[K] {
	return &counterCache[K]{vec: vec, labels: labels, m: map[K]prometheus.Counter{}}
}

// get returns the counter of k.
func (c *counterCache[K]) get(k K) prometheus.Counter {
	c.mu.RLock()
	ctr, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return ctr
	}
	ctr = c.vec.WithLabelValues(c.labels(k)...)
	c.mu.Lock()
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[k] = ctr
	c.mu.Unlock()
	return ctr
}
