package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// verifyNotes tells the running service, when one answers at http.listen,
// how a verification goes, so that its status page and metrics show it.
// It is best effort: verify needs no service, and a failed note is only
// logged at debug level.
type verifyNotes struct {
	ep      endpoint
	on      bool
	started time.Time
	log     *slog.Logger
}

func newVerifyNotes(cfg *config.Config, logger *slog.Logger) *verifyNotes {
	return &verifyNotes{ep: endpointOf(cfg), on: cfg.HTTP.Listen != "", started: time.Now(), log: logger}
}

// running notes that the targets are being compared.
func (n *verifyNotes) running(ctx context.Context, targets []string) {
	for _, t := range targets {
		n.send(ctx, httpapi.VerifyReport{Target: t, State: httpapi.VerifyRunning, Started: n.started})
	}
}

// done notes each target's result, or that the run failed.
func (n *verifyNotes) done(ctx context.Context, targets []string, rep *verify.Report, err error) {
	now := time.Now()
	if err != nil {
		for _, t := range targets {
			n.send(ctx, httpapi.VerifyReport{Target: t, State: httpapi.VerifyFailed, Started: n.started, Finished: now,
				Error: err.Error()})
		}
		return
	}
	for _, m := range rep.Mappings {
		n.send(ctx, httpapi.VerifyReport{Target: m.Target, State: httpapi.VerifyDone, Started: n.started, Finished: now,
			Compared: int64(m.Compared), Missing: int64(m.Missing), Extra: int64(m.Extra), Different: int64(m.Different)})
	}
}

func (n *verifyNotes) send(ctx context.Context, r httpapi.VerifyReport) {
	if !n.on {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	var out map[string]string
	if err := askService(ctx, n.ep, "POST", "/verify", r, &out); err != nil {
		n.log.Debug("telling the service how verify goes", "target", r.Target, "error", err)
	}
}
