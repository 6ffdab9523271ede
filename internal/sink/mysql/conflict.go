package mysql

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Replay conflicts.
//
// Tables with a unique key besides the primary key are applied by one
// worker in source order, so the target follows the source's own states,
// in which a unique value belongs to one row at a time. The exception is a
// replay after a crash: the target already holds rows in states from after
// the checkpoint, and an older image replayed onto it can collide with a
// row that, at that point of the source's history, did not hold the value
// yet. That row's later state is part of the same replay, so the sink
// deletes it and upserts again; the replay re-creates it when it reaches
// its change. A collision that is not a replay artifact (another writer on
// the target, two sources producing one value) makes the rows alternate
// instead of halting: Options.OnConflict = "fail" turns this off.

// resolveConflict deletes the rows of op's table that hold one of op's
// unique values under another primary key, and reports how many it deleted.
func (w *worker) resolveConflict(ctx context.Context, op *change.TargetOp) (int64, error) {
	keys, err := w.s.keys.uniqueKeys(ctx, op.Target)
	if err != nil {
		return 0, fmt.Errorf("reading unique keys of %s: %w", op.Target.QualifiedName(), err)
	}
	var deleted int64
	for _, cols := range keys {
		if slices.EqualFunc(cols, op.Target.Key, strings.EqualFold) {
			continue
		}
		q, args, ok := conflictDelete(op, cols)
		if !ok {
			continue
		}
		res, err := w.s.db.ExecContext(ctx, q, args...)
		if err != nil {
			return deleted, fmt.Errorf("deleting rows that collide on a unique key of %s: %w", op.Target.QualifiedName(), err)
		}
		n, _ := res.RowsAffected()
		deleted += n
	}
	return deleted, nil
}

// conflictDelete builds the DELETE of rows holding op's values of the
// unique key cols under another primary key. ok is false when op does not
// write every column of the key or writes NULL to one (NULLs never collide).
func conflictDelete(op *change.TargetOp, cols []string) (string, []any, bool) {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	quoteTable(&b, op.Target)
	b.WriteString(" WHERE ")
	args := make([]any, 0, len(cols)+len(op.Key))
	for i, c := range cols {
		j := slices.IndexFunc(op.Columns, func(o string) bool { return strings.EqualFold(o, c) })
		if j < 0 || op.Values[j] == nil {
			return "", nil, false
		}
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(&b, c)
		b.WriteString(" = ?")
		args = append(args, op.Values[j])
	}
	b.WriteString(" AND NOT (")
	for i, k := range op.Target.Key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(&b, k)
		b.WriteString(" <=> ?")
		args = append(args, op.Key[i])
	}
	b.WriteString(")")
	return b.String(), args, true
}

// retryAfterConflict handles an upsert that failed on a unique key: it
// deletes the colliding rows (see conflict.go) and applies the operation
// again. It reports whether that succeeded; a new error replaces cause.
func (w *worker) retryAfterConflict(ctx context.Context, it *item, q string, args []any, cause error) (bool, error) {
	if it.op.Kind != change.Upsert || errorCode(cause) != gomysql.ER_DUP_ENTRY || w.s.opts.OnConflict == OnConflictFail {
		return false, nil
	}
	var deleted int64
	err := retryTransient(ctx, w.log, "resolving unique key conflict", func() error {
		n, err := w.resolveConflict(ctx, &it.op)
		deleted += n
		if err != nil {
			return err
		}
		_, err = w.s.db.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return false, keyGuardError(&it.op, err)
	}
	w.s.conflicts.Add(deleted)
	w.log.Warn("replaced rows colliding on a unique key", "target", it.op.Target.QualifiedName(),
		"source", it.from.source, "seq", it.from.seq, "rows", deleted)
	return true, nil
}
