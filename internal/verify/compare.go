package verify

import (
	"context"
	"hash/maphash"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// keyHash is a 128-bit hash of a canonical target key: the set of keys
// seen holds these rather than the keys, so a table of millions of rows
// fits in memory.
type keyHash [2]uint64

// keySeeds seed the two halves of a keyHash: the hashes only live as
// long as the process.
var keySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// hashKey hashes a canonical key.
func hashKey(ckey string) keyHash {
	return keyHash{maphash.String(keySeeds[0], ckey), maphash.String(keySeeds[1], ckey)}
}

// suspect is a difference seen, to be checked again before it is
// reported.
type suspect struct {
	kind string
	// exp is the target row the source gives; nil for an extra row.
	exp *expRow
	// st and srcKey name the source row an expected row came from, for
	// reading it again; st is nil for a target row no source row gave.
	st     *srcTable
	srcKey []change.Value
	// key and ckey are the target key.
	key  []change.Value
	ckey string
	// got is the target row, nil when missing; cols the differing
	// target column indexes.
	got  change.Row
	cols []int
	// since is when the difference was first seen.
	since time.Time
}

// compare reads the target rows of exps and returns the differences. It
// reads them by key with the server comparing: keys equal under the
// target columns' collations name the same row (see match). With mark
// it adds the keys to the set of seen keys.
func (c *checker) compare(ctx context.Context, exps []*expRow, mark bool) ([]*suspect, error) {
	if len(exps) == 0 {
		return nil, nil
	}
	got, paired, err := c.matchTarget(ctx, exps)
	if err != nil {
		return nil, err
	}
	if mark {
		var seen []keyHash
		for i, e := range exps {
			seen = append(seen, hashKey(e.ckey))
			if got[i] != nil && !paired[i] {
				// Another key the collation takes as this one.
				seen = append(seen, hashKey(c.ckey(c.rowKey(got[i]))))
			}
		}
		c.mu.Lock()
		for _, h := range seen {
			c.seen[h] = struct{}{}
		}
		c.mu.Unlock()
	}
	return c.differences(exps, got), nil
}

// differences compares each expected row with its target row, nil when
// the target has none, and returns the differences.
func (c *checker) differences(exps []*expRow, got []change.Row) []*suspect {
	var out []*suspect
	now := time.Now()
	for i, e := range exps {
		row := got[i]
		s := &suspect{exp: e, st: e.st, srcKey: e.srcKey, key: e.key, ckey: e.ckey, got: row, since: now}
		if row == nil {
			s.kind = Missing
			out = append(out, s)
			continue
		}
		for j, at := range e.cols {
			if !c.same(at, e.vals[j], row[at]) {
				s.cols = append(s.cols, at)
			}
		}
		if len(s.cols) > 0 {
			s.kind = Different
			out = append(out, s)
		}
	}
	return out
}

// matchTarget returns the target row of each expected row, nil where the
// target has none.
//
// Keys are matched as the target would match them: the rows are read
// with WHERE key IN (...), which the server evaluates with the key
// columns' collations, so 'abc' finds 'ABC' under a case-insensitive one
// and 'a' finds 'a ' under a PAD SPACE one. Each row read is paired with
// the expected key of the same canonical encoding; a key left without
// one while a row read is left unpaired (they differ in bytes, not for
// the collation) is read again alone, the server saying which row it
// is. So the comparison never needs the collation rules in Go. paired
// says which rows were paired by their exact encoding.
func (c *checker) matchTarget(ctx context.Context, exps []*expRow) (out []change.Row, paired []bool, err error) {
	keys := make([][]change.Value, len(exps))
	for i, e := range exps {
		keys[i] = e.key
	}
	if rows, ok, err := c.denseRange(ctx, keys); err != nil || ok {
		return c.pairExact(exps, rows, err)
	}
	rows, err := c.tgt.byKeys(ctx, c.r.target, c.tt.Key, keys)
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[string]int, len(rows))
	for i, row := range rows {
		byKey[c.ckey(c.rowKey(row))] = i
	}
	out = make([]change.Row, len(exps))
	paired = make([]bool, len(exps))
	used := make([]bool, len(rows))
	var left []int
	for i, e := range exps {
		if j, ok := byKey[e.ckey]; ok {
			out[i], used[j], paired[i] = rows[j], true, true
			continue
		}
		left = append(left, i)
	}
	unpaired := false
	for _, u := range used {
		unpaired = unpaired || !u
	}
	if !unpaired {
		return out, paired, nil
	}
	for _, i := range left {
		alone, err := c.tgt.byKeys(ctx, c.r.target, c.tt.Key, keys[i:i+1])
		if err != nil {
			return nil, nil, err
		}
		if len(alone) > 0 {
			out[i] = alone[0]
		}
	}
	return out, paired, nil
}

// same reports whether an expected value and a target value of column at
// are the same: identical values are (the encoding is a function), others
// are compared by their encodings.
func (c *checker) same(at int, want, got change.Value) bool {
	if change.Equal(want, got) {
		return true
	}
	return c.canon[at](want) == c.canon[at](got)
}

// difference turns a suspect into its report entry.
func (c *checker) difference(s *suspect) Difference {
	cols := c.tgt.t.Columns
	key := make([]string, len(c.tt.Key))
	copy(key, c.tt.Key)
	d := Difference{Kind: s.kind, Key: fields(key, s.key)}
	for _, at := range s.cols {
		d.Columns = append(d.Columns, cols[at].Name)
	}
	if !c.r.opts.Values {
		return d
	}
	switch {
	case s.kind == Different:
		for _, at := range s.cols {
			j := indexOf(s.exp.cols, at)
			d.Want = append(d.Want, Field{Column: cols[at].Name, Value: render(s.exp.vals[j])})
			d.Got = append(d.Got, Field{Column: cols[at].Name, Value: render(s.got[at])})
		}
	case s.kind == Missing:
		for j, at := range s.exp.cols {
			d.Want = append(d.Want, Field{Column: cols[at].Name, Value: render(s.exp.vals[j])})
		}
	case s.got != nil:
		for i, col := range cols {
			d.Got = append(d.Got, Field{Column: col.Name, Value: render(s.got[i])})
		}
	}
	return d
}

// indexOf returns the index of v in s, or -1.
func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
