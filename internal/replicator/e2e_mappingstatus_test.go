package replicator_test

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// /mappings shows per target table the operations applied and the last
// verification, which tributary verify reports to the running service
// (and the metrics export); /status shows the last error that
// interrupted a source's stream.
func TestMappingStatusAndLastError(t *testing.T) {
	d := startDemoCluster(t)
	cfg, err := config.Load(d.cfg)
	require.NoError(t, err)
	cmd, _ := d.run(t)
	d.waitCaughtUp(t, "1m")
	for id := 920001; id <= 920003; id++ {
		insertCooksnap(t, d, id, "counted")
	}
	d.waitCaughtUp(t, "1m")

	out, err := d.tributary(t, "verify", "--mapping", "global.cooksnaps")
	require.NoError(t, err, out)
	ms := fetchMappings(t, cfg)
	byTarget := map[string]replicator.MappingStatus{}
	for _, m := range ms {
		byTarget[m.Target] = m
	}
	cs, ok := byTarget["global.cooksnaps"]
	require.True(t, ok, "%+v", ms)
	require.EqualValues(t, 3, cs.Operations)
	require.NotNil(t, cs.Verify)
	require.Equal(t, "done", cs.Verify.State)
	require.EqualValues(t, 3, cs.Verify.Compared)
	require.Zero(t, cs.Verify.Missing+cs.Verify.Extra+cs.Verify.Different)
	require.Nil(t, byTarget["global.members"].Verify, "only the target verified")
	require.Equal(t, 3.0, metricOfTarget(t, cfg, "tributary_verify_rows_compared", "global.cooksnaps"))
	require.Equal(t, 0.0, metricOfTarget(t, cfg, "tributary_verify_running", "global.cooksnaps"))

	for _, s := range fetchStatus(cfg) {
		require.Nil(t, s.LastError, s.Source)
	}
	require.NoError(t, d.recipes.Stop())
	waitFor(t, 30*time.Second, "the source's last error in /status", func() bool {
		for _, s := range fetchStatus(cfg) {
			if s.Source == "jp-recipes" && s.LastError != nil && s.LastError.Message != "" {
				return true
			}
		}
		return false
	})
	require.NoError(t, d.recipes.Restart(t.Context()))
	d.waitCaughtUp(t, "1m")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
}

// fetchMappings reads the running service's /mappings.
func fetchMappings(t *testing.T, cfg *config.Config) []replicator.MappingStatus {
	t.Helper()
	resp, err := http.Get("http://" + cfg.HTTP.Listen + "/mappings")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var ms []replicator.MappingStatus
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ms))
	return ms
}

// metricOfTarget returns the value of a gauge labelled only by target, -1
// when absent.
func metricOfTarget(t *testing.T, cfg *config.Config, name, target string) float64 {
	return metricLine(t, cfg, name+`{target="`+target+`"} `)
}
