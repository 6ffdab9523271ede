package envelope

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestCheck(t *testing.T) {
	table := &change.Table{
		Schema: "s", Name: "t",
		Columns:    []change.Column{{Name: "id", Kind: change.KindInt}, {Name: "v", Kind: change.KindString}},
		PrimaryKey: []int{0},
	}
	badKey := &change.Table{Schema: "s", Name: "t", Columns: table.Columns, PrimaryKey: []int{2}}
	row := change.Row{int64(1), "a"}
	tests := []struct {
		name    string
		c       change.RowChange
		wantErr string
	}{
		{"insert", change.RowChange{Table: table, Op: change.Insert, After: row}, ""},
		{"update", change.RowChange{Table: table, Op: change.Update, Before: row, After: row, Changed: []int{1}}, ""},
		{"delete", change.RowChange{Table: table, Op: change.Delete, Before: row}, ""},
		{"read", change.RowChange{Table: table, Op: change.Read, After: row}, ""},
		{"read without after", change.RowChange{Table: table, Op: change.Read}, "after image has 0 values for 2 columns"},
		{"no table", change.RowChange{Op: change.Insert, After: row}, "no table"},
		{"unknown op", change.RowChange{Table: table, After: row}, "unknown operation 0"},
		{"insert without after", change.RowChange{Table: table, Op: change.Insert}, "after image has 0 values for 2 columns"},
		{"delete without before", change.RowChange{Table: table, Op: change.Delete}, "before image has 0 values for 2 columns"},
		{"update short after", change.RowChange{Table: table, Op: change.Update, Before: row, After: row[:1]}, "after image has 1 values"},
		{"key out of range", change.RowChange{Table: badKey, Op: change.Insert, After: row}, "primary key column index 2"},
		{"changed out of range", change.RowChange{Table: table, Op: change.Update, Before: row, After: row, Changed: []int{-1}}, "changed column index -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(&tt.c)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
