package mysql

import (
	"context"
	"log/slog"
	"sync"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Multi-row updates.
//
// A run of UpdateRows (a contributor's columns, a re-derivation's lookup
// columns) sets columns of rows that must exist. On a table keyed by its
// primary key it runs as updateInsertSQL, which the target applies with
// far less CPU than updateJoinSQL; elsewhere, and for the column lists of
// a table where the target refuses the insert form (a column without a
// default that the run does not write, no INSERT privilege, a CHECK
// constraint the inserted defaults fail), as updateJoinSQL. Both forms
// write only rows that exist and match the same rows, so the choice
// changes the target's work, not its state.

// updateForms remembers the column lists, by table, whose runs the target
// refused in the insert form.
type updateForms struct {
	log *slog.Logger
	mu  struct {
		sync.Mutex
		refused map[string]struct{}
	}
	// key is scratch space for shapeKey, guarded by mu.
	key []byte
}

func newUpdateForms(log *slog.Logger) *updateForms {
	f := &updateForms{log: log}
	f.mu.refused = map[string]struct{}{}
	return f
}

// byInsert reports whether the run of UpdateRows that op starts runs in
// the insert form.
func (w *worker) byInsert(ctx context.Context, op *change.TargetOp) (bool, error) {
	for _, c := range op.Columns {
		if isKey(op.Target, c) {
			return false, nil // the column would be inserted twice
		}
	}
	if primary, err := w.s.keys.primary(ctx, op.Target); err != nil || !primary {
		return false, err
	}
	f := w.s.updates
	f.mu.Lock()
	defer f.mu.Unlock()
	f.key = shapeKey(f.key[:0], op.Target, op.Columns, 0)
	_, refused := f.mu.refused[string(f.key)]
	return !refused, nil
}

// refusal reports whether err is the target refusing a run in the insert
// form for a reason of the table's, not of the rows': the run is then sent
// again as the joined UPDATE. A server that will not read the table it
// inserts into (ER_UPDATE_TABLE_USED) refuses it too.
func refusal(err error) bool {
	switch errorCode(err) {
	case gomysql.ER_NO_DEFAULT_FOR_FIELD, gomysql.ER_TABLEACCESS_DENIED_ERROR, gomysql.ER_COLUMNACCESS_DENIED_ERROR,
		gomysql.ER_NO_REFERENCED_ROW_2, gomysql.ER_UPDATE_TABLE_USED, errCheckConstraintMariaDB, errCheckConstraintMySQL:
		return true
	}
	return false
}

// refuse records that the target refused op's run in the insert form, with
// the error whose code is code, and took it as the joined UPDATE: every
// later run of its columns is sent that way.
func (f *updateForms) refuse(op *change.TargetOp, code uint16) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.key = shapeKey(f.key[:0], op.Target, op.Columns, 0)
	f.mu.refused[string(f.key)] = struct{}{}
	f.log.Info("updating rows of these columns with joined UPDATEs: the target refuses the insert form",
		"target", op.Target.QualifiedName(), "columns", len(op.Columns), "code", code)
}

// The codes of a failed CHECK constraint, which go-mysql does not name.
const (
	errCheckConstraintMariaDB = 4025
	errCheckConstraintMySQL   = 3819
)
