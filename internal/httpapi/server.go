// Package httpapi serves health, status, backfill requests, failed changes,
// ranges to repair and Prometheus metrics over HTTP.
package httpapi

import (
	"context"
	"crypto/subtle"
	_ "embed" // the status page
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// statusPage is the page served at /: it renders /status and refreshes
// itself, with no dependency but the browser.
//
//go:embed status.html
var statusPage []byte

// BackfillRequest is the body of POST /backfill: which tables to copy.
type BackfillRequest struct {
	// Sources names the sources; empty means every source.
	Sources []string `json:"sources,omitempty"`
	// Mappings restricts the tables to those feeding these mappings, each
	// a mapping file's path or a target table ("schema.table"); empty
	// means every table a mapping copies.
	Mappings []string `json:"mappings,omitempty"`
	// Where is an SQL predicate that restricts the rows copied.
	Where string `json:"where,omitempty"`
}

// ReplayRequest is the body of POST /replay: a window of one source's
// retained binlog whose rows to bring up to date in some sinks only.
type ReplayRequest struct {
	Source string `json:"source"`
	// From and To bound the window: GTID sets, FILE:POS or RFC 3339 times.
	From string `json:"from"`
	To   string `json:"to"`
	// Mappings restricts the tables to those feeding these mappings (a
	// mapping file's path or a target table); empty means every mapped
	// table.
	Mappings []string `json:"mappings,omitempty"`
	// Sinks names the sinks to write to; the others are left alone.
	Sinks []string `json:"sinks"`
	// DryRun reads the window and counts, writing nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// BadRequest marks err as a refusal of the request itself (an unknown
// source, a table that cannot be copied): the client gets 400 and err's
// message, unchanged.
func BadRequest(err error) error { return &badRequest{err} }

// IsBadRequest reports whether err, or an error it wraps, is one
// BadRequest made.
func IsBadRequest(err error) bool {
	var br *badRequest
	return errors.As(err, &br)
}

type badRequest struct{ err error }

func (e *badRequest) Error() string { return e.err.Error() }
func (e *badRequest) Unwrap() error { return e.err }

// Server exposes a status page at /, /healthz, /readyz, /status,
// /mappings, /backfill, /resync, /replay, /verify, /failed, /ranges, /metrics and, when
// asked, /debug/pprof.
type Server struct {
	// Addr is the listen address, for example "127.0.0.1:9107".
	Addr string
	// Gatherer provides /metrics.
	Gatherer prometheus.Gatherer
	// Status returns the value rendered as JSON at /status.
	Status func() any
	// Backfill, when set, serves POST /backfill: it starts the backfill
	// the request asks for and returns what it started, rendered as JSON.
	Backfill func(context.Context, BackfillRequest) (any, error)
	// Resync, when set, serves POST /resync: it reads rows of a mapping
	// again (body: the request's JSON) and answers once they are in the
	// stream.
	Resync func(context.Context, json.RawMessage) (any, error)
	// Replay, when set, serves POST /replay: it replays the window the
	// request names and returns what it did, rendered as JSON.
	Replay func(context.Context, ReplayRequest) (any, error)
	// Readiness, when set, serves /readyz: nil when the service can move
	// data (every source streaming, every sink writable), else why not.
	Readiness func(context.Context) error
	// PProf serves Go's profiler under /debug/pprof/.
	PProf bool
	// Token, when set, is required of every request but /healthz and
	// /readyz, as "Authorization: Bearer TOKEN" or, for the status page
	// in a browser, a token query parameter.
	Token string
	// Repair, when set, serves /failed and /ranges (see repair.go).
	Repair Repair
	// Mappings, when set, serves GET /mappings: per target table what was
	// applied, failed, is to repair and was verified.
	Mappings func(context.Context) (any, error)
	// Verified, when set, serves POST /verify: it notes a VerifyReport.
	Verified func(VerifyReport) error
	Logger   *slog.Logger
	// Ready, when set, receives the bound address once listening.
	Ready func(net.Addr)

	// stop is Run's context: every request's context ends with it, so a
	// request under way (a resync, a replay) ends when the service stops
	// rather than holding up its shutdown.
	stop context.Context
}

// stopping reports whether the service is stopping.
func (s *Server) stopping() bool { return s.stop != nil && s.stop.Err() != nil }

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	s.stop = ctx
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s.Status())
	})
	if s.Backfill != nil {
		mux.HandleFunc("POST /backfill", s.backfill)
	}
	if s.Resync != nil {
		mux.HandleFunc("POST /resync", s.withBody("resyncing", s.Resync))
	}
	if s.Replay != nil {
		mux.HandleFunc("POST /replay", s.replay)
	}
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(statusPage)
	})
	if s.Repair != nil {
		s.routeRepair(mux, s.Repair)
	}
	s.routeMappings(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	if s.PProf {
		// Profiles for diagnosing throughput on a live service; the
		// configuration allows them on loopback only.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		// The index links to these two as well.
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol) // as go tool pprof asks
	}
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Addr, err)
	}
	if s.Ready != nil {
		s.Ready(l.Addr())
	}
	s.Logger.Info("http listening", "addr", l.Addr().String())
	srv := &http.Server{Handler: s.authorize(mux), ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down http: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving http: %w", err)
	}
	return nil
}

// authorize refuses, when Token is set, every request but the probes'
// that does not carry it.
func (s *Server) authorize(next http.Handler) http.Handler {
	if s.Token == "" {
		return next
	}
	want := []byte(s.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			got = r.URL.Query().Get("token")
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tributary"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid bearer token is required (http.token_env)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readyz answers 200 when the service can move data, else 503 with the
// reason, within a few seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	var err error
	if s.Readiness != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		err = s.Readiness(ctx)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// readyTimeout bounds the checks behind /readyz.
const readyTimeout = 3 * time.Second

// backfill serves POST /backfill. Errors come back as {"error": "..."}:
// 400 for a request the service refuses, 500 for a failure.
func (s *Server) backfill(w http.ResponseWriter, r *http.Request) {
	var req BackfillRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding the request: " + err.Error()})
		return
	}
	s.answer(w, "starting a backfill", func() (any, error) { return s.Backfill(r.Context(), req) })
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// replay serves POST /replay like backfill: 400 for a request the service
// refuses, 500 for a failure. It answers once the replay is done; a
// client that goes away stops it.
func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	var req ReplayRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding the request: " + err.Error()})
		return
	}
	s.answer(w, "replaying", func() (any, error) { return s.Replay(r.Context(), req) })
}
