// Package metrics owns Tributary's Prometheus collectors.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Metrics holds the collectors, registered on their own registry.
type Metrics struct {
	Registry    *prometheus.Registry
	Changes     *prometheus.CounterVec
	ChangesRead *prometheus.CounterVec
	// TargetOps counts the target operations the mappings derived and
	// every table sink accepted, by target table and kind.
	TargetOps    *prometheus.CounterVec
	Transactions *prometheus.CounterVec
	Checkpoints  prometheus.Counter
	// DDL counts the table statements mappings met and went past, by
	// source, table, kind and policy.
	DDL *prometheus.CounterVec

	// The counters of the per-part hot path, by label key.
	changes     *counterCache[changeKey]
	changesRead *counterCache[changeKey]
	targetOps   *counterCache[targetKey]
	txns        *counterCache[string]
}

// changeKey labels the changes of one table of a source (op is unset for
// ChangesRead).
type changeKey struct {
	source string
	table  *change.Table
	op     change.Op
}

// targetKey labels the operations of one kind on a target table.
type targetKey struct {
	target *change.TargetTable
	kind   change.TargetOpKind
}

// New creates and registers the collectors, plus the Go and process ones.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_changes_total",
			Help: "Row changes applied to every sink, by source, table and operation.",
		}, []string{"source", "table", "op"}),
		ChangesRead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_changes_read_total",
			Help: "Row changes read from the source's binlog, by source and table, before any mapping or sink.",
		}, []string{"source", "table"}),
		TargetOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_target_operations_total",
			Help: "Target operations the mappings derived and every table sink accepted, by target table and kind.",
		}, []string{"target", "kind"}),
		Transactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_transactions_total",
			Help: "Source transactions applied to every sink.",
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
	m.changes = newCounterCache(m.Changes, func(k changeKey) []string {
		return []string{k.source, k.table.QualifiedName(), k.op.String()}
	})
	m.changesRead = newCounterCache(m.ChangesRead, func(k changeKey) []string {
		return []string{k.source, k.table.QualifiedName()}
	})
	m.targetOps = newCounterCache(m.TargetOps, func(k targetKey) []string {
		return []string{k.target.QualifiedName(), k.kind.String()}
	})
	m.txns = newCounterCache(m.Transactions, func(source string) []string { return []string{source} })
	m.Registry.MustRegister(m.Changes, m.ChangesRead, m.TargetOps, m.Transactions, m.Checkpoints, m.DDL,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	return m
}

// Read counts the changes of one transaction part as the reader
// decoded it.
func (m *Metrics) Read(txn *change.Txn) {
	runs(txn.Changes, false, func(c *change.RowChange, n int) {
		m.changesRead.get(changeKey{source: txn.Source, table: c.Table}).Add(float64(n))
	})
}

// Applied counts one transaction part that every sink accepted.
func (m *Metrics) Applied(txn *change.Txn) {
	runs(txn.Changes, true, func(c *change.RowChange, n int) {
		m.changes.get(changeKey{txn.Source, c.Table, c.Op}).Add(float64(n))
	})
	for i := 0; i < len(txn.Ops); {
		o := &txn.Ops[i]
		j := i + 1
		for j < len(txn.Ops) && txn.Ops[j].Target == o.Target && txn.Ops[j].Kind == o.Kind {
			j++
		}
		if o.Target != nil {
			m.targetOps.get(targetKey{o.Target, o.Kind}).Add(float64(j - i))
		}
		i = j
	}
	if txn.Last {
		m.txns.get(txn.Source).Inc()
	}
}

// runs calls count once per run of changes of one table (and operation,
// when byOp): a part usually holds many changes of few kinds, so each run
// costs one label lookup.
func runs(cs []change.RowChange, byOp bool, count func(first *change.RowChange, n int)) {
	for i := 0; i < len(cs); {
		c := &cs[i]
		j := i + 1
		for j < len(cs) && cs[j].Table == c.Table && (!byOp || cs[j].Op == c.Op) {
			j++
		}
		if c.Table != nil {
			count(c, j-i)
		}
		i = j
	}
}

// Descriptions of the gauges read from the service at each scrape.
var (
	lagDesc = prometheus.NewDesc("tributary_apply_lag_seconds",
		"Seconds the applied stream is behind the source: 0 once it has applied the source's current position "+
			"(read every few seconds), else the time since the later of the last applied commit and the last time it was caught up.",
		[]string{"source"}, nil)
	heartbeatLagDesc = prometheus.NewDesc("tributary_heartbeat_lag_seconds",
		"Seconds since the newest heartbeat row that every sink has made durable was written on the source "+
			"(sources with a heartbeat_interval only): it rises whenever anything between the source and the sinks holds the stream.",
		[]string{"source"}, nil)
	checkpointAgeDesc = prometheus.NewDesc("tributary_checkpoint_age_seconds",
		"Seconds since the source's checkpoint was last saved, while it has applied changes not saved yet; 0 when its checkpoint is current.",
		[]string{"source"}, nil)
)

// RegisterLag exports lags, called at each scrape, as
// tributary_apply_lag_seconds by source.
func (m *Metrics) RegisterLag(lags func() map[string]float64) {
	m.Registry.MustRegister(perSource{lagDesc, lags})
}

// RegisterHeartbeatLag exports lags, called at each scrape, as
// tributary_heartbeat_lag_seconds by source.
func (m *Metrics) RegisterHeartbeatLag(lags func() map[string]float64) {
	m.Registry.MustRegister(perSource{heartbeatLagDesc, lags})
}

// RegisterCheckpointAge exports ages, called at each scrape, as
// tributary_checkpoint_age_seconds by source.
func (m *Metrics) RegisterCheckpointAge(ages func() map[string]float64) {
	m.Registry.MustRegister(perSource{checkpointAgeDesc, ages})
}

// perSource is a gauge by source whose values are read at each scrape.
type perSource struct {
	desc   *prometheus.Desc
	values func() map[string]float64
}

func (c perSource) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c perSource) Collect(ch chan<- prometheus.Metric) {
	for source, v := range c.values() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, source)
	}
}
