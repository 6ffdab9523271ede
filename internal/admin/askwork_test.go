package admin

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// askWork says what became of work the service did not carry out: a
// refusal, a stop that cut it off, a failure, a connection lost while it
// ran, and no service at all are five different messages.
func TestAskWorkSaysWhatBecameOfTheWork(t *testing.T) {
	answer := func(code int, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"error":"` + msg + `"}`))
		}
	}
	hangUp := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
	noService := func(addr string, err error) error { return errors.New("no running tributary answers at " + addr) }
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"refused", answer(http.StatusBadRequest, "unknown mapping x"), "the service refused the resync: unknown mapping x"},
		{"stopped", answer(http.StatusServiceUnavailable, "the service stopped before it was done resyncing"),
			"the resync did not end: the service stopped before it was done resyncing"},
		{"failed", answer(http.StatusInternalServerError, "reading rows: invalid connection"), "the resync did not end: reading rows"},
		{"lost", hangUp, "was lost before it answered"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			var out map[string]any
			err := askWork(t.Context(), endpoint{addr: strings.TrimPrefix(srv.URL, "http://")}, 0, "resync", "/resync",
				map[string]string{}, &out, noService)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "no running tributary")
		})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	var out map[string]any
	err = askWork(t.Context(), endpoint{addr: addr}, 0, "resync", "/resync", map[string]string{}, &out, noService)
	require.ErrorContains(t, err, "no running tributary answers at "+addr)
}
