package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// fakeRepair answers with what it was asked.
type fakeRepair struct{}

func (fakeRepair) Failed(context.Context) (any, error) { return []string{"all"}, nil }
func (fakeRepair) FailedOne(_ context.Context, id uint64) (any, error) {
	if id == 9 {
		return nil, BadRequest(errors.New("no failed change with id 9"))
	}
	return map[string]uint64{"id": id}, nil
}
func (fakeRepair) RetryFailed(_ context.Context, b json.RawMessage) (any, error) {
	return map[string]json.RawMessage{"retry": b}, nil
}
func (fakeRepair) ClearFailed(context.Context, json.RawMessage) (any, error) {
	return nil, errors.New("store broken")
}
func (fakeRepair) Ranges(_ context.Context, all bool) (any, error) {
	return map[string]bool{"all": all}, nil
}
func (fakeRepair) Range(_ context.Context, id uint64) (any, error) { return id, nil }
func (fakeRepair) AddRange(_ context.Context, b json.RawMessage) (any, error) {
	return map[string]json.RawMessage{"add": b}, nil
}
func (fakeRepair) ResolveRanges(_ context.Context, _ json.RawMessage) (any, error) {
	return []uint64{}, nil
}

func (fakeRepair) ClearRanges(_ context.Context, b json.RawMessage) (any, error) {
	return map[string]json.RawMessage{"clear": b}, nil
}

func TestRepairEndpoints(t *testing.T) {
	addr := make(chan net.Addr, 1)
	s := &Server{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		Status: func() any { return nil }, Ready: func(a net.Addr) { addr <- a }, Repair: fakeRepair{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := "http://" + (<-addr).String()
	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(out)
	}
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/failed", "", 200, `["all"]`},
		{"GET", "/failed/7", "", 200, `{"id":7}`},
		{"GET", "/failed/9", "", 400, `{"error":"no failed change with id 9"}`},
		{"GET", "/failed/x", "", 400, `{"error":"the ID of a failed change is a whole number, not \"x\""}`},
		{"POST", "/failed/retry", `{"all":true}`, 200, `{"retry":{"all":true}}`},
		{"POST", "/failed/retry", `{"all":`, 400, ""},
		{"POST", "/failed/clear", `{}`, 500, `{"error":"store broken"}`},
		{"GET", "/ranges", "", 200, `{"all":false}`},
		{"GET", "/ranges?all=true", "", 200, `{"all":true}`},
		{"GET", "/ranges/3", "", 200, `3`},
		{"POST", "/ranges", `{"mapping":"a.b"}`, 200, `{"add":{"mapping":"a.b"}}`},
		{"POST", "/ranges/clear", `{"All":true}`, 200, `{"clear":{"All":true}}`},
		{"DELETE", "/ranges/3", "", 405, ""},
	} {
		code, body := call(c.method, c.path, c.body)
		require.Equal(t, c.code, code, "%s %s: %s", c.method, c.path, body)
		if c.want != "" {
			require.JSONEq(t, c.want, body, "%s %s", c.method, c.path)
		}
	}
	cancel()
	require.NoError(t, <-done)
	http.DefaultClient.CloseIdleConnections()
}
