package admin

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
)

// How often the progress of a backfill is polled: on a terminal, where
// the bars are redrawn in place, and elsewhere, where each poll writes
// a frame.
const (
	followEvery      = time.Second
	followEveryPlain = 5 * time.Second
)

// followBackfill polls the service's /status and draws the progress of
// tables until every one is done. The end of ctx (Ctrl-C) stops following
// and says that the backfill goes on; a service that stops answering ends
// it with an error.
func followBackfill(ctx context.Context, addr endpoint, tables []tableRef, w io.Writer, tty bool, every time.Duration) error {
	pb := newProgressBars(w, tables, 100, tty)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		st, err := fetchStatus(ctx, addr)
		if err != nil && ctx.Err() == nil {
			pb.Stop()
			return fmt.Errorf("following the backfill: asking tributary at %s: %w (the backfill goes on in the "+
				"service while it runs, and resumes where it was when it starts again; tributary status shows it)", addr.addr, err)
		}
		if err == nil {
			snap := make(map[string][]backfill.TableStatus, len(st))
			for _, s := range st {
				snap[s.Source] = s.Backfill
			}
			if pb.Update(snap, time.Now()) {
				pb.Stop()
				fmt.Fprintf(w, "backfill done for %d table(s)\n", len(tables))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			pb.Stop()
			fmt.Fprintln(w, "stopped following; the backfill goes on in the service (tributary status shows its progress)")
			return nil
		case <-tick.C:
		}
	}
}
