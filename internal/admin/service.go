package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// endpoint is where the running service answers, and the bearer token it
// requires ("" for none).
type endpoint struct{ addr, token string }

// endpointOf returns cfg's service endpoint.
func endpointOf(cfg *config.Config) endpoint {
	return endpoint{addr: cfg.HTTP.Listen, token: cfg.HTTP.Token()}
}

// request returns a request of the service at ep, with its token.
func (ep endpoint) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+ep.addr+path, body)
	if err != nil {
		return nil, err
	}
	if ep.token != "" {
		req.Header.Set("Authorization", "Bearer "+ep.token)
	}
	return req, nil
}

// errNotAnswering reports that no service answers at the address.
var errNotAnswering = errors.New("no service answers")

// askService sends a request to the running service at addr and decodes
// its JSON answer into out. It fails with errNotAnswering when nothing
// answers, and with the service's message when it refuses.
func askService(ctx context.Context, ep endpoint, method, path string, body, out any) error {
	return askServiceWithin(ctx, ep, 10*time.Minute, method, path, body, out)
}

// unanswered is errNotAnswering at an address, with the client's error.
type unanswered struct {
	addr string
	err  error
}

func (u *unanswered) Error() string {
	return fmt.Sprintf("%v at %s: %v", errNotAnswering, u.addr, u.err)
}
func (u *unanswered) Is(target error) bool { return target == errNotAnswering }
func (u *unanswered) Unwrap() error        { return u.err }

// refusal is the service's answer to a request it did not carry out, in
// its own words, with the HTTP status: 400 refused, 503 cut off by the
// service's stop, 500 failed.
type refusal struct {
	msg  string
	code int
}

func (r *refusal) Error() string { return r.msg }

// askServiceWithin is askService with the time the answer may take (0:
// as long as ctx allows).
func askServiceWithin(ctx context.Context, ep endpoint, within time.Duration, method, path string, body, out any) error {
	addr := ep.addr
	if within > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, within)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := ep.request(ctx, method, path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if sent(err) {
			return &cutOff{addr: addr, err: err}
		}
		return &unanswered{addr: addr, err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the service's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return &refusal{e.Error, resp.StatusCode}
		}
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%s %s: %s (a tributary older than this command runs at %s: restart it, or stop it to use the store directly)",
				method, path, resp.Status, addr)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the service's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// askWork sends a request for work that only the running service can do
// (a backfill, a replay) and says so: a refusal names the work, and when
// no service answers, noService explains what to do.
func askWork(ctx context.Context, ep endpoint, within time.Duration, work, path string, body, out any,
	noService func(addr string, err error) error) error {
	err := askServiceWithin(ctx, ep, within, http.MethodPost, path, body, out)
	var r *refusal
	var u *unanswered
	var c *cutOff
	switch {
	case errors.As(err, &r) && r.code == http.StatusBadRequest:
		return fmt.Errorf("the service refused the %s: %w", work, err)
	case errors.As(err, &r):
		return fmt.Errorf("the %s did not end: %w", work, err)
	case errors.As(err, &u):
		return noService(ep.addr, u.err)
	case errors.As(err, &c):
		return fmt.Errorf("the connection to the service at %s was lost before it answered (%w): it stopped or failed "+
			"while the %s ran, and may have applied part of it; once it runs again, run this command again", c.addr, c.err, work)
	}
	return err
}

// cutOff is a request the service took but did not answer: the
// connection ended under it.
type cutOff struct {
	addr string
	err  error
}

func (c *cutOff) Error() string { return fmt.Sprintf("no answer from %s: %v", c.addr, c.err) }
func (c *cutOff) Unwrap() error { return c.err }

// sent reports whether the client's error came after a connection to the
// service was made (it closed or reset it before answering), rather than
// from reaching it.
func sent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// online runs ask against the running service when cfg names an HTTP
// address and a service answers there; otherwise, or when none answers,
// it opens the store and runs local on it (with the mappings loaded when
// mappings is set). A store held by a service that does not answer fails
// saying both.
func online(ctx context.Context, cfg *config.Config, mappings bool, ask func(ep endpoint) error, local func(*replicator.Repair) error) error {
	var asked error
	if cfg.HTTP.Listen != "" {
		err := ask(endpointOf(cfg))
		if !errors.Is(err, errNotAnswering) {
			return err
		}
		asked = err
	}
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	if errors.Is(err, checkpoint.ErrLocked) {
		if asked != nil {
			return fmt.Errorf("%w; and %w: is the service starting or stopping? Try again in a moment", err, asked)
		}
		return fmt.Errorf("%w; a running service answers these commands when http.listen is set, else stop it first (the store takes one process at a time)", err)
	}
	if err != nil {
		return fmt.Errorf("opening pebble store %s: %w", cfg.Pebble.Dir, err)
	}
	defer store.Close()
	r := &replicator.Repair{Cfg: cfg, Store: store}
	if mappings {
		if r.Set, err = replicator.LoadMappings(cfg); err != nil {
			return err
		}
	}
	return local(r)
}
