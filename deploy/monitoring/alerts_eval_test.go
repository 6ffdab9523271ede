package monitoring_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
)

// alertExprs returns the expression of every alert of alerts.yaml, on
// one line.
func alertExprs(t *testing.T) map[string]string {
	t.Helper()
	groups, errs := rulefmt.ParseFile("alerts.yaml", false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	out := map[string]string{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = strings.Join(strings.Fields(r.Expr), " ")
		}
	}
	return out
}

// TestAlertsFire evaluates the alerts' expressions with Prometheus's
// engine over made-up series, 20 minutes into them: each case says which
// series an alert returns (fires for, once its for: has passed), or that
// it returns none. A filter keeps the metric name; an aggregation or a
// function drops it.
func TestAlertsFire(t *testing.T) {
	exprs := alertExprs(t)
	const labels = `job="tributary", instance="a"`
	for _, tc := range []struct {
		name, alert, series string
		want                []string // result lines; none: the alert stays quiet
	}{
		{"down", "TributaryDown", `up{` + labels + `} 1+0x10 0+0x10`,
			[]string{`up{` + labels + `} 0`}},
		{"up", "TributaryDown", `up{` + labels + `} 1+0x20`, nil},
		{"restarting", "TributaryRestarting", `process_start_time_seconds{` + labels + `} 0 60 120 180 240 300 360 420 480 540 600 660 720 780 840 900 960 1020 1080 1140 1200`,
			[]string{`{` + labels + `} 20`}},
		{"lag high", "TributaryApplyLagHigh", `tributary_apply_lag_seconds{` + labels + `, source="s"} 0+10x20`,
			[]string{`{` + labels + `, source="s"} 200`}},
		{"lag low", "TributaryApplyLagHigh", `tributary_apply_lag_seconds{` + labels + `, source="s"} 0+0x20`, nil},
		{"checkpoints stalled while changes arrive", "TributaryCheckpointsStalled",
			`tributary_checkpoints_total{` + labels + `} 0+0x20
			tributary_changes_total{` + labels + `, source="s", table="t", op="insert"} 0+10x20
			tributary_apply_lag_seconds{` + labels + `, source="s"} 0+0x20`,
			[]string{`{` + labels + `} 0`}},
		{"checkpoints stalled while a source is behind", "TributaryCheckpointsStalled",
			`tributary_checkpoints_total{` + labels + `} 0+0x20
			tributary_changes_total{` + labels + `, source="s", table="t", op="insert"} 0+0x20
			tributary_apply_lag_seconds{` + labels + `, source="s"} 0+10x20`,
			[]string{`{` + labels + `} 0`}},
		{"checkpoints following changes", "TributaryCheckpointsStalled",
			`tributary_checkpoints_total{` + labels + `} 0+60x20
			tributary_changes_total{` + labels + `, source="s", table="t", op="insert"} 0+10x20
			tributary_apply_lag_seconds{` + labels + `, source="s"} 0+0x20`, nil},
		{"idle", "TributaryCheckpointsStalled",
			`tributary_checkpoints_total{` + labels + `} 0+0x20
			tributary_changes_total{` + labels + `, source="s", table="t", op="insert"} 0+0x20
			tributary_apply_lag_seconds{` + labels + `, source="s"} 0+0x20`, nil},
		{"one source held back", "TributaryCheckpointHeldBack",
			`tributary_checkpoint_age_seconds{` + labels + `, source="s"} 0+60x20
			tributary_checkpoint_age_seconds{` + labels + `, source="t"} 0+0x20`,
			[]string{`{` + labels + `, source="s"} 1200`}},
		{"checkpoints current", "TributaryCheckpointHeldBack",
			`tributary_checkpoint_age_seconds{` + labels + `, source="s"} 0+1x20`, nil},
		{"failed changes", "TributaryTargetFailedChanges",
			`tributary_mysql_failed_total{` + labels + `, sink="target", target="global.members"} 0+0x15 1+0x5`,
			[]string{`{` + labels + `, sink="target", target="global.members"} 1`}},
		{"conflicts", "TributaryTargetConflicts",
			`tributary_mysql_conflicts_total{` + labels + `, sink="target", target="global.members"} 0+0x15 2+0x5`,
			[]string{`{` + labels + `, sink="target", target="global.members"} 2`}},
		{"rejected keys", "TributaryTargetRejectedKeys",
			`tributary_mysql_rejected_total{` + labels + `, sink="target", target="global.members"} 0+0x15 3+0x5`,
			[]string{`{` + labels + `, sink="target", target="global.members"} 3`}},
		{"first failed change", "TributaryTargetFailedChanges",
			`tributary_mysql_failed_total{` + labels + `, sink="target", target="global.members"} _x15 1+0x5`,
			[]string{`{` + labels + `, sink="target", target="global.members"} 1`}},
		{"first conflicts", "TributaryTargetConflicts",
			`tributary_mysql_conflicts_total{` + labels + `, sink="target", target="global.members"} _x15 2+0x5`,
			[]string{`{` + labels + `, sink="target", target="global.members"} 2`}},
		{"first rejected keys", "TributaryTargetRejectedKeys",
			`tributary_mysql_rejected_total{` + labels + `, sink="target", target="global.members"} _x15 3+0x5`,
			[]string{`{` + labels + `, sink="target", target="global.members"} 3`}},
		{"failed changes long ago", "TributaryTargetFailedChanges",
			`tributary_mysql_failed_total{` + labels + `, sink="target", target="global.members"} 1+0x20`, nil},
		{"kinesis failed", "TributaryKinesisFailedRecords",
			`tributary_kinesis_records_failed_total{` + labels + `, sink="k"} 0+0x15 1+0x5`,
			[]string{`{` + labels + `, sink="k"} 1`}},
		{"kinesis throttled", "TributaryKinesisThrottled",
			`tributary_kinesis_records_sent_total{` + labels + `, sink="k"} 0+6000x20
			tributary_kinesis_records_retried_total{` + labels + `, sink="k"} 0+1200x20`,
			[]string{`{` + labels + `, sink="k"} 0.2`}},
		{"kinesis retrying a little", "TributaryKinesisThrottled",
			`tributary_kinesis_records_sent_total{` + labels + `, sink="k"} 0+6000x20
			tributary_kinesis_records_retried_total{` + labels + `, sink="k"} 0+60x20`, nil},
		{"not ready", "TributaryNotReady",
			`kube_pod_container_status_ready{namespace="tributary", pod="tributary-0", container="tributary"} 0+0x20`,
			[]string{`kube_pod_container_status_ready{namespace="tributary", pod="tributary-0", container="tributary"} 0`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expr, ok := exprs[tc.alert]
			if !ok {
				t.Fatalf("alerts.yaml has no alert %s", tc.alert)
			}
			var script strings.Builder
			script.WriteString("load 1m\n")
			for _, line := range strings.Split(tc.series, "\n") {
				script.WriteString("  " + strings.TrimSpace(line) + "\n")
			}
			script.WriteString("\neval instant at 20m " + expr + "\n")
			for _, line := range tc.want {
				script.WriteString("  " + line + "\n")
			}
			promqltest.RunTest(t, script.String(), promqltest.NewTestEngine(t, false, 5*time.Minute, 100000))
		})
	}
}
