// Package monitoring_test parses the alert rules with Prometheus's own
// rule loader (as promtool check rules does: fields, PromQL, templates)
// and every query of the Grafana dashboard with Prometheus's PromQL
// parser, and evaluates the alerts over made-up series with its engine.
// It is a module of its own so that Prometheus stays out of
// Tributary's go.mod; make test runs it. That every metric they name
// exists is checked by deploy/check.
package monitoring_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func TestAlertRulesLoad(t *testing.T) {
	groups, errs := rulefmt.ParseFile("alerts.yaml", false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		return
	}
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" {
				t.Errorf("group %s: a rule without alert:; this file holds alerts only", g.Name)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: wants a severity label and summary and description annotations", r.Alert)
			}
		}
	}
	if n == 0 {
		t.Error("alerts.yaml holds no rules")
	}
}

// grafanaVars are the dashboard's variables as Grafana would substitute
// them before sending a query.
var grafanaVars = strings.NewReplacer("$__rate_interval", "1m", "$job", ".*", "$instance", ".*")

func TestDashboardQueriesParse(t *testing.T) {
	data, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	p := parser.NewParser(parser.Options{})
	n := 0
	for _, panel := range dash.Panels {
		for _, target := range panel.Targets {
			n++
			q := grafanaVars.Replace(target.Expr)
			if _, err := p.ParseExpr(q); err != nil {
				t.Errorf("panel %q: %s: %v", panel.Title, target.Expr, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("the dashboard has no queries")
	}
	// Variables: label_values(SELECTOR, label), whose selector must parse.
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
	for _, v := range dash.Templating.List {
		q, ok := v.Query.(map[string]any)
		if !ok {
			continue
		}
		s, _ := q["query"].(string)
		m := labelValues.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(SELECTOR, LABEL)", v.Name, s)
			continue
		}
		if _, err := p.ParseMetricSelector(grafanaVars.Replace(m[1])); err != nil {
			t.Errorf("variable %s: %s: %v", v.Name, m[1], err)
		}
	}
}
