package replicator

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/heartbeat"
	"github.com/tributary-cdc/tributary/internal/metrics"
	"github.com/tributary-cdc/tributary/internal/source"
)

// heartbeats are the writers of the sources with a heartbeat_interval and
// the tracker of their beats.
type heartbeats struct {
	tracker *heartbeat.Tracker
	writers []*heartbeat.Writer
	dbs     []*sql.DB
}

// openHeartbeats prepares a writer for every source with a heartbeat and
// exports tributary_heartbeat_lag_seconds; they connect when they run.
func openHeartbeats(cfg *config.Config, m *metrics.Metrics, logger *slog.Logger) (*heartbeats, error) {
	hb := &heartbeats{}
	var names []string
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tributary_heartbeat_errors_total",
		Help: "Heartbeat rows that could not be written on the source."}, []string{"source"})
	for _, s := range cfg.Sources {
		if s.HeartbeatInterval <= 0 {
			continue
		}
		c, err := s.Connector("")
		if err != nil {
			return nil, errors.Join(err, hb.Close())
		}
		db := sql.OpenDB(c)
		db.SetMaxOpenConns(1)
		hb.dbs = append(hb.dbs, db)
		names = append(names, s.Name)
		counter := errs.WithLabelValues(s.Name)
		hb.writers = append(hb.writers, &heartbeat.Writer{ID: s.Name, DB: db, Interval: s.HeartbeatInterval,
			Log: logger, Errors: counter.Inc})
	}
	hb.tracker = heartbeat.NewTracker(names, source.Reached)
	if len(names) > 0 {
		m.Registry.MustRegister(errs)
		m.RegisterHeartbeatLag(hb.tracker.Lags)
	}
	return hb, nil
}

// Close closes the writers' connections.
func (hb *heartbeats) Close() error {
	var errs []error
	for _, db := range hb.dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// chain runs interceptors in turn; the cursors of all are kept.
func chain(fs ...Interceptor) Interceptor {
	return func(ctx context.Context, txn *change.Txn) ([]checkpoint.Cursor, error) {
		var all []checkpoint.Cursor
		for _, f := range fs {
			cs, err := f(ctx, txn)
			if err != nil {
				return nil, err
			}
			all = append(all, cs...)
		}
		return all, nil
	}
}
