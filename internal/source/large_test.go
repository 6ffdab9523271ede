package source

import (
	"bytes"
	"database/sql"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TestLargeTransaction streams one transaction of many rows and checks it
// arrives in bounded parts, each let go before the next is read.
func TestLargeTransaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		rows                 int
		maxChanges, maxBytes int
		wantParts            int
	}{
		{"by count", 200_000, 1000, 0, 200},
		{"by bytes", 20_000, 100_000, 16 << 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startMariaDB(t)
			s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, v VARCHAR(20))")
			opts := testOptions(s)
			opts.MaxPartChanges, opts.MaxPartBytes = tt.maxChanges, tt.maxBytes
			rr := run(t, New(opts), positionOf(t, s), 1)
			s.Exec(t, fmt.Sprintf("INSERT INTO db.t SELECT seq, CONCAT('value-', seq) FROM db.seq_1_to_%d", tt.rows))

			limit := New(opts).opts.MaxPartBytes
			parts, rows := 0, 0
			next := int64(1)
			for {
				txn := rr.next(t)
				require.Equal(t, uint64(1), txn.Seq)
				require.Equal(t, parts, txn.Part)
				require.LessOrEqual(t, len(txn.Changes), tt.maxChanges)
				size := 0
				for _, c := range txn.Changes {
					require.Equal(t, next, c.After[0])
					next++
					size += changeOverhead + rowSize(c.After)
				}
				require.LessOrEqual(t, size, limit)
				parts++
				rows += len(txn.Changes)
				if txn.Last {
					require.Equal(t, "0-1-3", txn.End.GTIDSet)
					break
				}
				require.True(t, txn.End.IsZero())
			}
			require.Equal(t, tt.rows, rows)
			if tt.wantParts > 0 {
				require.Equal(t, tt.wantParts, parts)
			} else {
				require.Greater(t, parts, 50)
			}
		})
	}
}

// TestLargeRows streams rows larger than one protocol packet (go-mysql
// reads those into a buffer it grows by doubling): each arrives whole,
// reading does not go on while such a row is still in use downstream,
// and neither a transaction of several such rows nor one where small rows
// follow is held up by that.
func TestLargeRows(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.lob (id INT PRIMARY KEY, data LONGBLOB)")
	rr := run(t, New(testOptions(s)), positionOf(t, s), 1)
	const size = 20 << 20
	db := s.DB(t, "db")
	big := func(tx *sql.Tx, id int, fill string) {
		_, err := tx.Exec("INSERT INTO lob VALUES (?, REPEAT(?, ?))", id, fill, size)
		require.NoError(t, err)
	}
	txn := func(body func(*sql.Tx)) {
		tx, err := db.Begin()
		require.NoError(t, err)
		body(tx)
		require.NoError(t, tx.Commit())
	}
	txn(func(tx *sql.Tx) { big(tx, 1, "a") })
	txn(func(tx *sql.Tx) { big(tx, 2, "b"); big(tx, 3, "c") })
	txn(func(tx *sql.Tx) {
		big(tx, 4, "d")
		_, err := tx.Exec("INSERT INTO lob SELECT seq, 'x' FROM seq_100_to_1099")
		require.NoError(t, err)
	})

	first := rr.nextWithChanges(t)
	require.Len(t, first.Changes, 1)
	// While the row is held here, the next large event is not read.
	select {
	case txn := <-rr.out:
		require.Zero(t, len(txn.Changes), "a transaction read on while a large row is in use")
	case <-time.After(500 * time.Millisecond):
	}
	require.True(t, bytes.Equal(bytes.Repeat([]byte("a"), size), first.Changes[0].After[1].([]byte)), "row 1 differs")
	first = nil
	runtime.GC()
	fills := map[int64]string{2: "b", 3: "c", 4: "d"}
	large, small := 0, 0
	for small < 1000 || large < len(fills) {
		var txn *change.Txn
		select {
		case txn = <-rr.out:
		case <-time.After(largeHoldLimit - time.Second):
			t.Fatalf("no transaction from the reader once the large rows were let go (%d large, %d small)", large, small)
		}
		// Checked and let go at once, as a sink would.
		for _, c := range txn.Changes {
			id, data := c.After[0].(int64), c.After[1].([]byte)
			if id >= 100 {
				require.Equal(t, []byte("x"), data)
				small++
				continue
			}
			require.True(t, bytes.Equal(bytes.Repeat([]byte(fills[id]), size), data), "row %d differs", id)
			large++
		}
	}
	_ = first
}
