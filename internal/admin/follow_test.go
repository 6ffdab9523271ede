package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// statusServer answers /status with the table's rows, growing by step a
// poll, done at total.
func statusServer(t *testing.T, step, total uint64) (string, *atomic.Int32) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := uint64(polls.Add(1)) * step
		st := backfill.TableStatus{Table: "app.t", Rows: min(n, total), Estimate: total, Done: n >= total}
		_ = json.NewEncoder(w).Encode([]replicator.Status{{Source: "alpha", Backfill: []backfill.TableStatus{st}}})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), &polls
}

func TestFollowBackfillUntilDone(t *testing.T) {
	addr, polls := statusServer(t, 40, 100)
	var out bytes.Buffer
	require.NoError(t, followBackfill(t.Context(), addr, []tableRef{{"alpha", "app.t"}}, &out, false, time.Millisecond))
	require.EqualValues(t, 3, polls.Load())
	got := ansi.ReplaceAllString(out.String(), "")
	require.Contains(t, got, "40 / 100 rows 40%")
	require.Contains(t, got, "100 rows 100%")
	require.True(t, strings.HasSuffix(got, "backfill done for 1 table(s)\n"), "%s", got)
}

// Ctrl-C stops following and says that the backfill goes on.
func TestFollowBackfillStopsFollowingOnly(t *testing.T) {
	addr, _ := statusServer(t, 1, 1000)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, followBackfill(ctx, addr, []tableRef{{"alpha", "app.t"}}, &out, false, 50*time.Millisecond))
	require.Contains(t, out.String(), "stopped following; the backfill goes on in the service")
}

func TestFollowBackfillServiceGone(t *testing.T) {
	addr, _ := statusServer(t, 1, 1000)
	var out bytes.Buffer
	err := followBackfill(t.Context(), addr+"0", []tableRef{{"alpha", "app.t"}}, &out, false, time.Millisecond)
	require.ErrorContains(t, err, "following the backfill")
	require.ErrorContains(t, err, "the backfill goes on in the service")
}
