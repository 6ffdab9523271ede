package lookup

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the resolver's counters for Prometheus.
func (r *Resolver) Collectors() []prometheus.Collector {
	return []prometheus.Collector{prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "tributary_lookup_queries_total",
		Help: "Queries sent to sources to complete or re-derive target rows.",
	}, func() float64 { return float64(r.Queries()) })}
}
