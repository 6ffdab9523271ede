package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "tributary_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	for _, pprof := range []bool{false, true} {
		var notReady atomic.Pointer[error]
		addr := make(chan net.Addr, 1)
		s := &Server{Addr: "127.0.0.1:0", Gatherer: reg, Logger: slog.New(slog.DiscardHandler), PProf: pprof,
			Status: func() any { return []string{"alpha"} }, Ready: func(a net.Addr) { addr <- a },
			Readiness: func(context.Context) error {
				if p := notReady.Load(); p != nil {
					return *p
				}
				return nil
			}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		base := "http://" + (<-addr).String()
		get := func(path string, code int) string {
			resp, err := http.Get(base + path)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, code, resp.StatusCode, path)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return string(body)
		}
		require.Equal(t, "ok\n", get("/healthz", http.StatusOK))
		require.Equal(t, "ready\n", get("/readyz", http.StatusOK))
		err := errors.New("source alpha: not streaming")
		notReady.Store(&err)
		require.Equal(t, "not ready: source alpha: not streaming\n", get("/readyz", http.StatusServiceUnavailable))
		require.Equal(t, "ok\n", get("/healthz", http.StatusOK), "alive while not ready")
		require.JSONEq(t, `["alpha"]`, get("/status", http.StatusOK))
		require.Contains(t, get("/metrics", http.StatusOK), "tributary_test_total 3")
		if pprof {
			require.Contains(t, get("/debug/pprof/", http.StatusOK), "goroutine")
			get("/debug/pprof/cmdline", http.StatusOK)
			require.Contains(t, get("/debug/pprof/symbol", http.StatusOK), "num_symbols", "every link of the index answers")
		} else {
			get("/debug/pprof/", http.StatusNotFound)
		}
		cancel()
		require.NoError(t, <-done)
		http.DefaultClient.CloseIdleConnections()
	}
}

func TestBackfillEndpoint(t *testing.T) {
	addr := make(chan net.Addr, 1)
	var got BackfillRequest
	s := &Server{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		Status: func() any { return nil }, Ready: func(a net.Addr) { addr <- a },
		Backfill: func(_ context.Context, req BackfillRequest) (any, error) {
			got = req
			switch req.Where {
			case "refused":
				return nil, BadRequest(fmt.Errorf("table t: %w", errors.New("no usable key")))
			case "broken":
				return nil, errors.New("source down")
			}
			return []string{"s.t"}, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := "http://" + (<-addr).String()
	post := func(body string) (int, string) {
		resp, err := http.Post(base+"/backfill", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(out)
	}
	code, body := post(`{"sources":["a"],"mappings":["global.t"],"where":"id > 1"}`)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `["s.t"]`, body)
	require.Equal(t, BackfillRequest{Sources: []string{"a"}, Mappings: []string{"global.t"}, Where: "id > 1"}, got)

	code, body = post(`{"where":"refused"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.JSONEq(t, `{"error":"table t: no usable key"}`, body)
	code, body = post(`{"where":"broken"}`)
	require.Equal(t, http.StatusInternalServerError, code)
	require.JSONEq(t, `{"error":"source down"}`, body)
	code, _ = post(`{"tables":["x"]}`)
	require.Equal(t, http.StatusBadRequest, code, "unknown fields are refused")

	resp, err := http.Get(base + "/backfill")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	cancel()
	require.NoError(t, <-done)
	http.DefaultClient.CloseIdleConnections()
}

// With a token, everything but the probes needs it: in the Authorization
// header, or as a query parameter for the status page.
func TestTokenGuardsAllButProbes(t *testing.T) {
	const token = "0123456789abcdef-token"
	addr := make(chan net.Addr, 1)
	s := &Server{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		Token: token, Status: func() any { return []string{"alpha"} }, Ready: func(a net.Addr) { addr <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := "http://" + (<-addr).String()
	code := func(path, auth string) int {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, auth string
		want       int
	}{
		{"/healthz", "", http.StatusOK},
		{"/readyz", "", http.StatusOK},
		{"/status", "", http.StatusUnauthorized},
		{"/metrics", "", http.StatusUnauthorized},
		{"/", "", http.StatusUnauthorized},
		{"/status", "Bearer wrong-token-of-some-length", http.StatusUnauthorized},
		{"/status", "Bearer " + token, http.StatusOK},
		{"/metrics", "Bearer " + token, http.StatusOK},
		{"/?token=" + token, "", http.StatusOK},
		{"/status?token=" + token, "", http.StatusOK},
	} {
		require.Equal(t, c.want, code(c.path, c.auth), "%s with %q", c.path, c.auth)
	}
	cancel()
	require.NoError(t, <-done)
	http.DefaultClient.CloseIdleConnections()
}

// A request under way when the service stops (a resync waiting for its
// rows) ends with it: the client hears that the stop cut it off, and the
// server shuts down at once instead of waiting for the request.
func TestStopEndsRequestsUnderWay(t *testing.T) {
	addr := make(chan net.Addr, 1)
	started := make(chan struct{})
	s := &Server{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		Status: func() any { return nil }, Ready: func(a net.Addr) { addr <- a },
		Resync: func(ctx context.Context, _ json.RawMessage) (any, error) {
			close(started)
			<-ctx.Done()
			return nil, fmt.Errorf("waiting for the rows: %w", ctx.Err())
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	type answer struct {
		code int
		body string
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+(<-addr).String()+"/resync", "application/json", strings.NewReader(`{}`))
		if err != nil {
			answers <- answer{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answers <- answer{resp.StatusCode, string(body)}
	}()
	<-started
	stopAt := time.Now()
	cancel()
	require.NoError(t, <-done)
	require.Less(t, time.Since(stopAt), 2*time.Second, "the shutdown did not wait for the request")
	a := <-answers
	require.Equal(t, http.StatusServiceUnavailable, a.code, a.body)
	require.Contains(t, a.body, "the service stopped before it was done resyncing")
	require.Contains(t, a.body, "run the command again")
}
