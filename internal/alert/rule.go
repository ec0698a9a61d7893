package alert

import (
	"fmt"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Severity is how bad an alert is. The zero value is SeverityOK.
type Severity int

// Severities, in increasing order.
const (
	SeverityOK       Severity = iota // no alert
	SeverityWarning                  // look at it today
	SeverityCritical                 // look at it now
)

// String returns "ok", "warning" or "critical".
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityCritical:
		return "critical"
	}
	return "ok"
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Signal names a figure a rule watches.
type Signal string

// Signals. Ratios are fractions (0.8 = 80 %), durations seconds.
const (
	// SignalCacheHitRate is saved / (saved + computed) over the window.
	SignalCacheHitRate Signal = "cache_hit_rate"
	// SignalProviderErrorRate is failed / all provider attempts over the window.
	SignalProviderErrorRate Signal = "provider_error_rate"
	// SignalQueueDepth is the number of open jobs in the latest sample.
	SignalQueueDepth Signal = "queue_depth"
	// SignalMeanResponse is the mean HTTP response time in seconds over the window.
	SignalMeanResponse Signal = "mean_response_seconds"
	// SignalBudgetUse is spent / limit, per customer, in the latest sample.
	SignalBudgetUse Signal = "budget_use"
	// SignalEndpointDown is 1 for an endpoint that is down, else 0.
	SignalEndpointDown Signal = "endpoint_down"
	// SignalEndpointRateLimited counts an endpoint's 429 answers over the window.
	SignalEndpointRateLimited Signal = "endpoint_rate_limited"
)

// Rule is one alert rule: a signal, a warning and a critical threshold, and
// how to keep a flapping signal quiet.
type Rule struct {
	// Name identifies the rule in alerts and configuration.
	Name string `yaml:"name" json:"name"`
	// Signal is the figure watched.
	Signal Signal `yaml:"signal" json:"signal"`
	// Warning and Critical are the thresholds; nil leaves the level out.
	// The value is bad when above the threshold, or below it with Below.
	Warning  *float64 `yaml:"warning" json:"warning,omitempty"`
	Critical *float64 `yaml:"critical" json:"critical,omitempty"`
	// Below makes low values bad (the cache hit rate).
	Below bool `yaml:"below" json:"below,omitempty"`
	// Inclusive makes a value equal to a threshold bad (budget at 90 %).
	Inclusive bool `yaml:"inclusive" json:"inclusive,omitempty"`
	// Hysteresis is how far back past a threshold, in the signal's unit, a
	// value must go before its level is left. Default 0.
	Hysteresis float64 `yaml:"hysteresis" json:"hysteresis,omitempty"`
	// Window is the sliding window of rates and means. Default 5 min.
	Window time.Duration `yaml:"window" json:"window,omitempty"`
	// MinEvents is the fewest events (lookups, attempts, requests) in the
	// window for a rate or mean to count; with fewer the rule keeps its
	// state. Default 0.
	MinEvents int64 `yaml:"min_events" json:"min_events,omitempty"`
}

// Threshold returns a pointer to v, for Rule.Warning and Rule.Critical.
func Threshold(v float64) *float64 { return &v }

// The minimum samples of the default rules (see DefaultRules).
const (
	CacheHitRateMinEvents = 200
	RateMinEvents         = 50
)

// WindowDefault is a rule's window when none is configured.
const WindowDefault = 5 * time.Minute

// DefaultRules returns the plan's rules: critical when the cache hit rate
// is under 80 %, the provider error rate over 5 %, the queue over 1,000
// jobs, the mean response over 1 s, a customer's budget used up, an
// endpoint down or rate-limited; warning at a hit rate under 90 %, an error
// rate over 2 %, a queue over 500 jobs, a mean response over 500 ms and a
// customer at 90 % of its budget.
//
// Rates and means are judged only on a real sample: the cache hit rate
// from 200 work items in its 15 minutes (a fresh install's cold cache under
// light use says nothing, and little money is at stake below that), the
// error rate and mean response from 50 attempts or requests in 5 minutes.
// Fewer keep the rule where it is (GET /v1/alerts shows the reading as not
// judged).
func DefaultRules() []Rule {
	return []Rule{
		{Name: "cache_hit_rate", Signal: SignalCacheHitRate, Critical: Threshold(0.80), Warning: Threshold(0.90), Below: true, Hysteresis: 0.02, Window: 15 * time.Minute, MinEvents: CacheHitRateMinEvents},
		{Name: "provider_error_rate", Signal: SignalProviderErrorRate, Critical: Threshold(0.05), Warning: Threshold(0.02), Hysteresis: 0.005, Window: 5 * time.Minute, MinEvents: RateMinEvents},
		{Name: "queue_depth", Signal: SignalQueueDepth, Critical: Threshold(1000), Warning: Threshold(500), Hysteresis: 50},
		{Name: "mean_response", Signal: SignalMeanResponse, Critical: Threshold(1.0), Warning: Threshold(0.5), Hysteresis: 0.05, Window: 5 * time.Minute, MinEvents: RateMinEvents},
		{Name: "customer_budget", Signal: SignalBudgetUse, Critical: Threshold(1.0), Warning: Threshold(0.9), Inclusive: true, Hysteresis: 0.02},
		{Name: "endpoint_down", Signal: SignalEndpointDown, Critical: Threshold(1), Inclusive: true},
		{Name: "endpoint_rate_limited", Signal: SignalEndpointRateLimited, Critical: Threshold(1), Inclusive: true, Window: 5 * time.Minute},
	}
}

func (r Rule) window() time.Duration {
	if r.Window > 0 {
		return r.Window
	}
	return WindowDefault
}

// validate names the first bad field.
func (r Rule) validate() error {
	switch {
	case r.Name == "":
		return copydesk.Errorf(copydesk.EINVALID, "alert rule with signal %q has no name", r.Signal)
	case !knownSignal(r.Signal):
		return copydesk.Errorf(copydesk.EINVALID, "alert rule %q: signal %q is not one of cache_hit_rate, provider_error_rate, queue_depth, mean_response_seconds, budget_use, endpoint_down, endpoint_rate_limited", r.Name, r.Signal)
	case r.Warning == nil && r.Critical == nil:
		return copydesk.Errorf(copydesk.EINVALID, "alert rule %q has neither a warning nor a critical threshold", r.Name)
	case r.Hysteresis < 0:
		return copydesk.Errorf(copydesk.EINVALID, "alert rule %q: hysteresis cannot be negative, got %v", r.Name, r.Hysteresis)
	case r.Window < 0:
		return copydesk.Errorf(copydesk.EINVALID, "alert rule %q: window cannot be negative, got %s", r.Name, r.Window)
	case r.MinEvents < 0:
		return copydesk.Errorf(copydesk.EINVALID, "alert rule %q: min_events cannot be negative, got %d", r.Name, r.MinEvents)
	}
	if r.Warning != nil && r.Critical != nil {
		if (r.Below && *r.Critical > *r.Warning) || (!r.Below && *r.Critical < *r.Warning) {
			return copydesk.Errorf(copydesk.EINVALID, "alert rule %q: critical threshold %v is less severe than warning threshold %v", r.Name, *r.Critical, *r.Warning)
		}
	}
	return nil
}

func knownSignal(s Signal) bool {
	switch s {
	case SignalCacheHitRate, SignalProviderErrorRate, SignalQueueDepth, SignalMeanResponse,
		SignalBudgetUse, SignalEndpointDown, SignalEndpointRateLimited:
		return true
	}
	return false
}

// bad reports whether v is past threshold t; at is true when the state is
// already at this level or worse, which moves the threshold by the
// hysteresis toward the good side.
func (r Rule) bad(v, t float64, at bool) bool {
	if at {
		if r.Below {
			t += r.Hysteresis
		} else {
			t -= r.Hysteresis
		}
	}
	switch {
	case r.Below && r.Inclusive:
		return v <= t
	case r.Below:
		return v < t
	case r.Inclusive:
		return v >= t
	}
	return v > t
}

// level is the severity of value v given the current level cur.
func (r Rule) level(v float64, cur Severity) Severity {
	if r.Critical != nil && r.bad(v, *r.Critical, cur >= SeverityCritical) {
		return SeverityCritical
	}
	if r.Warning != nil && r.bad(v, *r.Warning, cur >= SeverityWarning) {
		return SeverityWarning
	}
	return SeverityOK
}

// threshold returns the threshold of severity s (0 for ok).
func (r Rule) threshold(s Severity) float64 {
	switch {
	case s == SeverityCritical && r.Critical != nil:
		return *r.Critical
	case s == SeverityWarning && r.Warning != nil:
		return *r.Warning
	}
	return 0
}

// describe says in words what the value of the signal is for subject.
func (r Rule) describe(subject string, v float64) string {
	switch r.Signal {
	case SignalCacheHitRate:
		return fmt.Sprintf("cache hit rate is %.1f%% over %s", v*100, r.window())
	case SignalProviderErrorRate:
		return fmt.Sprintf("provider error rate is %.1f%% over %s", v*100, r.window())
	case SignalQueueDepth:
		return fmt.Sprintf("queue holds %.0f open jobs", v)
	case SignalMeanResponse:
		return fmt.Sprintf("mean response time is %s over %s", time.Duration(v*float64(time.Second)).Round(time.Millisecond), r.window())
	case SignalBudgetUse:
		return fmt.Sprintf("customer %s has used %.0f%% of its budget", subject, v*100)
	case SignalEndpointDown:
		if v >= 1 {
			return fmt.Sprintf("provider endpoint %s is down (every key's circuit breaker open or key dead)", subject)
		}
		return fmt.Sprintf("provider endpoint %s is up", subject)
	case SignalEndpointRateLimited:
		return fmt.Sprintf("provider endpoint %s was rate-limited %.0f times in %s", subject, v, r.window())
	}
	return fmt.Sprintf("%s is %v", r.Signal, v)
}

// bound says the threshold crossed, in words.
func (r Rule) bound(s Severity) string {
	t := r.threshold(s)
	var ts string
	switch r.Signal {
	case SignalCacheHitRate, SignalProviderErrorRate, SignalBudgetUse:
		ts = fmt.Sprintf("%g%%", t*100)
	case SignalMeanResponse:
		ts = time.Duration(t * float64(time.Second)).String()
	default:
		ts = fmt.Sprintf("%g", t)
	}
	switch {
	case r.Below && r.Inclusive:
		return "at or under " + ts
	case r.Below:
		return "under " + ts
	case r.Inclusive:
		return "at or over " + ts
	}
	return "over " + ts
}

// RuleOverride changes a rule by name, for configuration files: nil fields
// keep the rule's value.
type RuleOverride struct {
	Name       string         `yaml:"name" json:"name"`
	Disabled   bool           `yaml:"disabled" json:"disabled,omitempty"`
	Warning    *float64       `yaml:"warning" json:"warning,omitempty"`
	Critical   *float64       `yaml:"critical" json:"critical,omitempty"`
	Hysteresis *float64       `yaml:"hysteresis" json:"hysteresis,omitempty"`
	Window     *time.Duration `yaml:"window" json:"window,omitempty"`
	MinEvents  *int64         `yaml:"min_events" json:"min_events,omitempty"`
	// NoWarning drops the warning level.
	NoWarning bool `yaml:"no_warning" json:"no_warning,omitempty"`
}

// ApplyOverrides returns a copy of rules with the overrides applied and
// the disabled rules left out. Returns EINVALID for an override naming no
// rule, or when a changed rule is no longer valid.
func ApplyOverrides(rules []Rule, overrides []RuleOverride) ([]Rule, error) {
	out := make([]Rule, len(rules))
	copy(out, rules)
	drop := map[string]bool{}
	for _, o := range overrides {
		i := -1
		for j := range out {
			if out[j].Name == o.Name {
				i = j
				break
			}
		}
		if i < 0 {
			names := make([]string, len(out))
			for j, r := range out {
				names[j] = r.Name
			}
			return nil, copydesk.Errorf(copydesk.EINVALID, "alert rule override %q names no rule; the rules are %v", o.Name, names)
		}
		r := &out[i]
		if o.Disabled {
			drop[r.Name] = true
		}
		if o.Warning != nil {
			r.Warning = Threshold(*o.Warning)
		}
		if o.NoWarning {
			r.Warning = nil
		}
		if o.Critical != nil {
			r.Critical = Threshold(*o.Critical)
		}
		if o.Hysteresis != nil {
			r.Hysteresis = *o.Hysteresis
		}
		if o.Window != nil {
			r.Window = *o.Window
		}
		if o.MinEvents != nil {
			r.MinEvents = *o.MinEvents
		}
		if err := r.validate(); err != nil {
			return nil, err
		}
	}
	kept := out[:0]
	for _, r := range out {
		if !drop[r.Name] {
			kept = append(kept, r)
		}
	}
	return kept, nil
}
