package admin

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/tributary-cdc/tributary/internal/backfill"
)

// tableRef names one backfilled table of one source.
type tableRef struct{ Source, Table string }

// progressBars draws one bar per backfilled table from the status
// snapshots it is given: rows copied against the estimate, the rate and
// the time left. It draws once per snapshot, so what it writes depends on
// the snapshots alone, not on a clock.
type progressBars struct {
	p       *mpb.Progress
	refresh chan any
	frames  chan struct{}
	bars    map[tableRef]*tableBar
	order   []tableRef
}

// tableBar is the bar of one table and what it showed last.
type tableBar struct {
	bar  *mpb.Bar
	rows uint64
	at   time.Time
	done bool

	// rate is the smoothed rows per second, read by the decorators
	// while the bar is drawn; negative before two snapshots.
	mu   sync.Mutex
	rate float64
}

// smoothing is the weight of the latest snapshot's rate in the moving
// average: the rate follows a change of pace within a few polls without
// jumping at every chunk.
const smoothing = 0.3

// newProgressBars starts the bars of tables on w; width is the bars'
// width when w is not a terminal. tty makes mpb treat w as a terminal
// (redrawing in place).
func newProgressBars(w io.Writer, tables []tableRef, width int, tty bool) *progressBars {
	refresh, frames := make(chan any), make(chan struct{}, 1)
	opts := []mpb.ContainerOption{mpb.WithOutput(&frameWriter{w: w, frames: frames}),
		mpb.WithManualRefresh(refresh), mpb.WithWidth(width)}
	if tty {
		opts = append(opts, mpb.ForceTTY())
	}
	pb := &progressBars{p: mpb.New(opts...), refresh: refresh, frames: frames, bars: map[tableRef]*tableBar{}}
	for _, t := range tables {
		if _, dup := pb.bars[t]; dup {
			continue
		}
		tb := &tableBar{rate: -1}
		tb.bar = pb.p.AddBar(0,
			mpb.PrependDecorators(
				decor.Name(t.Source, decor.WCSyncSpaceR),
				decor.Name(t.Table, decor.WCSyncSpaceR),
			),
			mpb.AppendDecorators(
				decor.Any(rowsText, decor.WCSyncSpace),
				decor.OnComplete(decor.Any(func(decor.Statistics) string { return rateText(tb.smoothedRate()) }, decor.WCSyncSpace), ""),
				decor.OnComplete(decor.Any(func(s decor.Statistics) string {
					return etaText(s.Current, s.Total, tb.smoothedRate())
				}, decor.WCSyncSpace), "done"),
			),
		)
		pb.bars[t] = tb
		pb.order = append(pb.order, t)
	}
	return pb
}

// rowsText shows rows copied, the estimate and the percent: "1200 / 5000
// rows 24%", "1200 rows" without an estimate.
func rowsText(s decor.Statistics) string {
	switch {
	case s.Completed:
		return fmt.Sprintf("%d rows 100%%", s.Current)
	case s.Total <= 0:
		return fmt.Sprintf("%d rows", s.Current)
	}
	return fmt.Sprintf("%d / %d rows %s", s.Current, s.Total, percentText(uint64(s.Current), uint64(s.Total), false))
}

// smoothedRate returns the bar's rows per second, negative when unknown.
func (tb *tableBar) smoothedRate() float64 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.rate
}

// observe takes the rows of a snapshot taken at now into the rate.
func (tb *tableBar) observe(rows uint64, now time.Time) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if !tb.at.IsZero() && now.After(tb.at) && rows >= tb.rows {
		inst := float64(rows-tb.rows) / now.Sub(tb.at).Seconds()
		if tb.rate < 0 {
			tb.rate = inst
		} else {
			tb.rate = smoothing*inst + (1-smoothing)*tb.rate
		}
	}
	tb.rows, tb.at = rows, now
}

// rateText shows a rate, "- rows/s" before it is known.
func rateText(rate float64) string {
	if rate < 0 {
		return "- rows/s"
	}
	return fmt.Sprintf("%.0f rows/s", rate)
}

// etaText is the time left at rate for the rows between current and
// total, "ETA -" while either is unknown or nothing moves.
func etaText(current, total int64, rate float64) string {
	if rate <= 0 || total <= 0 {
		return "ETA -"
	}
	left := time.Duration(float64(max(total-current, 0)) / rate * float64(time.Second))
	return "ETA " + left.Round(time.Second).String()
}

// percentText is rows against estimate as a whole percent; below 100%
// until the copy is done, since the estimate may be short; "-" without an
// estimate.
func percentText(rows, estimate uint64, done bool) string {
	switch {
	case done:
		return "100%"
	case estimate == 0:
		return "-"
	}
	return fmt.Sprintf("%d%%", min(rows*100/estimate, 99))
}

// Update moves the bars to the snapshot taken at now, by source, and
// draws them once; it reports whether every table is done. A table the
// snapshot lacks keeps its bar as it was.
func (pb *progressBars) Update(snapshot map[string][]backfill.TableStatus, now time.Time) bool {
	all := true
	for _, ref := range pb.order {
		tb := pb.bars[ref]
		st, ok := find(snapshot[ref.Source], ref.Table)
		if !ok || tb.done {
			all = all && tb.done
			continue
		}
		if st.Done {
			tb.bar.SetTotal(int64(st.Rows), true)
			tb.done = true
			continue
		}
		all = false
		tb.observe(st.Rows, now)
		if st.Estimate > 0 {
			// An estimate that fell short grows with the rows; none
			// leaves the total unknown (0).
			tb.bar.SetTotal(int64(max(st.Estimate, st.Rows)), false)
		}
		tb.bar.SetCurrent(int64(st.Rows))
	}
	if !all {
		// Once every bar is done, the last one's completion draws
		// the final frame and Stop waits for it.
		pb.draw(now)
	}
	return all
}

// draw renders the bars once and waits until the frame is written.
func (pb *progressBars) draw(now time.Time) {
	select {
	case <-pb.frames:
	default:
	}
	select {
	case pb.refresh <- now:
	case <-time.After(time.Second):
		return
	}
	select {
	case <-pb.frames:
	case <-time.After(time.Second):
	}
}

// frameWriter tells of every frame written: mpb writes each frame in one
// Write.
type frameWriter struct {
	w      io.Writer
	frames chan struct{}
}

func (f *frameWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	select {
	case f.frames <- struct{}{}:
	default:
	}
	return n, err
}

// Stop ends the bars: those not done are left as they are (aborted, not
// removed), and the last frame is drawn.
func (pb *progressBars) Stop() {
	for _, ref := range pb.order {
		if tb := pb.bars[ref]; !tb.done {
			tb.bar.Abort(false)
		}
	}
	pb.p.Wait()
}

// find returns the status of table in sts.
func find(sts []backfill.TableStatus, table string) (backfill.TableStatus, bool) {
	for _, s := range sts {
		if s.Table == table {
			return s, true
		}
	}
	return backfill.TableStatus{}, false
}
