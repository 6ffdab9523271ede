package source

import (
	"context"
	"database/sql"
	"sync"

	"github.com/tributary-cdc/tributary/internal/change"
)

// PositionPoller reads a source's current position again and again over
// one kept connection pool, identifying the server once (and again after
// an error, which a failover may have caused). CurrentPosition opens and
// identifies anew each call, which suits a one-off command but not a
// poll every few seconds.
type PositionPoller struct {
	r  *Reader
	mu sync.Mutex
	db *sql.DB
	// srv is the identified server; nil until identified, and after an
	// error.
	srv *server
}

// NewPositionPoller returns a poller of r's source; it connects on the
// first Poll. Close releases it.
func (r *Reader) NewPositionPoller() *PositionPoller { return &PositionPoller{r: r} }

// Poll returns the source's current position.
func (p *PositionPoller) Poll(ctx context.Context) (change.Position, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db == nil {
		db, err := p.r.openDB()
		if err != nil {
			return change.Position{}, err
		}
		p.db = db
	}
	if p.srv == nil {
		srv, err := p.r.identify(ctx, p.db)
		if err != nil {
			return change.Position{}, err
		}
		p.srv = &srv
	}
	pos, err := currentPosition(ctx, p.db, *p.srv)
	if err != nil {
		p.srv = nil
	}
	return pos, err
}

// Close closes the connection pool.
func (p *PositionPoller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db == nil {
		return nil
	}
	err := p.db.Close()
	p.db = nil
	return err
}
