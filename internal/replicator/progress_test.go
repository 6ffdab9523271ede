package replicator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A source that has committed nothing yet has no last commit time in
// /status, rather than the year 1.
func TestStatusLeavesOutAZeroCommitTime(t *testing.T) {
	b, err := json.Marshal(Status{Source: "a"})
	require.NoError(t, err)
	require.NotContains(t, string(b), "last_commit_time")
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b, err = json.Marshal(Status{Source: "a", CommitTime: at})
	require.NoError(t, err)
	require.Contains(t, string(b), `"last_commit_time":"2026-12-07T10:00:00Z"`)
}
