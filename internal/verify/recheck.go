package verify

import (
	"context"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/retry"
)

// Re-checks.
//
// A difference may be a change the stream has not carried yet: a row
// written to the source after its chunk was read, or the target not yet
// given a change the source has. So nothing is reported as found: every
// difference is read again, source row and target row, after a pause that
// doubles from recheckMin up to recheckMax, until it goes away or has
// lasted Options.Settle since it was first seen (and was read again at
// least once after that). Only then is it reported, as last seen.

// Pauses between re-checks.
var (
	recheckMin = 100 * time.Millisecond
	recheckMax = 2 * time.Second
)

// settle re-checks sus until each is gone or has lasted opts.Settle.
func (c *checker) settle(ctx context.Context, sus []*suspect) ([]*suspect, error) {
	wait := recheckMin
	for len(sus) > 0 {
		var newest time.Time
		for _, s := range sus {
			if s.since.After(newest) {
				newest = s.since
			}
		}
		left := c.r.opts.Settle - time.Since(newest)
		pause := min(wait, max(left, 0))
		if err := retry.Wait(ctx, pause); err != nil {
			return nil, err
		}
		wait = min(wait*2, recheckMax)
		var err error
		if sus, err = c.recheck(ctx, sus); err != nil {
			return nil, err
		}
		if left <= 0 {
			break
		}
	}
	return sus, nil
}

// recheck reads the source and target rows of sus again and returns the
// differences that remain, each keeping when it was first seen.
func (c *checker) recheck(ctx context.Context, sus []*suspect) ([]*suspect, error) {
	var out, extras []*suspect
	groups := map[*srcTable][]*suspect{}
	var order []*srcTable
	for _, s := range sus {
		if s.st == nil {
			extras = append(extras, s)
			continue
		}
		if groups[s.st] == nil {
			order = append(order, s.st)
		}
		groups[s.st] = append(groups[s.st], s)
	}
	for _, st := range order {
		for batch := range slices.Chunk(groups[st], c.r.opts.ChunkRows) {
			kept, gone, err := c.recheckSource(ctx, st, batch)
			if err != nil {
				return nil, err
			}
			out = append(out, kept...)
			extras = append(extras, gone...)
		}
	}
	kept, err := c.recheckExtras(ctx, extras)
	if err != nil {
		return nil, err
	}
	return append(out, kept...), nil
}

// recheckSource re-reads the source rows of sus (all of st) and compares
// what they give now. It returns the differences that remain and, as
// extra-row suspects, those whose source row is gone or no longer gives
// a row: their target row must be gone too.
func (c *checker) recheckSource(ctx context.Context, st *srcTable, sus []*suspect) (kept, gone []*suspect, err error) {
	keys := make([][]change.Value, len(sus))
	for i, s := range sus {
		keys[i] = s.srcKey
	}
	var rows []change.Row
	err = c.r.read(ctx, st.source, func() (n int, err error) {
		rows, err = st.rd.byKeys(ctx, st.db, st.plan.KeyNames(), keys)
		return len(rows), err
	})
	if err != nil {
		return nil, nil, err
	}
	exps, err := c.expect(ctx, st, rows)
	if err != nil {
		return nil, nil, err
	}
	bySrc := make(map[string]*expRow, len(exps))
	for _, e := range exps {
		bySrc[srcKey(e.srcKey)] = e
	}
	var now []*expRow
	var since []time.Time
	for _, s := range sus {
		e := bySrc[srcKey(s.srcKey)]
		if e == nil {
			gone = append(gone, &suspect{kind: Extra, key: s.key, ckey: s.ckey, since: s.since})
			continue
		}
		now = append(now, e)
		since = append(since, s.since)
		if e.ckey != s.ckey {
			// The row's target key moved: its old row must be gone.
			gone = append(gone, &suspect{kind: Extra, key: s.key, ckey: s.ckey, since: s.since})
		}
	}
	diffs, err := c.compare(ctx, now, false)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range diffs {
		for i, e := range now {
			if e == d.exp {
				d.since = since[i]
			}
		}
		kept = append(kept, d)
	}
	return kept, gone, nil
}

// srcKey encodes source key values exactly, as the server stored them.
func srcKey(vals []change.Value) string {
	b, err := change.AppendKey(nil, vals)
	if err != nil {
		return "?"
	}
	return string(b)
}

// recheckExtras re-reads the target rows of extra-row suspects: those
// gone, or marked deleted, are settled; of the others, those that a
// source row gives now are settled too.
func (c *checker) recheckExtras(ctx context.Context, sus []*suspect) ([]*suspect, error) {
	if len(sus) == 0 {
		return nil, nil
	}
	byKey := map[string]change.Row{}
	for batch := range slices.Chunk(sus, c.r.opts.ChunkRows) {
		keys := make([][]change.Value, len(batch))
		for i, s := range batch {
			keys[i] = s.key
		}
		rows, err := c.tgt.byKeys(ctx, c.r.target, c.tt.Key, keys)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			byKey[c.ckey(c.rowKey(row))] = row
		}
	}
	var present []*suspect
	for _, s := range sus {
		row := byKey[s.ckey]
		if row == nil || c.softDeleted(row) || c.ignoresDeletes() {
			continue
		}
		s.got = row
		present = append(present, s)
	}
	if len(present) == 0 {
		return nil, nil
	}
	found, err := c.produced(ctx, present)
	if err != nil {
		return nil, err
	}
	var out []*suspect
	for _, s := range present {
		if !found[s.ckey] {
			out = append(out, s)
		}
	}
	return out, nil
}
