package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

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
	addr := make(chan net.Addr, 1)
	s := &Server{Addr: "127.0.0.1:0", Gatherer: reg, Logger: slog.New(slog.DiscardHandler),
		Status: func() any { return []string{"alpha"} }, Ready: func(a net.Addr) { addr <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := "http://" + (<-addr).String()
	get := func(path string) string {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(body)
	}
	require.Equal(t, "ok\n", get("/healthz"))
	require.JSONEq(t, `["alpha"]`, get("/status"))
	require.Contains(t, get("/metrics"), "tributary_test_total 3")
	require.Contains(t, get("/debug/pprof/"), "goroutine")
	cancel()
	require.NoError(t, <-done)
	http.DefaultClient.CloseIdleConnections()
}
