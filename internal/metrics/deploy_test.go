package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/metrics"
	"go.yaml.in/yaml/v3"
)

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	histSuffixes  = []string{"_bucket", "_sum", "_count"}
	wantSeverites = []string{"critical", "warning"}
)

// metricNames returns the metric names a PromQL expression selects: the
// identifiers with an underscore left after removing strings, label
// matchers, ranges and grouping clauses, that are not function calls.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		id := s[loc[0]:loc[1]]
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if !strings.Contains(id, "_") || strings.HasPrefix(rest, "(") {
			continue
		}
		out = append(out, id)
	}
	return out
}

// known reports whether name is a family of Names, or a histogram series of one.
func known(names []string, name string) bool {
	if slices.Contains(names, name) {
		return true
	}
	for _, suf := range histSuffixes {
		if base, ok := strings.CutSuffix(name, suf); ok && slices.Contains(names, base) {
			return true
		}
	}
	return false
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	got := metricNames(`histogram_quantile(0.99, sum by (le, route) (rate(copydesk_http_request_duration_seconds_bucket{code=~"5xx|4_xx"}[5m]))) / clamp_min(sum(copydesk_queue_jobs), 1) and on (x_y) up_metric`)
	want := []string{"copydesk_http_request_duration_seconds_bucket", "copydesk_queue_jobs", "up_metric"}
	if !slices.Equal(got, want) {
		t.Errorf("metricNames: got %v, want %v", got, want)
	}
}

// TestPrometheusAlertRules parses deploy/prometheus/alerts.yml: every
// metric used exists, and the alerts are the built-in rules, each level
// once, with its threshold.
func TestPrometheusAlertRules(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatalf("alerts.yml does not parse: %v", err)
	}
	names := metrics.Names()
	seen := map[string]string{} // rule/severity → expr
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q in group %s: alert, expr and a summary annotation are required", r.Alert, g.Name)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			used := metricNames(r.Expr)
			if len(used) == 0 {
				t.Errorf("%s: expr uses no metric", r.Alert)
			}
			for _, n := range used {
				if !known(names, n) {
					t.Errorf("%s: expr uses %s, which Copydesk does not expose", r.Alert, n)
				}
			}
			if !slices.Contains(wantSeverites, r.Labels["severity"]) {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, r.Labels["severity"])
			}
			key := r.Labels["rule"] + "/" + r.Labels["severity"]
			if _, dup := seen[key]; dup {
				t.Errorf("%s: a second alert for %s", r.Alert, key)
			}
			seen[key] = r.Expr
		}
	}
	for _, r := range alert.DefaultRules() {
		for _, lv := range []struct {
			sev string
			th  *float64
		}{{"critical", r.Critical}, {"warning", r.Warning}} {
			expr, ok := seen[r.Name+"/"+lv.sev]
			delete(seen, r.Name+"/"+lv.sev)
			switch {
			case lv.th == nil && ok:
				t.Errorf("alerts.yml has %s %s; the built-in rule has no such level", r.Name, lv.sev)
			case lv.th != nil && !ok:
				t.Errorf("alerts.yml lacks the built-in rule %s at %s", r.Name, lv.sev)
			case ok && r.Signal != alert.SignalEndpointDown && !strings.Contains(expr, strconv.FormatFloat(*lv.th, 'g', -1, 64)):
				t.Errorf("alerts.yml %s %s: threshold %v not in %q", r.Name, lv.sev, *lv.th, expr)
			case ok && r.MinEvents > 0 && !strings.Contains(expr, ">= "+strconv.FormatInt(r.MinEvents, 10)+"\n") && !strings.HasSuffix(expr, ">= "+strconv.FormatInt(r.MinEvents, 10)):
				t.Errorf("alerts.yml %s %s: the minimum sample \">= %d\" is not in %q", r.Name, lv.sev, r.MinEvents, expr)
			}
		}
	}
	for key := range seen {
		t.Errorf("alerts.yml has %s, which is no built-in rule", key)
	}
}

// TestGrafanaDashboard parses deploy/grafana/copydesk.json and checks
// every query uses only metrics Copydesk exposes.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/grafana/copydesk.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard does not parse: %v", err)
	}
	if dash["title"] == "" || dash["uid"] == "" {
		t.Error("dashboard needs a title and a uid")
	}
	names := metrics.Names()
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if e, ok := v["expr"].(string); ok {
				exprs = append(exprs, e)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(dash)
	if len(exprs) < 20 {
		t.Fatalf("dashboard has %d queries, want at least 20", len(exprs))
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricNames(e) {
			if !known(names, n) {
				t.Errorf("dashboard query %q uses %s, which Copydesk does not expose", e, n)
			}
			for _, suf := range histSuffixes {
				n = strings.TrimSuffix(n, suf)
			}
			used[n] = true
		}
	}
	// Every figure is on the dashboard.
	for _, n := range names {
		if !used[n] && n != "copydesk_sse_streams_total" && n != "copydesk_cache_expirations_total" && n != "copydesk_cache_cost_spent_micros_total" && n != "copydesk_cache_provider_calls_total" && n != "copydesk_customer_budget_spent_micros" && n != "copydesk_customer_budget_limit_micros" {
			t.Errorf("metric %s is on no dashboard panel", n)
		}
	}
}
