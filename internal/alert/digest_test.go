package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// ledger is an in-memory usage ledger.
type ledger struct {
	recs []copydesk.UsageRecord
	err  error
}

func (l *ledger) UsageBetween(ctx context.Context, from, to time.Time) ([]copydesk.UsageRecord, error) {
	if l.err != nil {
		return nil, l.err
	}
	var out []copydesk.UsageRecord
	for _, r := range l.recs {
		if !r.At.Before(from) && r.At.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

// day holds a day of usage: customer cN spends N * 1000 micros on N calls
// of gpt ("analysis"), plus two claude calls ("translation") by c1 and a
// call without a customer; one record falls before the day.
func day(from time.Time) []copydesk.UsageRecord {
	var recs []copydesk.UsageRecord
	at := from.Add(time.Hour)
	for n := 1; n <= 12; n++ {
		for range n {
			recs = append(recs, copydesk.UsageRecord{CustomerID: fmt.Sprint("c", n), Kind: "analysis", Provider: "openai", Model: "gpt",
				InputTokens: 100, OutputTokens: 10, CachedTokens: 50, Cost: 1000, Currency: "EUR", At: at})
		}
	}
	recs = append(recs,
		copydesk.UsageRecord{CustomerID: "c1", Kind: "translation", Provider: "anthropic", Model: "claude", InputTokens: 200, OutputTokens: 20, Cost: 5000, Currency: "EUR", At: at},
		copydesk.UsageRecord{CustomerID: "c1", Kind: "translation", Provider: "anthropic", Model: "claude", InputTokens: 200, OutputTokens: 20, Cost: 5000, Currency: "EUR", At: at},
		copydesk.UsageRecord{Kind: "analysis", Provider: "openai", Model: "gpt", InputTokens: 100, OutputTokens: 10, Cost: 500, Currency: "EUR", At: at},
		copydesk.UsageRecord{CustomerID: "c12", Kind: "analysis", Provider: "openai", Model: "gpt", Cost: 999_999, Currency: "EUR", At: from.Add(-time.Second)},
	)
	return recs
}

func TestScheduledDigest(t *testing.T) {
	t.Parallel()
	clock := NewClock(t0) // 07:00; the digest is due at 08:00
	url, bodies, _ := MustReceiver(t)
	from := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	var samples copydesk.HealthSample
	e := MustEngine(t, alert.Config{
		Clock:      clock,
		Ledger:     &ledger{recs: day(from)},
		DigestHour: 8,
		Source: func(context.Context) (copydesk.HealthSample, error) {
			samples.CacheSaved += 45
			samples.CacheComputed += 5
			samples.QueueDepth = -1
			return samples, nil
		},
		Notifiers: []alert.Notifier{&alert.Webhook{URL: url}},
	})
	ctx := context.Background()
	e.Tick(ctx) // 07:00
	clock.Add(59 * time.Minute)
	e.Tick(ctx) // 07:59: not yet
	select {
	case b := <-bodies:
		t.Fatalf("digest sent before its hour: %s", b)
	default:
	}
	clock.Add(time.Minute)
	e.Tick(ctx) // 08:00

	var got struct {
		Type   string       `json:"type"`
		Digest alert.Digest `json:"digest"`
	}
	b, _ := json.Marshal(receive(t, bodies))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	d := got.Digest
	if got.Type != "digest" || !d.From.Equal(from) || !d.To.Equal(to) {
		t.Fatalf("got %s for %s to %s, want a digest for %s to %s", got.Type, d.From, d.To, from, to)
	}
	// 78 gpt calls by customers, 2 claude, 1 without a customer.
	if d.Calls != 81 || d.Customers != 12 {
		t.Errorf("calls, customers: got %d, %d; want 81, 12", d.Calls, d.Customers)
	}
	if want := []alert.Amount{{Currency: "EUR", Micros: 78*1000 + 10_000 + 500}}; !cmp.Equal(d.Cost, want) {
		t.Errorf("cost: %s", cmp.Diff(want, d.Cost))
	}
	if d.InputTokens != 79*100+400 || d.OutputTokens != 79*10+40 || d.CachedTokens != 78*50 {
		t.Errorf("tokens: got %d in, %d out, %d cached", d.InputTokens, d.OutputTokens, d.CachedTokens)
	}
	var top []string
	for _, c := range d.TopCustomers {
		top = append(top, fmt.Sprintf("%s=%d", c.CustomerID, c.Cost))
	}
	// c1 spent 1,000 + 10,000: third place, between c12 (12,000) … c10.
	wantTop := []string{"c12=12000", "c1=11000", "c11=11000", "c10=10000", "c9=9000", "c8=8000", "c7=7000", "c6=6000", "c5=5000", "c4=4000"}
	if fmt.Sprint(top) != fmt.Sprint(wantTop) {
		t.Errorf("top customers: got %v, want %v", top, wantTop)
	}
	if len(d.Models) != 2 || d.Models[0].Model != "gpt" || d.Models[0].Calls != 79 || d.Models[1].Model != "claude" || d.Models[1].Cost != 10_000 {
		t.Errorf("models: got %+v, want gpt 79 calls then claude 10000", d.Models)
	}
	if share := d.Models[1].Share; share != 2.0/81 {
		t.Errorf("claude share: got %v, want %v", share, 2.0/81)
	}
	if len(d.Features) != 2 || d.Features[0].Kind != "analysis" || d.Features[0].Calls != 79 || d.Features[1].Kind != "translation" {
		t.Errorf("features: got %+v, want analysis (79) then translation", d.Features)
	}
	// Three samples of 45 saved, 5 computed each; the engine started in
	// the period, so the counters count from zero.
	if want := (alert.CacheReport{Known: true, Saved: 135, Computed: 15, HitRate: 0.9, ProviderCachedShare: float64(78*50) / float64(79*100+400)}); d.Cache != want {
		t.Errorf("cache: %s", cmp.Diff(want, d.Cache))
	}

	// The report endpoint serves the same digest.
	rep, err := e.DailyReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&d, rep, cmpTimes); diff != "" {
		t.Errorf("DailyReport differs from the delivered digest: %s", diff)
	}

	// One digest per day.
	clock.Add(time.Hour)
	e.Tick(ctx)
	select {
	case b := <-bodies:
		t.Errorf("a second digest the same day: %s", b)
	default:
	}
}

var cmpTimes = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func TestDigestErrors(t *testing.T) {
	t.Parallel()
	clock := NewClock(t0)
	ctx := context.Background()
	e := MustEngine(t, alert.Config{Clock: clock})
	if _, err := e.DailyReport(ctx); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
		t.Errorf("without a ledger: got %v, want %s", err, copydesk.EUNAVAILABLE)
	}
	e = MustEngine(t, alert.Config{Clock: clock, Ledger: &ledger{err: errors.New("disk on fire at /var/secret")}})
	_, err := e.DailyReport(ctx)
	if copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE || copydesk.ErrorMessage(err) == "" {
		t.Errorf("failing ledger: got %v, want %s", err, copydesk.EUNAVAILABLE)
	}
	if _, err := e.BuildDigest(ctx, t0, t0); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("empty period: got %v, want %s", err, copydesk.EINVALID)
	}
	// Before the first scheduled digest, the report covers the last 24 h.
	e = MustEngine(t, alert.Config{Clock: clock, Ledger: &ledger{recs: day(t0.Add(-24 * time.Hour))}})
	d, err := e.DailyReport(ctx)
	if err != nil || d.Calls != 81 || !d.To.Equal(t0) {
		t.Errorf("on-demand report: got %v calls to %v (err %v), want 81 to %s", d.Calls, d.To, err, t0)
	}
	if d.Cache.Known {
		t.Errorf("cache report without samples: got Known, want unknown")
	}
}

func TestSummarizeEmpty(t *testing.T) {
	t.Parallel()
	d := alert.Summarize(t0, t0.Add(time.Hour), nil)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	// Empty lists are [] (not null) for the UI.
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"cost", "top_customers", "models", "features"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s: got %v, want []", k, m[k])
		}
	}
	if txt := alert.DigestText(d); txt == "" {
		t.Error("DigestText of an empty digest is empty")
	}
}
