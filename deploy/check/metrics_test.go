package check

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-cdc/tributary/internal/metrics"
)

// metricDecl finds the metric names the code declares: in CounterOpts and
// GaugeOpts (Name: "..."), in prometheus.NewDesc("...") and in the sinks'
// counter("...") helpers.
var metricDecl = regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*|counter\(\s*)"(tributary_[a-z0-9_]+)"`)

// histogramDecl finds the histograms among them, whose series are the
// name's _bucket, _sum and _count.
var histogramDecl = regexp.MustCompile(`HistogramOpts\{Name:\s*"(tributary_[a-z0-9_]+)"`)

// externalMetrics are the names the rules may query that come from
// elsewhere, with where.
var externalMetrics = map[string]string{
	"up":                              "Prometheus, for every scrape target",
	"kube_pod_container_status_ready": "kube-state-metrics, on Kubernetes",
}

// knownMetrics returns every metric Tributary exports: the names declared
// in the code under internal/, and those of the Go and process collectors
// as the service's registry gathers them.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(repoRoot, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range metricDecl.FindAllStringSubmatch(string(data), -1) {
			known[m[1]] = true
		}
		for _, m := range histogramDecl.FindAllStringSubmatch(string(data), -1) {
			for _, series := range []string{"_bucket", "_sum", "_count"} {
				known[m[1]+series] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tributary_apply_lag_seconds", "tributary_changes_total", "tributary_checkpoints_total",
		"tributary_mysql_failed_total", "tributary_kinesis_records_sent_total", "tributary_mysql_apply_seconds_sum"} {
		if !known[name] {
			t.Fatalf("scanning internal/ did not find %s; the scan no longer matches how metrics are declared", name)
		}
	}
	families, err := metrics.New().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		known[f.GetName()] = true
	}
	if !known["process_resident_memory_bytes"] || !known["go_memstats_heap_inuse_bytes"] {
		t.Fatal("the registry has no process or Go collector metrics")
	}
	return known
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`(?:^|[^a-zA-Z0-9_:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	promKeywords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
		"group_left", "group_right", "inf", "nan", "Inf", "NaN"}
)

// queriedMetrics returns the metric names a PromQL expression selects:
// its identifiers that are not functions, aggregations, keywords, label
// names or inside strings, matchers and ranges.
func queriedMetrics(expr string) []string {
	expr = promString.ReplaceAllString(expr, `""`)
	expr = promMatchers.ReplaceAllString(expr, " ")
	expr = promRange.ReplaceAllString(expr, " ")
	expr = promGrouping.ReplaceAllString(expr, " ")
	var names []string
	for _, m := range promIdent.FindAllStringSubmatchIndex(expr, -1) {
		name := expr[m[2]:m[3]]
		rest := strings.TrimLeft(expr[m[3]:], " \t\n")
		if strings.HasPrefix(rest, "(") || slices.Contains(promKeywords, name) {
			continue
		}
		names = append(names, name)
	}
	return names
}

func TestQueriedMetrics(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up{job=~"tributary.*"} == 0`, []string{"up"}},
		{`max by (job, source) (tributary_apply_lag_seconds) > 60`, []string{"tributary_apply_lag_seconds"}},
		{`sum by (sink) (rate(a_total{x="y"}[$__rate_interval])) / clamp_min(sum without (z) (rate(b_total[5m])), 1)`, []string{"a_total", "b_total"}},
		{"increase(c_total[10m]) == 0\nand on (job, instance)\n(d_total > 1e3 or e offset 5m)", []string{"c_total", "d_total", "e"}},
		{`process_resident_memory_bytes > 900 * 1024 * 1024`, []string{"process_resident_memory_bytes"}},
	} {
		if got := queriedMetrics(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("queriedMetrics(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// checkQueried fails for each metric an expression queries that is
// neither Tributary's nor in allowed.
func checkQueried(t *testing.T, known map[string]bool, allowed map[string]string, where, expr string) int {
	t.Helper()
	names := queriedMetrics(expr)
	for _, name := range names {
		if !known[name] && allowed[name] == "" {
			t.Errorf("%s queries %s, which Tributary does not export: %s", where, name, expr)
		}
	}
	return len(names)
}

func TestDashboardMetricsExist(t *testing.T) {
	known := knownMetrics(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy/monitoring/grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Error("the dashboard needs a title and a uid")
	}
	// The dashboard shows Tributary only: up is the one outside name.
	allowed := map[string]string{"up": externalMetrics["up"]}
	queried := map[string]bool{}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			if checkQueried(t, known, allowed, "panel "+p.Title, target.Expr) == 0 {
				t.Errorf("panel %s: %q queries no metric", p.Title, target.Expr)
			}
			for _, name := range queriedMetrics(target.Expr) {
				queried[name] = true
			}
		}
	}
	labelValues := regexp.MustCompile(`^label_values\(([^,]+),`)
	for _, v := range dash.Templating.List {
		if m := labelValues.FindStringSubmatch(v.Definition); m != nil {
			checkQueried(t, known, allowed, "variable "+v.Name, m[1])
		}
	}
	// What the dashboard is for.
	for _, name := range []string{"tributary_apply_lag_seconds", "tributary_changes_total", "tributary_checkpoints_total",
		"tributary_mysql_failed_total", "tributary_mysql_conflicts_total", "tributary_kinesis_records_retried_total",
		"process_resident_memory_bytes"} {
		if !queried[name] {
			t.Errorf("the dashboard does not chart %s", name)
		}
	}
}

func TestAlertMetricsExist(t *testing.T) {
	known := knownMetrics(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy/monitoring/alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	queried := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			checkQueried(t, known, externalMetrics, "alert "+r.Alert, r.Expr)
			for _, name := range queriedMetrics(r.Expr) {
				queried[name] = true
			}
		}
	}
	// What the rules must watch.
	for _, name := range []string{"up", "tributary_apply_lag_seconds", "tributary_checkpoints_total", "tributary_changes_total",
		"tributary_mysql_failed_total", "tributary_mysql_conflicts_total", "tributary_kinesis_records_retried_total"} {
		if !queried[name] {
			t.Errorf("no alert watches %s", name)
		}
	}
}
