package source

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TestMinimalRowImages reads changes of a server logging minimal row
// images: each image says which columns it lacks, the identifying image
// takes the key from whichever image holds it, and a change whose images
// cannot say which row it changed stops the reader with a clear error.
func TestMinimalRowImages(t *testing.T) {
	s := startMariaDB(t, "--binlog-row-image=MINIMAL")
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY DEFAULT 0, a VARCHAR(10), b INT DEFAULT 7)",
		"CREATE TABLE db.u (k INT NOT NULL UNIQUE, v INT)")
	opts := testOptions(s)
	opts.AllowPartialRowImage = true
	rr := run(t, New(opts), positionOf(t, s), 10)
	tests := []struct {
		stmt                        string
		beforeOmitted, afterOmitted []int
		identity                    change.Row
	}{
		{"INSERT INTO db.t (id, a) VALUES (1, 'x')", nil, []int{2}, change.Row{int64(1), "x", nil}},
		{"UPDATE db.t SET a = 'y' WHERE id = 1", []int{1, 2}, []int{0, 2}, change.Row{int64(1), "y", nil}},
		{"UPDATE db.t SET id = 2 WHERE id = 1", []int{1, 2}, []int{1, 2}, change.Row{int64(2), nil, nil}},
		{"DELETE FROM db.t WHERE id = 2", []int{1, 2}, nil, change.Row{int64(2), nil, nil}},
		// Without a primary key, a NOT NULL unique key is the table's key,
		// and all the before image holds.
		{"INSERT INTO db.u VALUES (1, 1)", nil, nil, change.Row{int64(1), int64(1)}},
		{"DELETE FROM db.u", []int{1}, nil, change.Row{int64(1), nil}},
	}
	for _, tt := range tests {
		s.Exec(t, tt.stmt)
		c := rr.nextWithChanges(t).Changes[0]
		require.Equal(t, tt.beforeOmitted, c.BeforeOmitted, tt.stmt)
		require.Equal(t, tt.afterOmitted, c.AfterOmitted, tt.stmt)
		require.Equal(t, tt.identity, c.Identity(), tt.stmt)
	}
	rr.stop(t)

	// An insert that leaves its key to the column's default logs no key.
	rr = run(t, New(opts), positionOf(t, s), 10)
	s.Exec(t, "INSERT INTO db.t (a) VALUES ('z')")
	err := rr.waitErr(t)
	require.ErrorIs(t, err, ErrKeyNotLogged)
	require.ErrorContains(t, err, "an insert of db.t holds primary key column id in neither row image "+
		"(binlog_row_image MINIMAL or NOBLOB")
	require.ErrorContains(t, err, "set binlog_row_image=FULL on the source")
}
