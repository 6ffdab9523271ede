package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Verify states.
const (
	VerifyRunning = "running"
	VerifyDone    = "done"
	VerifyFailed  = "failed"
)

// VerifyReport is the body of POST /verify: how a verification of one
// target table went, or that it is running. tributary verify sends one
// when it starts a target and one when it ends it, so that the running
// service shows and exports verify's progress.
type VerifyReport struct {
	Target   string    `json:"target"`
	State    string    `json:"state"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Compared counts the source rows compared; Missing, Extra and
	// Different the differences found, by kind.
	Compared  int64 `json:"compared"`
	Missing   int64 `json:"missing"`
	Extra     int64 `json:"extra"`
	Different int64 `json:"different"`
	// Error says why a failed verification stopped.
	Error string `json:"error,omitempty"`
}

// Check refuses a report that names no target or no known state.
func (r *VerifyReport) Check() error {
	if r.Target == "" {
		return errors.New("a verify report needs a target")
	}
	switch r.State {
	case VerifyRunning, VerifyDone, VerifyFailed:
		return nil
	}
	return fmt.Errorf("verify state %q is not %s, %s or %s", r.State, VerifyRunning, VerifyDone, VerifyFailed)
}

// routeMappings adds GET /mappings and POST /verify to mux.
func (s *Server) routeMappings(mux *http.ServeMux) {
	if s.Mappings != nil {
		mux.HandleFunc("GET /mappings", func(w http.ResponseWriter, req *http.Request) {
			s.answer(w, "reading the mappings' status", func() (any, error) { return s.Mappings(req.Context()) })
		})
	}
	if s.Verified != nil {
		mux.HandleFunc("POST /verify", s.withBody("noting a verification", func(ctx context.Context, body json.RawMessage) (any, error) {
			var r VerifyReport
			if err := json.Unmarshal(body, &r); err != nil {
				return nil, BadRequest(fmt.Errorf("decoding the verify report: %w", err))
			}
			if err := r.Check(); err != nil {
				return nil, BadRequest(err)
			}
			return map[string]string{"noted": r.Target}, s.Verified(r)
		}))
	}
}
