package admin

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// Verify's reads of a source are paced by the flags, else the verify
// settings, else the source's backfill settings.
func TestVerifyThrottles(t *testing.T) {
	n := func(v int) *int { return &v }
	cfg := &config.Config{Sources: []source.Options{
		{Name: "a", BackfillMaxRowsPerSecond: 100, BackfillMaxThreadsRunning: 10},
		{Name: "b"},
	}}
	require.Equal(t, map[string]verify.Throttle{"a": {MaxRowsPerSecond: 100, MaxThreadsRunning: 10}, "b": {}}, verifyThrottles(cfg, VerifyOptions{}))
	cfg.Verify.MaxRowsPerSecond = n(50)
	require.Equal(t, map[string]verify.Throttle{"a": {MaxRowsPerSecond: 50, MaxThreadsRunning: 10}, "b": {MaxRowsPerSecond: 50, MaxThreadsRunning: 0}}, verifyThrottles(cfg, VerifyOptions{}))
	require.Equal(t, map[string]verify.Throttle{"a": {MaxRowsPerSecond: 0, MaxThreadsRunning: 3}, "b": {MaxRowsPerSecond: 0, MaxThreadsRunning: 3}},
		verifyThrottles(cfg, VerifyOptions{MaxRowsPerSecond: n(0), MaxThreadsRunning: n(3)}))
}
