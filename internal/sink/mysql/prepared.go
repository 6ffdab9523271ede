package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Prepared statements.
//
// A full multi-row upsert (RowsPerStatement rows of one table and column
// list: what a bulk load or a backlog of inserts turns into) runs as a
// server-side prepared statement, with its values sent in the binary
// protocol: the target parses and plans the statement once per connection
// and then only binds values, where the interpolated text form costs it a
// parse of every value of every row (a quarter of its time in a bulk
// drain). The statement's shape, table, columns and row count, is its
// cache key; since only full statements take this path, a table has one
// shape per column list. database/sql prepares a shape lazily on each
// connection that runs it and keeps it there. Shorter statements, the
// tail of a run and the small statements of mixed transactions, stay
// interpolated: preparing them would cost a round trip for a statement
// run once. The statement text is the same either way (upsertSQL), so
// idempotence, the key guard, per-key order, the narrowing of a failing
// statement and the error policies are those of the interpolated form.
//
// Values are sent as the interpolated form would quote them, with one
// exception the path avoids: a []byte is sent as a _binary literal when
// interpolated, which the target copies into a text column byte for byte,
// while as a bound parameter it would be read in the connection's
// character set. A statement with a []byte value is interpolated.

// maxPreparedShapes bounds the shapes kept prepared, and so the target's
// prepared statements (max_prepared_stmt_count, 16,382 by default,
// counts every connection's): past it, new shapes are interpolated.
const maxPreparedShapes = 64

// maxPlaceholders is the protocol's limit of parameters per statement.
const maxPlaceholders = 65535

// preparedCache holds the prepared statements by shape.
type preparedCache struct {
	db *sql.DB
	mu struct {
		sync.Mutex
		stmts map[string]*sql.Stmt
	}
	// key is scratch space for shapeKey, guarded by mu.
	key []byte
}

func newPreparedCache(db *sql.DB) *preparedCache {
	c := &preparedCache{db: db}
	c.mu.stmts = map[string]*sql.Stmt{}
	return c
}

// stmt returns the prepared statement of rows rows of cols on t, preparing
// it (on one connection; database/sql prepares it again on others as they
// run it) the first time, or nil when the shape is not kept or the target
// refused to prepare it.
func (c *preparedCache) stmt(ctx context.Context, t *change.TargetTable, cols []string, rows int) (*sql.Stmt, error) {
	c.mu.Lock()
	c.key = shapeKey(c.key[:0], t, cols, rows)
	if st, ok := c.mu.stmts[string(c.key)]; ok {
		c.mu.Unlock()
		return st, nil
	}
	full := len(c.mu.stmts) >= maxPreparedShapes
	key := string(c.key)
	c.mu.Unlock()
	if full {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, upsertSQL(t, cols, rows))
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		// The target refuses to prepare it (max_prepared_stmt_count
		// reached, a statement it cannot prepare): the shape is
		// interpolated from now on, and the text form reports any error
		// of the statement itself.
		c.mu.Lock()
		defer c.mu.Unlock()
		c.mu.stmts[key] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err // a lost connection: retried
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if other, ok := c.mu.stmts[key]; ok { // prepared meanwhile by another worker
		_ = st.Close() // unused; the error would say nothing about the target's state
		return other, nil
	}
	c.mu.stmts[key] = st
	return st, nil
}

// close closes every prepared statement.
func (c *preparedCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.mu.stmts {
		if st != nil {
			_ = st.Close() // the connections close next, which frees them anyway
		}
		delete(c.mu.stmts, k)
	}
}

// shapeKey appends the cache key of rows rows of cols on t.
func shapeKey(b []byte, t *change.TargetTable, cols []string, rows int) []byte {
	b = append(b, t.Schema...)
	b = append(b, 0)
	b = append(b, t.Name...)
	for _, k := range t.Key {
		b = append(b, 0)
		b = append(b, k...)
	}
	b = append(b, 1)
	for _, c := range cols {
		b = append(b, c...)
		b = append(b, 0)
	}
	return strconv.AppendInt(b, int64(rows), 10)
}

// preparable reports whether statement s of b runs prepared: a full upsert
// statement within the parameter limit, without []byte values.
func (b *batch) preparable(s stmt) bool {
	first := &b.items[s.start].op
	if first.Kind != change.Upsert || s.end-s.start != b.rowsPerStmt || b.rowsPerStmt*len(first.Columns) > maxPlaceholders {
		return false
	}
	for i := s.start; i < s.end; i++ {
		for _, v := range b.items[i].op.Values {
			if _, ok := v.([]byte); ok {
				return false
			}
		}
	}
	return true
}

// describeShape names a prepared shape for logs, without values.
func describeShape(t *change.TargetTable, cols []string, rows int) string {
	return t.QualifiedName() + " (" + strings.Join(cols, ",") + ") x " + strconv.Itoa(rows)
}
