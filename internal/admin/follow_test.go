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
	"github.com/tributary-cdc/tributary/internal/config"
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
	require.NoError(t, followBackfill(t.Context(), endpoint{addr: addr}, []tableRef{{"alpha", "app.t"}}, &out, false, time.Millisecond))
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
	require.NoError(t, followBackfill(ctx, endpoint{addr: addr}, []tableRef{{"alpha", "app.t"}}, &out, false, 50*time.Millisecond))
	require.Contains(t, out.String(), "stopped following; the backfill goes on in the service")
}

func TestFollowBackfillServiceGone(t *testing.T) {
	addr, _ := statusServer(t, 1, 1000)
	var out bytes.Buffer
	err := followBackfill(t.Context(), endpoint{addr: addr + "0"}, []tableRef{{"alpha", "app.t"}}, &out, false, time.Millisecond)
	require.ErrorContains(t, err, "following the backfill")
	require.ErrorContains(t, err, "the backfill goes on in the service")
}

// The commands send the configured bearer token to the service.
func TestCommandsSendTheToken(t *testing.T) {
	const token = "0123456789abcdef-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode([]replicator.Status{{Source: "alpha"}})
	}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	t.Setenv("TRIBUTARY_TEST_TOKEN", token)
	cfg := &config.Config{HTTP: config.HTTP{Listen: addr, TokenEnv: "TRIBUTARY_TEST_TOKEN"}}
	st, err := fetchStatus(t.Context(), endpointOf(cfg))
	require.NoError(t, err)
	require.Equal(t, "alpha", st[0].Source)
	_, err = fetchStatus(t.Context(), endpoint{addr: addr})
	require.ErrorContains(t, err, "401")
	var out []replicator.Status
	require.NoError(t, askService(t.Context(), endpointOf(cfg), http.MethodGet, "/status", nil, &out))
}
