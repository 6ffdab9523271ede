package mysql

import (
	"fmt"
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
