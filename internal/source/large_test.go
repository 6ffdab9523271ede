package source

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
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
