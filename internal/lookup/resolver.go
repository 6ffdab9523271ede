package lookup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// Resolver runs lookups on the sources' writers through one bounded pool
// per source. It is safe for concurrent use.
type Resolver struct {
	opts  Options
	log   *slog.Logger
	pools map[string]*sql.DB // by source name; fixed after New
	// queries counts the lookup and expansion queries sent.
	queries atomic.Uint64

	mu struct {
		sync.Mutex
		// tables caches the description of looked-up tables: their
		// columns' kinds decide how values are read.
		tables map[tableKey]*change.Table
		// locking holds each source's locking clauses, flavors its
		// flavor (change.MySQL or change.MariaDB), both read with its
		// version.
		locking map[string]locking
		flavors map[string]string
	}
}

// tableKey names a table on a source.
type tableKey struct{ source, schema, table string }

// New validates opts and opens one pool per source. Pools connect on
// first use, so New does not reach the servers.
func New(opts Options) (*Resolver, error) {
	opts.ensureDefaults()
	dsns, err := opts.validate()
	if err != nil {
		return nil, err
	}
	r := &Resolver{opts: opts, log: opts.Log, pools: make(map[string]*sql.DB, len(dsns))}
	r.mu.tables = map[tableKey]*change.Table{}
	r.mu.locking = map[string]locking{}
	r.mu.flavors = map[string]string{}
	for name, dsn := range dsns {
		var db *sql.DB
		var err error
		if c, ok := opts.Connectors[name]; ok {
			db = sql.OpenDB(c)
		} else {
			db, err = sql.Open("mysql", dsn)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("opening the lookup pool of source %s: %w", name, err), r.Close())
		}
		db.SetMaxOpenConns(opts.PoolSize)
		db.SetMaxIdleConns(opts.PoolSize)
		r.pools[name] = db
	}
	return r, nil
}

// Queries returns the number of lookup and expansion queries sent so far
// (schema reads not included).
func (r *Resolver) Queries() uint64 { return r.queries.Load() }

// Close closes the pools.
func (r *Resolver) Close() error {
	var errs []error
	for name, db := range r.pools {
		if err := db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the lookup pool of source %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// pool returns the pool of source; an unknown source is permanent.
func (r *Resolver) pool(name, source string) (*sql.DB, error) {
	db, ok := r.pools[source]
	if !ok {
		return nil, permanentf("lookup %s: source %q is not configured", name, source)
	}
	return db, nil
}

// table returns the description of schema.table on source, loading it on
// first use. It stays cached until a query on the table fails (see
// forget), so a schema change is picked up by the retry it causes.
func (r *Resolver) table(ctx context.Context, db *sql.DB, k tableKey) (*change.Table, error) {
	r.mu.Lock()
	t := r.mu.tables[k]
	r.mu.Unlock()
	if t != nil {
		return t, nil
	}
	qctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	t, err := decode.LoadTable(qctx, db, k.schema, k.table)
	if errors.Is(err, decode.ErrNoTable) {
		return nil, permanentf("source %s: %w", k.source, err)
	}
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", k.source, r.timeoutError(ctx, qctx, err))
	}
	r.log.Debug("described looked-up table", "source", k.source, "table", t.QualifiedName(),
		"columns", len(t.Columns))
	r.mu.Lock()
	r.mu.tables[k] = t
	r.mu.Unlock()
	return t, nil
}

// forget drops the cached description of a table.
func (r *Resolver) forget(k tableKey) {
	r.mu.Lock()
	delete(r.mu.tables, k)
	r.mu.Unlock()
}
