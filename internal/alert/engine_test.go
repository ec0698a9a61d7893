package alert_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// Clock is a clock tests move by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now implements copydesk.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func NewClock(t time.Time) *Clock { return &Clock{now: t} }

var t0 = time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)

func MustEngine(tb testing.TB, cfg alert.Config) *alert.Engine {
	tb.Helper()
	e, err := alert.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Stop)
	return e
}

type level int

const (
	good level = iota
	warn
	crit
)

// workload keeps cumulative counters and builds samples where exactly one
// signal is at the level asked for and every other is healthy.
type workload struct {
	s copydesk.HealthSample
}

func (w *workload) sample(sig alert.Signal, l level) copydesk.HealthSample {
	pick := func(s alert.Signal, g, wv, c float64) float64 {
		if s != sig {
			return g
		}
		return [...]float64{g, wv, c}[l]
	}
	saved := int64(pick(alert.SignalCacheHitRate, 95, 85, 70))
	// 300 work items a sample: over the hit rate's minimum sample.
	w.s.CacheSaved += 3 * saved
	w.s.CacheComputed += 3 * (100 - saved)
	w.s.ProviderAttempts += 100
	w.s.ProviderErrors += int64(pick(alert.SignalProviderErrorRate, 1, 3, 10))
	w.s.Requests += 100
	w.s.RequestSeconds += 100 * pick(alert.SignalMeanResponse, 0.1, 0.7, 2)
	w.s.QueueDepth = int(pick(alert.SignalQueueDepth, 10, 700, 1500))
	w.s.Budgets = []copydesk.BudgetUse{{CustomerID: "acme", Limit: 1_000_000, Spent: copydesk.Micros(pick(alert.SignalBudgetUse, 500_000, 950_000, 1_000_000))}}
	rl := int64(0)
	if len(w.s.Endpoints) > 0 {
		rl = w.s.Endpoints[0].RateLimited
	}
	w.s.Endpoints = []copydesk.EndpointHealth{{Name: "openai-main", Down: pick(alert.SignalEndpointDown, 0, 0, 1) == 1, RateLimited: rl + int64(pick(alert.SignalEndpointRateLimited, 0, 0, 3))}}
	s := w.s
	s.Budgets = append([]copydesk.BudgetUse(nil), s.Budgets...)
	s.Endpoints = append([]copydesk.EndpointHealth(nil), s.Endpoints...)
	return s
}

type announced struct {
	sev   alert.Severity
	state alert.State
}

func TestDefaultRulesFireResolveAndCoolDown(t *testing.T) {
	t.Parallel()
	for _, r := range alert.DefaultRules() {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock(t0)
			e := MustEngine(t, alert.Config{Clock: clock, CoolDown: time.Hour})
			var w workload
			// A step as long as the longest window: each sample's window
			// holds exactly the events added since the previous one.
			const step = 15 * time.Minute
			steps := []level{good, crit, crit, good, crit, good}
			want := []announced{{alert.SeverityCritical, alert.StateFiring}, {alert.SeverityCritical, alert.StateResolved}}
			if r.Warning != nil {
				steps = append(steps, warn, crit)
				want = append(want, announced{alert.SeverityWarning, alert.StateFiring}, announced{alert.SeverityCritical, alert.StateFiring})
			}
			for i, l := range steps {
				clock.Add(step)
				e.Observe(w.sample(r.Signal, l))
				if i == 2 && len(e.Recent(0)) != 1 {
					t.Fatalf("after staying critical: got %d announcements, want 1 (fires once)", len(e.Recent(0)))
				}
				if i == 4 && len(e.Recent(0)) != 1 {
					t.Fatalf("back to good and bad again within the cool-down: got %d announcements, want 1", len(e.Recent(0)))
				}
			}
			var got []announced
			recent := e.Recent(0)
			for i := len(recent) - 1; i >= 0; i-- {
				a := recent[i]
				got = append(got, announced{a.Severity, a.State})
				if a.Rule != r.Name {
					t.Errorf("announcement %d is of rule %s, want only %s", i, a.Rule, r.Name)
				}
				if a.Summary == "" {
					t.Errorf("announcement %d has no summary", i)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("announcements: got %v, want %v", got, want)
			}
			// The resolution came at the first good sample after the cool-down.
			if res := recent[len(recent)-2]; !res.At.Equal(t0.Add(6 * step)) {
				t.Errorf("resolved at %s, want %s", res.At, t0.Add(6*step))
			}
			wantActive := 0
			if r.Warning != nil {
				wantActive = 1 // ended critical
			}
			if act := e.Active(); len(act) != wantActive || (wantActive == 1 && act[0].Severity != alert.SeverityCritical) {
				t.Errorf("Active: got %+v, want %d critical", act, wantActive)
			}
		})
	}
}

func TestHysteresis(t *testing.T) {
	t.Parallel()
	clock := NewClock(t0)
	rule := alert.Rule{Name: "hits", Signal: alert.SignalCacheHitRate, Below: true, Critical: alert.Threshold(0.80), Warning: alert.Threshold(0.90), Hysteresis: 0.02, Window: time.Minute}
	e := MustEngine(t, alert.Config{Clock: clock, Rules: []alert.Rule{rule}, CoolDown: time.Minute})
	var s copydesk.HealthSample
	e.Observe(s) // the baseline: a rate needs two samples
	feed := func(saved int64) {
		clock.Add(time.Hour) // past window and cool-down
		s.CacheSaved += saved
		s.CacheComputed += 100 - saved
		e.Observe(s)
	}
	for _, tt := range []struct {
		saved int64
		want  string // latest announcement
	}{
		{78, "critical firing"},
		{81, "critical firing"},  // within 2 points of 80 %: stays critical
		{81, "critical firing"},  // and again: no flapping
		{83, "warning firing"},   // past the margin: eases to warning
		{91, "warning firing"},   // within 2 points of 90 %: stays warning
		{92, "warning resolved"}, // past it: resolved
		{89, "warning firing"},   // under 90 % again fires at once
	} {
		feed(tt.saved)
		a := e.Recent(1)[0]
		if got := a.Severity.String() + " " + string(a.State); got != tt.want {
			t.Errorf("hit rate %d%%: got %q, want %q", tt.saved, got, tt.want)
		}
	}
	if n := len(e.Recent(0)); n != 4 {
		t.Errorf("got %d announcements, want 4", n)
	}
}

func TestMinEventsKeepsState(t *testing.T) {
	t.Parallel()
	clock := NewClock(t0)
	rule := alert.Rule{Name: "errors", Signal: alert.SignalProviderErrorRate, Critical: alert.Threshold(0.05), MinEvents: 20, Window: time.Minute}
	e := MustEngine(t, alert.Config{Clock: clock, Rules: []alert.Rule{rule}})
	e.Observe(copydesk.HealthSample{})
	clock.Add(time.Minute)
	e.Observe(copydesk.HealthSample{ProviderAttempts: 10, ProviderErrors: 5}) // 50 % of 10: too few to judge
	if n := len(e.Recent(0)); n != 0 {
		t.Fatalf("with 10 attempts: got %d alerts, want 0", n)
	}
	clock.Add(time.Minute)
	e.Observe(copydesk.HealthSample{ProviderAttempts: 40, ProviderErrors: 10})
	if n := len(e.Recent(0)); n != 1 {
		t.Fatalf("with 30 attempts, 5 failed: got %d alerts, want 1", n)
	}
	// A restart resets the counters: the increase is the new value.
	clock.Add(time.Hour)
	e.Observe(copydesk.HealthSample{ProviderAttempts: 100, ProviderErrors: 0})
	if a := e.Recent(1)[0]; a.State != alert.StateResolved {
		t.Errorf("after a counter reset with no errors: got %s, want resolved", a.State)
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	clock := NewClock(t0)
	e := MustEngine(t, alert.Config{Clock: clock, CoolDown: time.Minute})
	e.Observe(copydesk.HealthSample{QueueDepth: -1, Budgets: []copydesk.BudgetUse{
		{CustomerID: "a", Spent: 95, Limit: 100},
		{CustomerID: "b", Spent: 120, Limit: 100},
		{CustomerID: "c", Spent: 10, Limit: 100},
		{CustomerID: "d", Spent: 10_000}, // no limit
	}})
	act := e.Active()
	if len(act) != 2 || act[0].Subject != "b" || act[0].Severity != alert.SeverityCritical || act[1].Subject != "a" || act[1].Severity != alert.SeverityWarning {
		t.Fatalf("Active: got %+v, want b critical and a warning", act)
	}
	// A customer that disappears from the samples resolves after the cool-down.
	clock.Add(time.Hour)
	e.Observe(copydesk.HealthSample{QueueDepth: -1, Budgets: []copydesk.BudgetUse{{CustomerID: "a", Spent: 95, Limit: 100}}})
	if act := e.Active(); len(act) != 1 || act[0].Subject != "a" {
		t.Errorf("Active after b left: got %+v, want only a", act)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  alert.Config
	}{
		{"no name", alert.Config{Rules: []alert.Rule{{Signal: alert.SignalQueueDepth, Critical: alert.Threshold(1)}}}},
		{"unknown signal", alert.Config{Rules: []alert.Rule{{Name: "x", Signal: "cpu", Critical: alert.Threshold(1)}}}},
		{"no thresholds", alert.Config{Rules: []alert.Rule{{Name: "x", Signal: alert.SignalQueueDepth}}}},
		{"inverted thresholds", alert.Config{Rules: []alert.Rule{{Name: "x", Signal: alert.SignalQueueDepth, Critical: alert.Threshold(10), Warning: alert.Threshold(100)}}}},
		{"duplicate names", alert.Config{Rules: []alert.Rule{{Name: "x", Signal: alert.SignalQueueDepth, Critical: alert.Threshold(1)}, {Name: "x", Signal: alert.SignalQueueDepth, Critical: alert.Threshold(1)}}}},
		{"digest hour", alert.Config{DigestHour: 24}},
		{"webhook URL", alert.Config{Notifiers: []alert.Notifier{&alert.Webhook{URL: "ftp://x"}}}},
		{"webhook format", alert.Config{Notifiers: []alert.Notifier{&alert.Webhook{URL: "https://x", Format: "xml"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alert.New(tt.cfg)
			if got := copydesk.ErrorCode(err); got != copydesk.EINVALID {
				t.Errorf("got code %q (%v), want %q", got, err, copydesk.EINVALID)
			}
		})
	}
}
