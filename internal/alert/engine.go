// Package alert evaluates Copydesk's alert rules over sliding windows of
// samples, with hysteresis and a cool-down so a flapping signal does not
// spam, builds the daily digest from the cost ledger, and delivers both to
// webhooks (Slack-compatible or generic JSON), to the log and to an
// in-memory list the UI reads. Delivery never blocks the caller.
package alert

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Defaults of Config.
const (
	CoolDownDefault    = 10 * time.Minute
	IntervalDefault    = 15 * time.Second
	KeepDefault        = 200
	MaxDeliveryDefault = 16
	DeliveryTimeout    = 30 * time.Second
)

// State is whether an alert notification announces a problem or its end.
type State string

// Alert states.
const (
	StateFiring   State = "firing"
	StateResolved State = "resolved"
)

// Alert is one announced change of a rule's level for one subject.
type Alert struct {
	// Rule is the rule's name; Signal its signal.
	Rule   string `json:"rule"`
	Signal Signal `json:"signal"`
	// Subject is the customer or endpoint the alert is about; "" for the
	// whole instance.
	Subject string `json:"subject,omitempty"`
	// Severity is the level announced; for a resolved alert, the level
	// that ended.
	Severity Severity `json:"severity"`
	// State is firing or resolved.
	State State `json:"state"`
	// Value is the signal's value; Threshold the one crossed.
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Summary says it in one sentence.
	Summary string `json:"summary"`
	// At is when it was announced.
	At time.Time `json:"at"`
}

// Notification is what a Notifier delivers: an alert or a digest.
type Notification struct {
	Alert  *Alert  `json:"alert,omitempty"`
	Digest *Digest `json:"digest,omitempty"`
}

// Notifier delivers notifications (a webhook, the log). The engine calls it
// on a goroutine of its own with a deadline, never on the caller's.
type Notifier interface {
	// Notify delivers n. An error is logged by the engine.
	Notify(ctx context.Context, n Notification) error
}

// Config configures an Engine.
type Config struct {
	// Rules are the rules evaluated. Default DefaultRules().
	Rules []Rule
	// CoolDown is the least time between an announcement of a rule and
	// subject and the announcement that it eased or resolved. An
	// escalation is announced at once. Default 10 min.
	CoolDown time.Duration
	// Source reads a sample on each tick of Start's loop (e.g.
	// metrics.(*Metrics).AlertSample). Nil: only Observe feeds the engine.
	Source func(ctx context.Context) (copydesk.HealthSample, error)
	// Interval is how often Start's loop ticks. Default 15 s.
	Interval time.Duration
	// Ledger supplies usage records for the daily digest. Nil: no digest.
	Ledger LedgerSource
	// CostPerPage, when set, adds the cost per 1,000 pages by kind and
	// service tier over the digest's period (ledger.Reader.CostPerPage).
	CostPerPage func(ctx context.Context, from, to time.Time) (any, error)
	// DigestHour is the hour (0-23, in Location) the daily digest is built
	// for the 24 hours before it; -1 turns the scheduled digest off.
	// Default 0 (midnight).
	DigestHour int
	// Location is the time zone of DigestHour. Default UTC.
	Location *time.Location
	// Notifiers receive every alert and digest.
	Notifiers []Notifier
	// Keep is how many alerts Recent can return. Default 200.
	Keep int
	// MaxDeliveries bounds deliveries in flight; beyond it a notification
	// is dropped (and logged) rather than block. Default 16.
	MaxDeliveries int
	// Logger receives delivery failures. Default: discard.
	Logger *slog.Logger
	// Clock tells the time. Default copydesk.SystemClock.
	Clock copydesk.Clock
}

func (c Config) withDefaults() Config {
	if c.Rules == nil {
		c.Rules = DefaultRules()
	}
	c.CoolDown = cmp.Or(c.CoolDown, CoolDownDefault)
	c.Interval = cmp.Or(c.Interval, IntervalDefault)
	c.Keep = cmp.Or(c.Keep, KeepDefault)
	c.MaxDeliveries = cmp.Or(c.MaxDeliveries, MaxDeliveryDefault)
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = copydesk.SystemClock{}
	}
	return c
}

func (c Config) validate() error {
	names := map[string]bool{}
	for _, r := range c.Rules {
		if err := r.validate(); err != nil {
			return err
		}
		if names[r.Name] {
			return copydesk.Errorf(copydesk.EINVALID, "alert rule name %q is used twice; rule names must be unique", r.Name)
		}
		names[r.Name] = true
	}
	for _, n := range c.Notifiers {
		if v, ok := n.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return err
			}
		}
	}
	switch {
	case c.CoolDown < 0:
		return copydesk.Errorf(copydesk.EINVALID, "alert CoolDown cannot be negative, got %s", c.CoolDown)
	case c.Interval < 0:
		return copydesk.Errorf(copydesk.EINVALID, "alert Interval cannot be negative, got %s", c.Interval)
	case c.DigestHour < -1 || c.DigestHour > 23:
		return copydesk.Errorf(copydesk.EINVALID, "alert DigestHour must be between 0 and 23 (or -1 for no digest), got %d", c.DigestHour)
	case c.Keep < 0 || c.MaxDeliveries < 0:
		return copydesk.Errorf(copydesk.EINVALID, "alert Keep and MaxDeliveries cannot be negative")
	}
	return nil
}

// ruleState is where one rule stands for one subject.
type ruleState struct {
	level       Severity  // evaluated level
	announced   Severity  // level last announced
	announcedAt time.Time // when
	value       float64
	alert       *Alert // the firing alert, nil when announced is ok
}

// Engine evaluates the rules and delivers alerts and digests. Its methods
// are safe for concurrent use.
type Engine struct {
	cfg Config

	mu         sync.Mutex
	samples    []copydesk.HealthSample
	states     map[string]map[string]*ruleState // rule name → subject → state
	recent     []Alert                          // ring, oldest first
	digest     *Digest                          // the last scheduled digest
	nextDigest time.Time
	digestBase *copydesk.HealthSample // the sample taken at the last digest
	started    time.Time              // when New ran
	readings   []Reading              // of the last sample, in rule order

	deliverCtx context.Context
	cancel     context.CancelFunc
	sem        chan struct{}
	wg         sync.WaitGroup // deliveries in flight; Add under mu
	stopped    bool           // under mu
	stop       chan struct{}  // closed by Stop
	loopDone   chan struct{}  // under mu; nil until Start
	stopOnce   sync.Once
}

// New returns an engine. Returns EINVALID for a bad configuration.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:    cfg,
		states: make(map[string]map[string]*ruleState),
		sem:    make(chan struct{}, cfg.MaxDeliveries),
		stop:   make(chan struct{}),
	}
	e.deliverCtx, e.cancel = context.WithCancel(context.Background())
	e.started = cfg.Clock.Now()
	if cfg.Ledger != nil && cfg.DigestHour >= 0 {
		e.nextDigest = nextDigestAt(cfg.Clock.Now(), cfg.DigestHour, cfg.Location)
	}
	return e, nil
}

// nextDigestAt returns the first time strictly after now at hour:00 in loc.
func nextDigestAt(now time.Time, hour int, loc *time.Location) time.Time {
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), hour, 0, 0, 0, loc)
	for !t.After(now) {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, hour, 0, 0, 0, loc)
	}
	return t
}

// Start runs the loop that reads Config.Source (at once, then every
// Interval) and builds the scheduled digest, until ctx ends or Stop is
// called. It returns at once; a second call does nothing.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.loopDone != nil || e.stopped {
		return nil
	}
	done := make(chan struct{})
	e.loopDone = done
	go func() {
		defer func() {
			// Ended by ctx (a lost leadership): Start may run it again.
			e.mu.Lock()
			if e.loopDone == done {
				e.loopDone = nil
			}
			e.mu.Unlock()
			close(done)
		}()
		// A first sample at once: the baseline of every window, so that
		// the first windows count the work done since the start, not
		// since the first tick.
		e.Tick(ctx)
		t := time.NewTicker(e.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-e.stop:
				return
			case <-t.C:
				e.Tick(ctx)
			}
		}
	}()
	return nil
}

// Stop ends the loop and waits for deliveries in flight (each bounded by
// its notifier's timeout). Later notifications are not delivered. Calling
// it twice is fine.
func (e *Engine) Stop() {
	e.stopOnce.Do(func() {
		e.mu.Lock()
		e.stopped = true
		done := e.loopDone
		e.mu.Unlock()
		close(e.stop)
		if done != nil {
			<-done
		}
		e.wg.Wait()
		e.cancel()
	})
}

// Running reports whether the loop Start began is running (on a cluster's
// leader only).
func (e *Engine) Running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loopDone != nil
}

// Tick reads a sample from Config.Source (if set), evaluates it, and builds
// and delivers the daily digest when its hour has come. Start's loop calls
// it; tests call it directly with a moved clock.
func (e *Engine) Tick(ctx context.Context) {
	if e.cfg.Source != nil {
		s, err := e.cfg.Source(ctx)
		if err != nil {
			e.cfg.Logger.WarnContext(ctx, "alert sample unavailable", "error", err)
		} else {
			e.Observe(s)
		}
	}
	e.maybeDigest(ctx)
}

// Observe evaluates the rules with a new sample and announces every change
// of level: escalations at once, easing and resolution once the cool-down
// since the last announcement has passed.
func (e *Engine) Observe(s copydesk.HealthSample) {
	now := e.cfg.Clock.Now()
	if s.At.IsZero() {
		s.At = now
	}
	e.mu.Lock()
	e.samples = append(e.samples, s)
	e.prune(s.At)
	var out []Alert
	e.readings = e.readings[:0]
	for _, r := range e.cfg.Rules {
		values, events, ok := e.values(r, s)
		e.read(r, values, events, ok, s.At)
		if !ok {
			continue
		}
		states := e.states[r.Name]
		if states == nil {
			states = make(map[string]*ruleState)
			e.states[r.Name] = states
		}
		for subject, st := range states {
			if _, present := values[subject]; !present {
				e.step(r, subject, st, SeverityOK, st.value, now, &out)
			}
		}
		for _, subject := range sortedKeys(values) {
			v := values[subject]
			st := states[subject]
			if st == nil {
				st = &ruleState{}
				states[subject] = st
			}
			st.value = v
			e.step(r, subject, st, r.level(v, st.level), v, now, &out)
		}
		for subject, st := range states {
			if st.level == SeverityOK && st.announced == SeverityOK {
				delete(states, subject)
			}
		}
	}
	for _, a := range out {
		e.remember(a)
	}
	e.mu.Unlock()
	for i := range out {
		e.deliver(Notification{Alert: &out[i]})
	}
}

// step moves one rule and subject to level and queues an announcement in
// out when due.
func (e *Engine) step(r Rule, subject string, st *ruleState, level Severity, v float64, now time.Time, out *[]Alert) {
	st.level = level
	switch {
	case level == st.announced:
		return
	case level < st.announced && now.Sub(st.announcedAt) < e.cfg.CoolDown:
		return // easing waits for the cool-down
	}
	a := Alert{Rule: r.Name, Signal: r.Signal, Subject: subject, Severity: level, State: StateFiring,
		Value: v, Threshold: r.threshold(level), At: now}
	if level == SeverityOK {
		a.State, a.Severity, a.Threshold = StateResolved, st.announced, r.threshold(st.announced)
		a.Summary = "resolved: " + r.describe(subject, v)
		st.alert = nil
	} else {
		a.Summary = fmt.Sprintf("%s: %s, %s", level, r.describe(subject, v), r.bound(level))
		st.alert = &a
	}
	st.announced, st.announcedAt = level, now
	*out = append(*out, a)
}

// Reading is what a rule read in the latest sample, for one subject: the
// figure a dashboard shows beside the rule's alerts (GET /v1/alerts
// "readings"), so that both read the same number.
type Reading struct {
	Rule    string  `json:"rule"`
	Signal  Signal  `json:"signal"`
	Subject string  `json:"subject,omitempty"`
	Value   float64 `json:"value"`
	// Events counts the lookups, attempts or requests in the window of a
	// rate or mean (-1 for the other signals); MinEvents is the rule's
	// minimum sample. Judged is false when the window held too few events
	// (the rule then keeps its state) — Value is still the window's figure.
	Events    int64   `json:"events"`
	MinEvents int64   `json:"min_events"`
	Judged    bool    `json:"judged"`
	Window    float64 `json:"window_seconds,omitempty"`
	// Level is the rule's evaluated level for the subject.
	Level Severity  `json:"level"`
	At    time.Time `json:"at"`
}

// read records the rule's readings of the latest sample. Called with e.mu
// held.
func (e *Engine) read(r Rule, values map[string]float64, events int64, ok bool, at time.Time) {
	win := 0.0
	if events >= 0 {
		win = r.window().Seconds()
	}
	if !ok && events >= 0 {
		// Too few events: the figure the window holds anyway.
		values = map[string]float64{"": e.partial(r, events)}
	}
	for _, subject := range sortedKeys(values) {
		rd := Reading{Rule: r.Name, Signal: r.Signal, Subject: subject, Value: values[subject], Events: events,
			MinEvents: r.MinEvents, Judged: ok, Window: win, At: at}
		if st := e.states[r.Name][subject]; st != nil && ok {
			rd.Level = st.level
		}
		e.readings = append(e.readings, rd)
	}
}

// partial is the figure of a windowed ratio signal whatever the number of
// events (0 without any).
func (e *Engine) partial(r Rule, events int64) float64 {
	if events == 0 || len(e.samples) == 0 {
		return 0
	}
	cur := e.samples[len(e.samples)-1]
	base := e.base(cur.At.Add(-r.window()))
	switch r.Signal {
	case SignalCacheHitRate:
		return float64(increase(base.CacheSaved, cur.CacheSaved)) / float64(events)
	case SignalProviderErrorRate:
		return float64(increase(base.ProviderErrors, cur.ProviderErrors)) / float64(events)
	case SignalMeanResponse:
		secs := cur.RequestSeconds - base.RequestSeconds
		if cur.Requests < base.Requests || secs < 0 {
			secs = cur.RequestSeconds
		}
		return secs / float64(events)
	}
	return 0
}

// Readings returns what every rule read in the latest sample, in rule
// order, then by subject.
func (e *Engine) Readings() []Reading {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := slices.Clone(e.readings)
	for i := range out {
		if st := e.states[out[i].Rule][out[i].Subject]; st != nil && out[i].Judged {
			out[i].Level = st.level
		}
	}
	return out
}

// values computes the rule's signal per subject and, for a rate or mean,
// the number of events in its window (-1 for the other signals). ok is
// false when the window holds too few events to judge.
func (e *Engine) values(r Rule, cur copydesk.HealthSample) (map[string]float64, int64, bool) {
	switch r.Signal {
	case SignalQueueDepth:
		if cur.QueueDepth < 0 {
			return nil, -1, false
		}
		return map[string]float64{"": float64(cur.QueueDepth)}, -1, true
	case SignalBudgetUse:
		m := make(map[string]float64, len(cur.Budgets))
		for _, b := range cur.Budgets {
			if b.Limit > 0 {
				m[b.CustomerID] = float64(b.Spent) / float64(b.Limit)
			}
		}
		return m, -1, true
	case SignalEndpointDown:
		m := make(map[string]float64, len(cur.Endpoints))
		for _, ep := range cur.Endpoints {
			m[ep.Name] = 0
			if ep.Down {
				m[ep.Name] = 1
			}
		}
		return m, -1, true
	}
	base := e.base(cur.At.Add(-r.window()))
	switch r.Signal {
	case SignalCacheHitRate:
		saved, computed := increase(base.CacheSaved, cur.CacheSaved), increase(base.CacheComputed, cur.CacheComputed)
		m, ok := ratio(saved, saved+computed, r.MinEvents)
		return m, saved + computed, ok
	case SignalProviderErrorRate:
		n := increase(base.ProviderAttempts, cur.ProviderAttempts)
		m, ok := ratio(increase(base.ProviderErrors, cur.ProviderErrors), n, r.MinEvents)
		return m, n, ok
	case SignalMeanResponse:
		n := increase(base.Requests, cur.Requests)
		if n == 0 || n < r.MinEvents {
			return nil, n, false
		}
		secs := cur.RequestSeconds - base.RequestSeconds
		if cur.Requests < base.Requests || secs < 0 {
			secs = cur.RequestSeconds
		}
		return map[string]float64{"": secs / float64(n)}, n, true
	case SignalEndpointRateLimited:
		prev := make(map[string]int64, len(base.Endpoints))
		for _, ep := range base.Endpoints {
			prev[ep.Name] = ep.RateLimited
		}
		m := make(map[string]float64, len(cur.Endpoints))
		for _, ep := range cur.Endpoints {
			m[ep.Name] = float64(increase(prev[ep.Name], ep.RateLimited))
		}
		return m, -1, true
	}
	return nil, -1, false
}

func ratio(num, den, minEvents int64) (map[string]float64, bool) {
	if den == 0 || den < minEvents {
		return nil, false
	}
	return map[string]float64{"": float64(num) / float64(den)}, true
}

// increase is cur - base, or cur after a counter reset (a restart).
func increase(base, cur int64) int64 {
	if cur < base {
		return cur
	}
	return cur - base
}

// base returns the baseline of a window starting at from: the newest
// sample taken at or before from, or the oldest kept when the history is
// shorter than the window. Called with e.mu held and samples non-empty.
func (e *Engine) base(from time.Time) copydesk.HealthSample {
	b := e.samples[0]
	for _, s := range e.samples {
		if s.At.After(from) {
			break
		}
		b = s
	}
	return b
}

// prune drops samples no window needs: it keeps the newest one at or
// before now - the longest window, and all after it.
func (e *Engine) prune(now time.Time) {
	var longest time.Duration
	for _, r := range e.cfg.Rules {
		longest = max(longest, r.window())
	}
	from := now.Add(-longest)
	i := 0
	for i+1 < len(e.samples) && !e.samples[i+1].At.After(from) {
		i++
	}
	if i > 0 {
		e.samples = slices.Delete(e.samples, 0, i)
	}
}

// remember adds an alert to the list Recent reads. Called with e.mu held.
func (e *Engine) remember(a Alert) {
	if len(e.recent) >= e.cfg.Keep {
		e.recent = slices.Delete(e.recent, 0, len(e.recent)-e.cfg.Keep+1)
	}
	e.recent = append(e.recent, a)
}

// Recent returns up to n of the latest announcements, newest first; n <= 0
// returns all kept.
func (e *Engine) Recent(n int) []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n <= 0 || n > len(e.recent) {
		n = len(e.recent)
	}
	out := make([]Alert, 0, n)
	for i := len(e.recent) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, e.recent[i])
	}
	return out
}

// Active returns the alerts firing now (as last announced), most severe
// first, then by rule and subject.
func (e *Engine) Active() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alert
	for _, states := range e.states {
		for _, st := range states {
			if st.alert != nil {
				out = append(out, *st.alert)
			}
		}
	}
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Subject, b.Subject))
	})
	return out
}

// deliver hands n to every notifier on goroutines of their own. When
// MaxDeliveries are already in flight, or the engine is stopped, n is
// dropped for that notifier and the drop logged.
func (e *Engine) deliver(n Notification) {
	for _, nt := range e.cfg.Notifiers {
		e.mu.Lock()
		if e.stopped {
			e.mu.Unlock()
			e.cfg.Logger.Warn("alert notification dropped: engine stopped", "kind", n.kind())
			return
		}
		select {
		case e.sem <- struct{}{}:
		default:
			e.mu.Unlock()
			e.cfg.Logger.Warn("alert notification dropped: too many deliveries in flight", "kind", n.kind(), "max", e.cfg.MaxDeliveries)
			continue
		}
		e.wg.Add(1)
		e.mu.Unlock()
		go func() {
			defer func() { <-e.sem; e.wg.Done() }()
			ctx, cancel := context.WithTimeout(e.deliverCtx, DeliveryTimeout)
			defer cancel()
			if err := nt.Notify(ctx, n); err != nil {
				e.cfg.Logger.Warn("alert notification failed", "kind", n.kind(), "error", err)
			}
		}()
	}
}

func (n Notification) kind() string {
	if n.Digest != nil {
		return "digest"
	}
	return "alert"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// RuleView is a rule as the operator pages show it: its thresholds, with
// the window in seconds.
type RuleView struct {
	Rule
	WindowSeconds float64 `json:"window_seconds"`
}

// Rules returns the rules the engine evaluates, in order.
func (e *Engine) Rules() []RuleView {
	out := make([]RuleView, len(e.cfg.Rules))
	for i, r := range e.cfg.Rules {
		out[i] = RuleView{Rule: r, WindowSeconds: r.Window.Seconds()}
		out[i].Window = 0 // shown in seconds
	}
	return out
}

// NotifierView is a notifier as the operator pages show it: a webhook's
// name, format and host, never its URL (a secret: Slack's holds a token).
type NotifierView struct {
	Name   string `json:"name"`
	Format string `json:"format"`
	Host   string `json:"host,omitempty"`
}

// Notifiers describes where alerts and digests go.
func (e *Engine) Notifiers() []NotifierView {
	out := []NotifierView{}
	for _, n := range e.cfg.Notifiers {
		v := NotifierView{Name: fmt.Sprintf("%T", n)}
		if w, ok := n.(*Webhook); ok {
			v = NotifierView{Name: cmp.Or(w.Name, "webhook"), Format: cmp.Or(w.Format, FormatJSON)}
			if u, err := url.Parse(w.URL); err == nil {
				v.Host = u.Hostname()
			}
		}
		out = append(out, v)
	}
	return out
}
