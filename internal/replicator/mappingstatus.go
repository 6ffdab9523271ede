package replicator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

// storeCountsTTL bounds how often /mappings reads the failed changes and
// the ranges from the store: the status page asks every 2 s.
const storeCountsTTL = 5 * time.Second

// MappingStatus is what /mappings shows of one target table.
type MappingStatus struct {
	Target string `json:"target"`
	// Operations counts the target operations every table sink accepted
	// since the service started.
	Operations uint64 `json:"operations"`
	// Failed counts the failed changes in the store that no later
	// operation superseded; OpenRanges the ranges to repair not resolved.
	Failed     int `json:"failed"`
	OpenRanges int `json:"open_ranges"`
	// Verify is the last verification reported for the target.
	Verify *httpapi.VerifyReport `json:"verify,omitempty"`
}

// mappingBoard answers /mappings and notes the verifications that
// tributary verify reports, which it also exports as metrics.
type mappingBoard struct {
	set   func() *mapping.Set
	store *checkpoint.Store
	ops   *prometheus.CounterVec

	mu struct {
		sync.Mutex
		verified map[string]httpapi.VerifyReport
		counted  time.Time
		failed   map[string]int
		ranges   map[string]int
	}
}

func newMappingBoard(set func() *mapping.Set, store *checkpoint.Store, ops *prometheus.CounterVec) *mappingBoard {
	b := &mappingBoard{set: set, store: store, ops: ops}
	b.mu.verified = map[string]httpapi.VerifyReport{}
	return b
}

// Status lists every target table of the current mappings.
func (b *mappingBoard) Status(context.Context) (any, error) {
	failed, ranges, err := b.storeCounts()
	if err != nil {
		return nil, err
	}
	ops := b.operations()
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.set()
	var out []MappingStatus
	if set == nil {
		return []MappingStatus{}, nil
	}
	for _, f := range set.Mappings() {
		st := MappingStatus{Target: f.Target, Operations: ops[f.Target], Failed: failed[f.Target], OpenRanges: ranges[f.Target]}
		if v, ok := b.mu.verified[f.Target]; ok {
			st.Verify = &v
		}
		out = append(out, st)
	}
	return out, nil
}

// Verified notes a verification's progress.
func (b *mappingBoard) Verified(r httpapi.VerifyReport) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mu.verified[r.Target] = r
	return nil
}

// storeCounts returns the open failed changes and ranges by target, read
// from the store at most every storeCountsTTL.
func (b *mappingBoard) storeCounts() (failed, ranges map[string]int, err error) {
	b.mu.Lock()
	if time.Since(b.mu.counted) < storeCountsTTL {
		defer b.mu.Unlock()
		return b.mu.failed, b.mu.ranges, nil
	}
	b.mu.Unlock()
	fcs, err := b.store.FailedChanges()
	if err != nil {
		return nil, nil, fmt.Errorf("counting the failed changes: %w", err)
	}
	failed = map[string]int{}
	for _, fc := range fcs {
		if fc.Superseded.IsZero() {
			failed[fc.Target]++
		}
	}
	rs, err := b.store.Ranges()
	if err != nil {
		return nil, nil, fmt.Errorf("counting the ranges to repair: %w", err)
	}
	ranges = map[string]int{}
	for _, r := range rs {
		if r.Resolved.IsZero() {
			ranges[r.Mapping]++
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mu.failed, b.mu.ranges, b.mu.counted = failed, ranges, time.Now()
	return failed, ranges, nil
}

// operations sums the applied target operations by target table.
func (b *mappingBoard) operations() map[string]uint64 {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		b.ops.Collect(ch)
		close(ch)
	}()
	out := map[string]uint64{}
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) != nil {
			continue
		}
		for _, l := range d.GetLabel() {
			if l.GetName() == "target" {
				out[l.GetValue()] += uint64(d.GetCounter().GetValue())
			}
		}
	}
	return out
}

// Describe and Collect export the last verification of each target:
// tributary_verify_rows_compared, tributary_verify_differences (by kind)
// and tributary_verify_running.
func (b *mappingBoard) Describe(ch chan<- *prometheus.Desc) {
	ch <- verifyComparedDesc
	ch <- verifyDifferencesDesc
	ch <- verifyRunningDesc
}

func (b *mappingBoard) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for target, r := range b.mu.verified {
		ch <- prometheus.MustNewConstMetric(verifyComparedDesc, prometheus.GaugeValue, float64(r.Compared), target)
		for kind, n := range map[string]int64{"missing": r.Missing, "extra": r.Extra, "different": r.Different} {
			ch <- prometheus.MustNewConstMetric(verifyDifferencesDesc, prometheus.GaugeValue, float64(n), target, kind)
		}
		running := 0.0
		if r.State == httpapi.VerifyRunning {
			running = 1
		}
		ch <- prometheus.MustNewConstMetric(verifyRunningDesc, prometheus.GaugeValue, running, target)
	}
}

var (
	verifyComparedDesc = prometheus.NewDesc("tributary_verify_rows_compared",
		"Source rows the last verification of the target compared (reported by tributary verify).", []string{"target"}, nil)
	verifyDifferencesDesc = prometheus.NewDesc("tributary_verify_differences",
		"Differences the last finished verification of the target found, by kind.", []string{"target", "kind"}, nil)
	verifyRunningDesc = prometheus.NewDesc("tributary_verify_running",
		"1 while a verification of the target runs, 0 once it ended.", []string{"target"}, nil)
)
