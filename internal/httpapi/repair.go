package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Repair serves the failed changes and the ranges to repair of the
// running service's store. Each method returns what is rendered as JSON;
// an error marked BadRequest is the client's (400), any other the
// service's (500).
type Repair interface {
	// Failed answers GET /failed: every failed change.
	Failed(ctx context.Context) (any, error)
	// FailedOne answers GET /failed/{id}.
	FailedOne(ctx context.Context, id uint64) (any, error)
	// RetryFailed answers POST /failed/retry; ClearFailed POST
	// /failed/clear. body is the request's JSON.
	RetryFailed(ctx context.Context, body json.RawMessage) (any, error)
	ClearFailed(ctx context.Context, body json.RawMessage) (any, error)
	// Ranges answers GET /ranges (?all=true for the resolved ones too).
	Ranges(ctx context.Context, all bool) (any, error)
	// Range answers GET /ranges/{id}.
	Range(ctx context.Context, id uint64) (any, error)
	// AddRange answers POST /ranges; ClearRanges POST /ranges/clear.
	AddRange(ctx context.Context, body json.RawMessage) (any, error)
	ClearRanges(ctx context.Context, body json.RawMessage) (any, error)
	// ResolveRanges answers POST /ranges/resolve: marks ranges repaired.
	ResolveRanges(ctx context.Context, body json.RawMessage) (any, error)
}

// routeRepair adds the endpoints of r to mux.
func (s *Server) routeRepair(mux *http.ServeMux, r Repair) {
	mux.HandleFunc("GET /failed", func(w http.ResponseWriter, req *http.Request) {
		s.answer(w, "listing failed changes", func() (any, error) { return r.Failed(req.Context()) })
	})
	mux.HandleFunc("GET /failed/{id}", func(w http.ResponseWriter, req *http.Request) {
		s.answer(w, "reading a failed change", func() (any, error) {
			id, err := pathID(req, "failed change")
			if err != nil {
				return nil, err
			}
			return r.FailedOne(req.Context(), id)
		})
	})
	mux.HandleFunc("POST /failed/retry", s.withBody("retrying failed changes", r.RetryFailed))
	mux.HandleFunc("POST /failed/clear", s.withBody("clearing failed changes", r.ClearFailed))
	mux.HandleFunc("GET /ranges", func(w http.ResponseWriter, req *http.Request) {
		s.answer(w, "listing ranges", func() (any, error) {
			all, _ := strconv.ParseBool(req.URL.Query().Get("all"))
			return r.Ranges(req.Context(), all)
		})
	})
	mux.HandleFunc("GET /ranges/{id}", func(w http.ResponseWriter, req *http.Request) {
		s.answer(w, "reading a range", func() (any, error) {
			id, err := pathID(req, "range")
			if err != nil {
				return nil, err
			}
			return r.Range(req.Context(), id)
		})
	})
	mux.HandleFunc("POST /ranges", s.withBody("adding a range", r.AddRange))
	mux.HandleFunc("POST /ranges/clear", s.withBody("clearing ranges", r.ClearRanges))
	mux.HandleFunc("POST /ranges/resolve", s.withBody("resolving ranges", r.ResolveRanges))
}

// pathID parses the {id} of the request's path.
func pathID(req *http.Request, what string) (uint64, error) {
	id, err := strconv.ParseUint(req.PathValue("id"), 10, 64)
	if err != nil {
		return 0, BadRequest(errors.New("the ID of a " + what + " is a whole number, not " + strconv.Quote(req.PathValue("id"))))
	}
	return id, nil
}

// withBody serves a POST whose JSON body fn takes.
func (s *Server) withBody(doing string, fn func(context.Context, json.RawMessage) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var body json.RawMessage
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 64<<20)).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding the request: " + err.Error()})
			return
		}
		s.answer(w, doing, func() (any, error) { return fn(req.Context(), body) })
	}
}

// answer writes fn's result, or its error as {"error": "..."}: 400 for a
// request refused, 503 for one the service's stop cut off, 500 for a
// failure.
func (s *Server) answer(w http.ResponseWriter, doing string, fn func() (any, error)) {
	out, err := fn()
	var bad *badRequest
	switch {
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case err != nil && s.stopping():
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the service stopped before it was done " +
			doing + " (" + err.Error() + "); what it applied stays applied: run the command again once the service is back"})
	case err != nil:
		s.Logger.Error(doing, "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
