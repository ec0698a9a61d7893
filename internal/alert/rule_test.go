package alert_test

import (
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
	"go.yaml.in/yaml/v3"
)

func TestApplyOverridesFromYAML(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Rules []alert.RuleOverride `yaml:"rules"`
	}
	src := `
rules:
  - name: queue_depth
    critical: 5000
    warning: 2000
  - name: cache_hit_rate
    window: 1h
    min_events: 500
  - name: endpoint_rate_limited
    disabled: true
  - name: mean_response
    no_warning: true
`
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	rules, err := alert.ApplyOverrides(alert.DefaultRules(), cfg.Rules)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]alert.Rule{}
	for _, r := range rules {
		byName[r.Name] = r
	}
	if _, ok := byName["endpoint_rate_limited"]; ok || len(rules) != len(alert.DefaultRules())-1 {
		t.Errorf("disabled rule kept: got %d rules", len(rules))
	}
	if q := byName["queue_depth"]; *q.Critical != 5000 || *q.Warning != 2000 {
		t.Errorf("queue_depth: got critical %v warning %v, want 5000 and 2000", *q.Critical, *q.Warning)
	}
	if c := byName["cache_hit_rate"]; c.Window != time.Hour || c.MinEvents != 500 || *c.Critical != 0.8 {
		t.Errorf("cache_hit_rate: got window %s, min %d, critical %v; want 1h, 500, 0.8 kept", c.Window, c.MinEvents, *c.Critical)
	}
	if m := byName["mean_response"]; m.Warning != nil {
		t.Errorf("mean_response: warning %v kept, want none", *m.Warning)
	}
	// The defaults are untouched.
	if d := alert.DefaultRules()[2]; *d.Critical != 1000 {
		t.Errorf("DefaultRules changed: queue critical %v", *d.Critical)
	}
	if _, err := alert.New(alert.Config{Rules: rules}); err != nil {
		t.Errorf("engine with overridden rules: %v", err)
	}
}

func TestApplyOverridesErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		o    alert.RuleOverride
	}{
		{"unknown rule", alert.RuleOverride{Name: "cpu"}},
		{"warning worse than critical", alert.RuleOverride{Name: "queue_depth", Warning: alert.Threshold(5000)}},
		{"negative window", alert.RuleOverride{Name: "cache_hit_rate", Window: new(time.Duration(-1))}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alert.ApplyOverrides(alert.DefaultRules(), []alert.RuleOverride{tt.o})
			if copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Errorf("got %v, want %s", err, copydesk.EINVALID)
			}
		})
	}
}
