package mysql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// Unique key collisions.
//
// Tables with a unique key besides the primary key are applied by one
// worker in source order, so the target follows the source's own states,
// in which a unique value belongs to one row at a time. An upsert that
// collides with another row on such a key is then one of two things:
//
//   - a replay after a restart: the target already holds rows in states
//     from after the checkpoint, and an older image replayed onto it can
//     collide with a row that, at that point of the source's history, did
//     not hold the value yet. That row's later state is part of the same
//     replay, so deleting it and upserting again converges: the replay
//     re-creates it when it reaches its change;
//   - a real conflict: two rows the target cannot both hold (a collation
//     that folds values the source keeps apart, two sources producing one
//     value, another writer). Deleting the other row would lose it.
//
// Only the first may delete, and only the service knows where the replay
// ends (Options.Replay): under OnConflictReplay (the default) a collision
// of a transaction inside the replay window is resolved, any other one is
// a permanent error handled by OnError, its transaction reported to the
// window (Refused) so that a restart does not take it for a replay.
// OnConflictReplace resolves every collision, OnConflictFail none.

// ErrConflict reports an upsert that collided on a unique key with a row
// under another primary key, which was kept.
var ErrConflict = errors.New("unique key conflict")

// conflictError is the permanent error of an unresolved collision. Its
// text holds no row values; other, the other row's key, goes to the failed
// store only.
type conflictError struct {
	index string
	other []change.Value
	why   string
	cause error
}

func (e *conflictError) Error() string {
	index := e.index
	if index == "" {
		index = "(not found again)"
	}
	return fmt.Sprintf("%v: the upsert collides on unique key %s with a row under another primary key, which is kept (%s): %v",
		ErrConflict, index, e.why, e.cause)
}

// Unwrap returns ErrConflict and the target's error.
func (e *conflictError) Unwrap() []error { return []error{ErrConflict, e.cause} }

// isCollision reports whether err, the error of op's statement, is a
// collision with another row on a unique key.
func isCollision(op *change.TargetOp, err error) bool {
	return op.Kind == change.Upsert && errorCode(err) == gomysql.ER_DUP_ENTRY
}

// collide handles the collision of it's upsert q: it resolves it when the
// policy lets it, else returns the conflict to hand to the error policy.
// fatal reports that the replay window could not record the conflict: the
// sink must halt whatever the policy.
func (w *worker) collide(ctx context.Context, it *item, q string, args []any, cause error) (resolved bool, err, fatal error) {
	txn := it.from.txn()
	why := "on_conflict is fail"
	switch w.s.opts.OnConflict {
	case OnConflictReplace:
		resolved, err := w.replace(ctx, it, q, args, false)
		return resolved, err, nil
	case OnConflictReplay:
		if r := w.s.opts.Replay; r != nil && r.Replays(txn) {
			resolved, err := w.replace(ctx, it, q, args, true)
			return resolved, err, nil
		}
		why = "outside the replay window"
	}
	ce := &conflictError{why: why, cause: cause}
	rerr := retryTransient(ctx, w.log, &w.s.retries, "reading the row of a unique key conflict", func() error {
		var err error
		ce.index, ce.other, err = w.collidingRow(ctx, &it.op)
		return err
	})
	if ctx.Err() != nil {
		return false, nil, ctx.Err()
	}
	if rerr != nil {
		w.log.Warn("reading the row of a unique key conflict", "target", it.op.Target.QualifiedName(),
			"code", errorCode(rerr), "error", mysqlerr.Redact(rerr))
	}
	w.s.conflicts.Add(it.op.Target.QualifiedName(), 1)
	if r := w.s.opts.Replay; r != nil {
		if err := r.Refused(txn); err != nil {
			return false, nil, fmt.Errorf("recording a unique key conflict of %s from source %s transaction %d: %w",
				it.op.Target.QualifiedName(), txn.Source, txn.Seq, err)
		}
	}
	return false, ce, nil
}

// replace deletes the rows colliding with it's upsert q and applies q
// again. It reports whether that succeeded; its error replaces the
// collision's.
func (w *worker) replace(ctx context.Context, it *item, q string, args []any, replay bool) (bool, error) {
	var deleted int64
	err := retryTransient(ctx, w.log, &w.s.retries, "resolving unique key conflict", func() error {
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
	w.s.resolved.Add(it.op.Target.QualifiedName(), uint64(deleted))
	w.log.Warn("replaced rows colliding on a unique key", "target", it.op.Target.QualifiedName(),
		"source", it.from.source, "seq", it.from.seq, "rows", deleted, "replay", replay)
	return true, nil
}

// otherUniqueKeys returns the unique keys of op's table besides its key,
// by index name, in name order.
func (w *worker) otherUniqueKeys(ctx context.Context, op *change.TargetOp) ([]string, [][]string, error) {
	keys, err := w.s.keys.uniqueKeys(ctx, op.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("reading unique keys of %s: %w", op.Target.QualifiedName(), err)
	}
	var names []string
	for name, cols := range keys {
		if !slices.EqualFunc(cols, op.Target.Key, strings.EqualFold) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	cols := make([][]string, len(names))
	for i, name := range names {
		cols[i] = keys[name]
	}
	return names, cols, nil
}

// resolveConflict deletes the rows of op's table that hold one of op's
// unique values under another primary key, and reports how many it deleted.
func (w *worker) resolveConflict(ctx context.Context, op *change.TargetOp) (int64, error) {
	_, keys, err := w.otherUniqueKeys(ctx, op)
	if err != nil {
		return 0, err
	}
	var deleted int64
	for _, cols := range keys {
		var b strings.Builder
		b.WriteString("DELETE FROM ")
		quoteTable(&b, op.Target)
		args, ok := collisionWhere(&b, op, cols)
		if !ok {
			continue
		}
		res, err := w.s.db.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return deleted, fmt.Errorf("deleting rows that collide on a unique key of %s: %w", op.Target.QualifiedName(), err)
		}
		n, _ := res.RowsAffected()
		deleted += n
	}
	return deleted, nil
}

// collidingRow returns the name of the first unique key on which a row
// under another primary key holds op's values, and that row's key; ""
// and nil when there is none (any longer).
func (w *worker) collidingRow(ctx context.Context, op *change.TargetOp) (string, []change.Value, error) {
	names, keys, err := w.otherUniqueKeys(ctx, op)
	if err != nil {
		return "", nil, err
	}
	for i, cols := range keys {
		var b strings.Builder
		b.WriteString("SELECT ")
		for j, k := range op.Target.Key {
			if j > 0 {
				b.WriteByte(',')
			}
			quoteIdent(&b, k)
		}
		b.WriteString(" FROM ")
		quoteTable(&b, op.Target)
		args, ok := collisionWhere(&b, op, cols)
		if !ok {
			continue
		}
		b.WriteString(" LIMIT 1")
		key, err := w.readKey(ctx, b.String(), args)
		if err != nil {
			return "", nil, fmt.Errorf("reading the row that collides on unique key %s of %s: %w", names[i], op.Target.QualifiedName(), err)
		}
		if key != nil {
			return names[i], key, nil
		}
	}
	return "", nil, nil
}

// collisionWhere writes the WHERE clause matching the rows that hold op's
// values of the unique key cols under another primary key, and returns its
// arguments. ok is false when op does not write every column of the key
// or writes NULL to one (NULLs never collide).
func collisionWhere(b *strings.Builder, op *change.TargetOp, cols []string) ([]any, bool) {
	b.WriteString(" WHERE ")
	args := make([]any, 0, len(cols)+len(op.Key))
	for i, c := range cols {
		j := slices.IndexFunc(op.Columns, func(o string) bool { return strings.EqualFold(o, c) })
		if j < 0 || op.Values[j] == nil {
			return nil, false
		}
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(b, c)
		b.WriteString(" = ?")
		args = append(args, op.Values[j])
	}
	b.WriteString(" AND NOT (")
	for i, k := range op.Target.Key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(b, k)
		b.WriteString(" <=> ?")
		args = append(args, op.Key[i])
	}
	b.WriteString(")")
	return args, true
}
