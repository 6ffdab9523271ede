package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWorkersPerWatermarkMode: table watermarks take the workers asked
// for and read ahead; GTID watermarks copy one chunk at a time.
func TestWorkersPerWatermarkMode(t *testing.T) {
	tests := []struct {
		name       string
		watermarks string
		workers    int
		// want
		workersOut, readAheadOut int
	}{
		{"table, default", "", 0, DefaultWorkers, readAhead},
		{"table, four", WatermarksTable, 4, 4, readAhead},
		{"gtid, default", WatermarksGTID, 0, 1, 1},
		{"gtid, four asked", WatermarksGTID, 4, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// sql.Open does not connect: no server is needed.
			b, err := New(Options{Source: "s", DSN: "u:p@tcp(127.0.0.1:1)/", Watermarks: tt.watermarks,
				Workers: tt.workers})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, b.Close()) })
			require.Equal(t, tt.workersOut, b.opts.Workers)
			require.Equal(t, tt.readAheadOut, b.readAhead)
		})
	}
}
