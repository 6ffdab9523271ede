// Package metrics owns Tributary's Prometheus collectors.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Metrics holds the collectors, registered on their own registry.
type Metrics struct {
	Registry     *prometheus.Registry
	Changes      *prometheus.CounterVec
	Transactions *prometheus.CounterVec
	CommitLag    *prometheus.GaugeVec
	Checkpoints  prometheus.Counter
	// DDL counts the table statements mappings met and went past, by
	// source, table, kind and policy.
	DDL *prometheus.CounterVec
}

// New creates and registers the collectors, plus the Go and process ones.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_changes_total",
			Help: "Row changes applied to every sink, by source, table and operation.",
		}, []string{"source", "table", "op"}),
		Transactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_transactions_total",
			Help: "Source transactions applied to every sink.",
		}, []string{"source"}),
		CommitLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tributary_apply_lag_seconds",
			Help: "Seconds between the source commit and the apply of the last transaction.",
		}, []string{"source"}),
		Checkpoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_checkpoints_total",
			Help: "Synced checkpoint writes.",
		}),
		DDL: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_ddl_events_total",
			Help: "Table statements (truncate, drop, rename, alter of read columns) that mappings met and went past, by policy.",
		}, []string{"source", "table", "kind", "policy"}),
	}
	m.Registry.MustRegister(m.Changes, m.Transactions, m.CommitLag, m.Checkpoints, m.DDL,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Applied counts one transaction part that every sink accepted.
func (m *Metrics) Applied(txn *change.Txn) {
	// Count runs of one table and operation with one label lookup: a part
	// usually holds many changes of few kinds.
	for i := 0; i < len(txn.Changes); {
		c := &txn.Changes[i]
		j := i + 1
		for j < len(txn.Changes) && txn.Changes[j].Table == c.Table && txn.Changes[j].Op == c.Op {
			j++
		}
		m.Changes.WithLabelValues(txn.Source, c.Table.QualifiedName(), c.Op.String()).Add(float64(j - i))
		i = j
	}
	if txn.Last {
		m.Transactions.WithLabelValues(txn.Source).Inc()
		if !txn.CommitTime.IsZero() {
			m.CommitLag.WithLabelValues(txn.Source).Set(time.Since(txn.CommitTime).Seconds())
		}
	}
}
