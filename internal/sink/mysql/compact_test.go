package mysql

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// describe renders a batch's statements as "kind table keys [cols=vals]".
func describe(b *batch) []string {
	var out []string
	for _, st := range b.stmts {
		var parts []string
		for _, it := range b.items[st.start:st.end] {
			op := it.op
			if op.Kind == change.DeleteRow {
				parts = append(parts, fmt.Sprint(op.Key...))
				continue
			}
			var cv []string
			for i, c := range op.Columns {
				cv = append(cv, fmt.Sprintf("%s=%v", c, op.Values[i]))
			}
			parts = append(parts, strings.Join(cv, ","))
		}
		out = append(out, fmt.Sprintf("%s %s [%s]", b.items[st.start].op.Kind, b.items[st.start].op.Target.Name, strings.Join(parts, " ")))
	}
	return out
}

func TestCompact(t *testing.T) {
	a, c := table("a", "id"), table("c", "id")
	all := []string{"id", "v"}
	tests := []struct {
		name string
		ops  []change.TargetOp
		want []string
	}{
		{"alternating kinds become one statement each",
			[]change.TargetOp{upsert(a, all, int64(1), "x"), del(a, int64(2)), upsert(a, all, int64(3), "y"), del(a, int64(4))},
			[]string{"delete a [2 4]", "upsert a [id=1,v=x id=3,v=y]"}},
		{"later upserts of a row win",
			[]change.TargetOp{upsert(a, all, int64(1), "x"), del(a, int64(2)), upsert(a, all, int64(1), "z")},
			[]string{"delete a [2]", "upsert a [id=1,v=z]"}},
		{"a batch without breaks is left as it is",
			[]change.TargetOp{upsert(a, all, int64(1), "x"), upsert(a, all, int64(1), "z")},
			[]string{"upsert a [id=1,v=x id=1,v=z]"}},
		{"a delete drops earlier upserts",
			[]change.TargetOp{upsert(a, all, int64(1), "x"), del(a, int64(1))},
			[]string{"delete a [1]"}},
		{"delete then insert keeps both, in that order",
			[]change.TargetOp{del(a, int64(1)), upsert(a, all, int64(1), "new")},
			[]string{"delete a [1]", "upsert a [id=1,v=new]"}},
		{"partial upserts merge into the union of columns",
			[]change.TargetOp{upsert(a, []string{"id", "v"}, int64(1), "x"), upsert(a, []string{"id", "w"}, int64(1), "y")},
			[]string{"upsert a [id=1,w=y,v=x]"}},
		{"tables group in first-seen order",
			[]change.TargetOp{upsert(c, all, int64(1), "c1"), upsert(a, all, int64(1), "a1"), upsert(c, all, int64(2), "c2")},
			[]string{"upsert c [id=1,v=c1 id=2,v=c2]", "upsert a [id=1,v=a1]"}},
		{"an update after an upsert merges into it",
			[]change.TargetOp{upsert(a, all, int64(1), "x"), updateRow(a, int64(1), []string{"w"}, "bio"), upsert(a, all, int64(2), "y")},
			[]string{"upsert a [w=bio,id=1,v=x]", "upsert a [id=2,v=y]"}},
		{"updates before any upsert merge and go first",
			[]change.TargetOp{upsert(a, all, int64(2), "y"), updateRow(a, int64(1), []string{"w"}, "w1"),
				updateRow(a, int64(1), []string{"u"}, "u1"), updateRow(a, int64(1), []string{"w"}, "w2"), upsert(a, all, int64(1), "x")},
			[]string{"update a [w=w2,u=u1]", "upsert a [id=2,v=y id=1,v=x]"}},
		{"an upsert writing all its columns drops an earlier update",
			[]change.TargetOp{updateRow(a, int64(1), []string{"v"}, "old"), del(a, int64(5)), upsert(a, all, int64(1), "new")},
			[]string{"delete a [5]", "upsert a [id=1,v=new]"}},
		{"an update after a delete writes nothing",
			[]change.TargetOp{del(a, int64(1)), updateRow(a, int64(1), []string{"w"}, "w1"), upsert(a, all, int64(2), "y")},
			[]string{"delete a [1]", "upsert a [id=2,v=y]"}},
		{"a delete drops an earlier update",
			[]change.TargetOp{updateRow(a, int64(1), []string{"w"}, "w1"), upsert(a, all, int64(2), "y"), del(a, int64(1))},
			[]string{"delete a [1]", "upsert a [id=2,v=y]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := batch{rowsPerStmt: 100}
			for _, op := range tt.ops {
				b.add(item{op: op})
			}
			b.compact()
			require.Equal(t, tt.want, describe(&b))
		})
	}
}

func TestReorderable(t *testing.T) {
	a := table("a", "id")
	up := upsert(a, []string{"id"}, int64(1))
	require.True(t, reorderable(&up))
	u := updateRow(a, int64(1), []string{"w"}, "x")
	require.True(t, reorderable(&u), "unconditional updates reorder")
	cond := withCond(updateRow(a, int64(2), []string{"w"}, "x"), []string{"author_id"}, int64(7))
	require.False(t, reorderable(&cond), "a conditional update depends on the row's values at its place")
	for _, kind := range []change.TargetOpKind{change.Reject, change.Rederive} {
		op := change.TargetOp{Target: a, Kind: kind, Key: []change.Value{int64(1)}}
		require.False(t, reorderable(&op), kind)
	}
}

// An update of a row the batch upserts later keeps its lookup's effect
// only when the upsert does not run the same lookup.
func TestCompactDropsCoveredUpdates(t *testing.T) {
	a := table("a", "id")
	profile := &change.Lookup{Name: "profile", Columns: []string{"bio", "locale"}}
	withProfile := func(op change.TargetOp) change.TargetOp {
		op.Pending = []change.Pending{{Lookup: profile, Params: []change.Value{op.Key[0]}}}
		return op
	}
	b := batch{rowsPerStmt: 100}
	for _, op := range []change.TargetOp{
		updateRow(a, int64(1), []string{"bio", "locale"}, "b", "l"), // its profile before its user
		del(a, int64(9)),
		withProfile(upsert(a, []string{"id", "name"}, int64(1), "Ann")),
		updateRow(a, int64(2), []string{"bio"}, "b2"), // a user written in an earlier batch
		withProfile(upsert(a, []string{"id", "name"}, int64(3), "Bo")),
		updateRow(a, int64(3), []string{"bio", "locale"}, "b3", "l3"), // its profile after its user
	} {
		b.add(item{op: op})
	}
	b.compact()
	require.Equal(t, []string{"delete a [9]", "update a [bio=b2]", "upsert a [id=1,name=Ann]", "upsert a [bio=b3,locale=l3,id=3,name=Bo]"}, describe(&b))
	require.Len(t, b.items[2].op.Pending, 1, "the user's upsert still reads its profile")
	require.Empty(t, b.items[3].op.Pending, "the profile's own values replace the lookup")
}

func TestMergeUpsertsKeepsLookups(t *testing.T) {
	a := table("a", "id")
	author := &change.Lookup{Name: "author", Columns: []string{"author"}}
	steps := &change.Lookup{Name: "steps", Columns: []string{"steps"}}
	tags := &change.Lookup{Name: "tags", Columns: []string{"tags", "v"}}
	withLookups := func(op change.TargetOp, lks ...*change.Lookup) change.TargetOp {
		for _, lk := range lks {
			op.Pending = append(op.Pending, change.Pending{Lookup: lk, Params: []change.Value{op.Values[0]}})
		}
		return op
	}
	names := func(ps []change.Pending) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Lookup.Name)
		}
		return out
	}
	tests := []struct {
		name        string
		a, b        change.TargetOp
		wantCols    []string
		wantPending []string
	}{
		{"b keeps its lookups and gains a's others",
			withLookups(upsert(a, []string{"id", "v"}, int64(1), "x"), author, steps),
			withLookups(upsert(a, []string{"id", "w"}, int64(1), "y"), author),
			[]string{"id", "w", "v"}, []string{"author", "steps"}},
		{"same columns still merge lookups",
			withLookups(upsert(a, []string{"id", "w"}, int64(1), "x"), steps),
			upsert(a, []string{"id", "w"}, int64(1), "y"),
			[]string{"id", "w"}, []string{"steps"}},
		{"b's direct column drops a's lookup of it",
			withLookups(upsert(a, []string{"id"}, int64(1)), tags),
			upsert(a, []string{"id", "v"}, int64(1), "y"),
			[]string{"id", "v"}, nil},
		{"b's lookup drops a's direct column",
			upsert(a, []string{"id", "v", "w"}, int64(1), "x", "z"),
			withLookups(upsert(a, []string{"id"}, int64(1)), tags),
			[]string{"id", "w"}, []string{"tags"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeUpserts(item{op: tt.a}, item{op: tt.b}).op
			require.Equal(t, tt.wantCols, got.Columns)
			require.Len(t, got.Values, len(got.Columns))
			require.Equal(t, tt.wantPending, names(got.Pending))
		})
	}
}

func TestCompactGroupsByLookups(t *testing.T) {
	a := table("a", "id")
	author := &change.Lookup{Name: "author", Columns: []string{"author"}}
	all := []string{"id", "v"}
	b := batch{rowsPerStmt: 100}
	for i, op := range []change.TargetOp{upsert(a, all, int64(1), "x"), del(a, int64(9)), upsert(a, all, int64(2), "y"), upsert(a, all, int64(3), "z")} {
		if i != 2 {
			op.Pending = []change.Pending{{Lookup: author, Params: []change.Value{op.Key[0]}}}
		}
		b.add(item{op: op})
	}
	b.compact()
	require.Equal(t, []string{"delete a [9]", "upsert a [id=1,v=x id=3,v=z]", "upsert a [id=2,v=y]"}, describe(&b))
}

// What must keep its place splits the batch into runs compacted each on
// its own: nothing moves across it, in either direction.
func TestCompactKeepsOrderAroundConditionalUpdates(t *testing.T) {
	a := table("a", "id")
	all := []string{"id", "v"}
	b := batch{rowsPerStmt: 100}
	for _, op := range []change.TargetOp{
		upsert(a, all, int64(1), "x"), del(a, int64(2)), upsert(a, all, int64(3), "y"),
		withCond(updateRow(a, int64(1), []string{"v"}, "c"), []string{"v"}, "x"),
		upsert(a, all, int64(1), "z"), del(a, int64(4)), upsert(a, all, int64(5), "w"),
	} {
		b.add(item{op: op})
	}
	b.compact()
	require.Equal(t, []string{
		"delete a [2]", "upsert a [id=1,v=x id=3,v=y]",
		"update a [v=c]",
		"delete a [4]", "upsert a [id=1,v=z id=5,v=w]",
	}, describe(&b))
}

func TestEqualIntegerKeysRouteAlike(t *testing.T) {
	a := appendBlock(nil, int64(1000000005), routeBlock)
	b := appendBlock(nil, uint64(1000000005), routeBlock)
	require.Equal(t, a, b, "a non-negative int64 key routes as the equal uint64")
	require.Equal(t, appendKeyValue(nil, uint64(1000000005>>routeBlock)), a, "a block is encoded as a key value")
	require.Equal(t, appendKeyValue(nil, int64(-1000000005>>routeBlock)), appendBlock(nil, int64(-1000000005), routeBlock))
	require.Equal(t, appendKeyValue(nil, "k"), appendBlock(nil, "k", routeBlock), "other values as they are")
	require.Equal(t, appendKeyValue(nil, int64(7)), appendKeyValue(nil, uint64(7)))
	require.NotEqual(t, appendKeyValue(nil, int64(-1)), appendKeyValue(nil, uint64(1<<64-1)))
}

// TestCompactKeepsEveryRowsFinalState applies random batches of upserts,
// updates, conditional updates and deletes on a few rows of two tables to
// a model of the target, once in queue order and once as compaction
// rebuilds them, and requires the same rows and values from both.
func TestCompactKeepsEveryRowsFinalState(t *testing.T) {
	tables := []*change.TargetTable{table("a", "id"), table("c", "id")}
	cols := []string{"v", "w", "u"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() ([]string, []change.Value) {
		var cs []string
		var vs []change.Value
		for _, c := range cols {
			if rng.IntN(2) == 0 {
				cs = append(cs, c)
				vs = append(vs, fmt.Sprintf("%s%d", c, rng.IntN(3)))
			}
		}
		if len(cs) == 0 {
			cs, vs = []string{"v"}, []change.Value{"v9"}
		}
		return cs, vs
	}
	for round := range 5000 {
		var ops []change.TargetOp
		for range 1 + rng.IntN(14) {
			tb, key := tables[rng.IntN(len(tables))], int64(1+rng.IntN(3))
			cs, vs := pick()
			switch rng.IntN(7) {
			case 0, 1:
				ops = append(ops, upsert(tb, append([]string{"id"}, cs...), append([]change.Value{key}, vs...)...))
			case 2, 3:
				ops = append(ops, updateRow(tb, key, cs, vs...))
			case 4:
				ops = append(ops, withCond(updateRow(tb, key, cs, vs...), []string{"v"}, fmt.Sprintf("v%d", rng.IntN(3))))
			default:
				ops = append(ops, del(tb, key))
			}
		}
		// Rows some earlier batch left behind.
		before := model{}
		for _, tb := range tables {
			for key := int64(1); key <= 3; key++ {
				if rng.IntN(2) == 0 {
					before.apply(upsert(tb, []string{"id", "v"}, key, fmt.Sprintf("v%d", rng.IntN(3))))
				}
			}
		}
		want, got := before.clone(), before.clone()
		b := batch{rowsPerStmt: 1 + rng.IntN(4)}
		for _, op := range ops {
			want.apply(op)
			b.add(item{op: op})
		}
		b.compact()
		for _, it := range b.items {
			got.apply(it.op)
		}
		require.Equal(t, want, got, "round %d: %v became %v", round, ops, describe(&b))
	}
}

// model is a target as compaction must preserve it: rows by table and key,
// each the values of the columns written to it.
type model map[string]map[string]change.Value

func (m model) clone() model {
	out := model{}
	for k, row := range m {
		out[k] = maps.Clone(row)
	}
	return out
}

// apply applies op as the target would: an upsert inserts or updates, an
// update changes an existing row whose conditions hold, a delete removes.
func (m model) apply(op change.TargetOp) {
	k := op.Target.Name + "/" + fmt.Sprint(op.Key...)
	row, ok := m[k]
	switch op.Kind {
	case change.DeleteRow:
		delete(m, k)
		return
	case change.UpdateRow:
		if !ok {
			return
		}
		for i, c := range op.Cond {
			if row[c] != op.CondValues[i] {
				return
			}
		}
	case change.Upsert:
		if !ok {
			row = map[string]change.Value{}
			m[k] = row
		}
	}
	for i, c := range op.Columns {
		row[c] = op.Values[i]
	}
}
