package change

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Partial row images (binlog_row_image MINIMAL or NOBLOB) leave columns
// out: the identifying image takes each from whichever image holds it, and
// a change lacking a key column in both cannot say which row it changed.
func TestIdentityAndMissingKey(t *testing.T) {
	keyed := &Table{Columns: []Column{{Name: "id"}, {Name: "a"}, {Name: "b"}}, PrimaryKey: []int{0}}
	bare := &Table{Columns: []Column{{Name: "k"}, {Name: "v"}}}
	tests := []struct {
		name     string
		c        RowChange
		identity Row
		missing  []int
	}{
		{"full images", RowChange{Table: keyed, Op: Update, Before: Row{int64(1), "x", nil}, After: Row{int64(1), "y", nil}},
			Row{int64(1), "y", nil}, nil},
		{"update leaving the key alone", RowChange{Table: keyed, Op: Update,
			Before: Row{int64(1), nil, nil}, BeforeOmitted: []int{1, 2},
			After: Row{nil, "y", nil}, AfterOmitted: []int{0, 2}},
			Row{int64(1), "y", nil}, nil},
		{"update of the key", RowChange{Table: keyed, Op: Update,
			Before: Row{int64(1), nil, nil}, BeforeOmitted: []int{1, 2},
			After: Row{int64(2), nil, nil}, AfterOmitted: []int{1, 2}},
			Row{int64(2), nil, nil}, nil},
		{"delete", RowChange{Table: keyed, Op: Delete, Before: Row{int64(1), nil, nil}, BeforeOmitted: []int{1, 2}},
			Row{int64(1), nil, nil}, nil},
		{"insert without its key", RowChange{Table: keyed, Op: Insert, After: Row{nil, "x", nil}, AfterOmitted: []int{0, 2}},
			Row{nil, "x", nil}, []int{0}},
		{"no primary key, whole before image", RowChange{Table: bare, Op: Update,
			Before: Row{int64(1), int64(1)}, After: Row{nil, int64(2)}, AfterOmitted: []int{0}},
			Row{int64(1), int64(2)}, nil},
		{"no primary key, partial before image", RowChange{Table: bare, Op: Delete,
			Before: Row{int64(1), nil}, BeforeOmitted: []int{1}},
			Row{int64(1), nil}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := append(Row(nil), tt.c.Before...), append(Row(nil), tt.c.After...)
			require.Equal(t, tt.identity, tt.c.Identity())
			require.Equal(t, tt.missing, tt.c.MissingKey())
			require.Equal(t, before, append(Row(nil), tt.c.Before...), "Identity must not change the before image")
			require.Equal(t, after, append(Row(nil), tt.c.After...), "Identity must not change the after image")
		})
	}
}
