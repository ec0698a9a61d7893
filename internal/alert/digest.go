package alert

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// LedgerSource supplies the cost ledger's records for the digest.
type LedgerSource interface {
	// UsageBetween returns the usage records with from <= At < to.
	UsageBetween(ctx context.Context, from, to time.Time) ([]copydesk.UsageRecord, error)
}

// LedgerFunc adapts a function to LedgerSource.
type LedgerFunc func(ctx context.Context, from, to time.Time) ([]copydesk.UsageRecord, error)

// UsageBetween calls f.
func (f LedgerFunc) UsageBetween(ctx context.Context, from, to time.Time) ([]copydesk.UsageRecord, error) {
	return f(ctx, from, to)
}

// TopCustomersN is how many customers the digest ranks.
const TopCustomersN = 10

// Digest is the daily report: cost, the most expensive customers, the
// cache, the models used and the features (task kinds) used. Amounts are
// grouped by currency; a deployment normally has one.
type Digest struct {
	// From and To bound the period: From <= record.At < To.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Calls counts model calls; Customers the distinct customers paying.
	Calls     int `json:"calls"`
	Customers int `json:"customers"`
	// Cost is the total per currency, sorted by currency.
	Cost []Amount `json:"cost"`
	// Tokens reported by the providers; Cached is part of Input.
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	CachedTokens int64 `json:"cached_tokens"`
	// TopCustomers are the TopCustomersN most expensive customers, most
	// expensive first ("" is work without a customer).
	TopCustomers []CustomerCost `json:"top_customers"`
	// Models are the models used, most calls first.
	Models []ModelUse `json:"models"`
	// Features are the task kinds used, most calls first.
	Features []FeatureUse `json:"features"`
	// Cache is the cache's figures over the period.
	Cache CacheReport `json:"cache"`
	// CostPerPage is the cost per 1,000 pages by kind and service tier
	// (live, batch, cached) over the period, when configured.
	CostPerPage any `json:"cost_per_page,omitempty"`
}

// Amount is money in one currency.
type Amount struct {
	Currency string          `json:"currency"`
	Micros   copydesk.Micros `json:"micros"`
}

// CustomerCost is one customer's spending.
type CustomerCost struct {
	CustomerID string          `json:"customer_id"`
	Currency   string          `json:"currency"`
	Cost       copydesk.Micros `json:"cost"`
	Calls      int             `json:"calls"`
	Tokens     int64           `json:"tokens"` // input + output
}

// ModelUse is one model's share of the calls.
type ModelUse struct {
	Provider     string          `json:"provider"`
	Model        string          `json:"model"`
	Calls        int             `json:"calls"`
	Share        float64         `json:"share"` // of all calls, 0-1
	InputTokens  int64           `json:"input_tokens"`
	OutputTokens int64           `json:"output_tokens"`
	Currency     string          `json:"currency"`
	Cost         copydesk.Micros `json:"cost"`
}

// FeatureUse is one task kind's use.
type FeatureUse struct {
	Kind     string          `json:"kind"`
	Calls    int             `json:"calls"`
	Currency string          `json:"currency"`
	Cost     copydesk.Micros `json:"cost"`
}

// CacheReport is the cache over the digest's period.
type CacheReport struct {
	// Known is false when the engine had no samples to tell.
	Known bool `json:"known"`
	// Saved counts work items served without a provider call, Computed
	// those that needed one; HitRate is Saved / (Saved + Computed).
	Saved    int64   `json:"saved"`
	Computed int64   `json:"computed"`
	HitRate  float64 `json:"hit_rate"`
	// ProviderCachedShare is the share of input tokens the providers
	// served from their prompt caches.
	ProviderCachedShare float64 `json:"provider_cached_share"`
}

// BuildDigest builds the digest of [from, to) from the ledger; the cache
// figures are the increase between the samples nearest from and to.
// Returns EINVALID if to is not after from and EUNAVAILABLE without a
// ledger or when the ledger fails.
func (e *Engine) BuildDigest(ctx context.Context, from, to time.Time) (*Digest, error) {
	if !to.After(from) {
		return nil, copydesk.Errorf(copydesk.EINVALID, "digest period end %s is not after its start %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if e.cfg.Ledger == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "no usage ledger is configured for the daily report")
	}
	recs, err := e.cfg.Ledger.UsageBetween(ctx, from, to)
	if err != nil {
		if copydesk.ErrorCode(err) == copydesk.EINTERNAL {
			e.cfg.Logger.ErrorContext(ctx, "digest: usage ledger failed", "error", err)
			return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "the usage ledger could not be read; try again later")
		}
		return nil, err
	}
	d := Summarize(from, to, recs)
	if e.cfg.CostPerPage != nil {
		if cp, err := e.cfg.CostPerPage(ctx, from, to); err != nil {
			e.cfg.Logger.WarnContext(ctx, "digest: cost per page", "error", err)
		} else {
			d.CostPerPage = cp
		}
	}
	e.mu.Lock()
	d.Cache = e.cacheReport(from, to, d.Cache.ProviderCachedShare)
	e.mu.Unlock()
	return d, nil
}

// Summarize builds a digest of records (those with from <= At < to; others
// are ignored) without cache-layer figures.
func Summarize(from, to time.Time, recs []copydesk.UsageRecord) *Digest {
	d := &Digest{From: from, To: to, Cost: []Amount{}, TopCustomers: []CustomerCost{}, Models: []ModelUse{}, Features: []FeatureUse{}}
	type ckey struct{ id, cur string }
	type mkey struct{ provider, model, cur string }
	type fkey struct{ kind, cur string }
	cost := map[string]copydesk.Micros{}
	customers := map[ckey]*CustomerCost{}
	models := map[mkey]*ModelUse{}
	features := map[fkey]*FeatureUse{}
	payers := map[string]bool{}
	for _, r := range recs {
		if r.At.Before(from) || !r.At.Before(to) {
			continue
		}
		d.Calls++
		d.InputTokens += int64(r.InputTokens)
		d.OutputTokens += int64(r.OutputTokens)
		d.CachedTokens += int64(r.CachedTokens)
		cost[r.Currency] += r.Cost
		if r.CustomerID != "" {
			payers[r.CustomerID] = true
		}
		c := customers[ckey{r.CustomerID, r.Currency}]
		if c == nil {
			c = &CustomerCost{CustomerID: r.CustomerID, Currency: r.Currency}
			customers[ckey{r.CustomerID, r.Currency}] = c
		}
		c.Cost += r.Cost
		c.Calls++
		c.Tokens += int64(r.InputTokens + r.OutputTokens)
		m := models[mkey{r.Provider, r.Model, r.Currency}]
		if m == nil {
			m = &ModelUse{Provider: r.Provider, Model: r.Model, Currency: r.Currency}
			models[mkey{r.Provider, r.Model, r.Currency}] = m
		}
		m.Calls++
		m.InputTokens += int64(r.InputTokens)
		m.OutputTokens += int64(r.OutputTokens)
		m.Cost += r.Cost
		f := features[fkey{r.Kind, r.Currency}]
		if f == nil {
			f = &FeatureUse{Kind: r.Kind, Currency: r.Currency}
			features[fkey{r.Kind, r.Currency}] = f
		}
		f.Calls++
		f.Cost += r.Cost
	}
	d.Customers = len(payers)
	for _, cur := range sortedKeys(cost) {
		d.Cost = append(d.Cost, Amount{Currency: cur, Micros: cost[cur]})
	}
	for _, c := range customers {
		d.TopCustomers = append(d.TopCustomers, *c)
	}
	slices.SortFunc(d.TopCustomers, func(a, b CustomerCost) int {
		return cmp.Or(cmp.Compare(b.Cost, a.Cost), cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.Currency, b.Currency))
	})
	d.TopCustomers = d.TopCustomers[:min(len(d.TopCustomers), TopCustomersN)]
	for _, m := range models {
		m.Share = float64(m.Calls) / float64(d.Calls)
		d.Models = append(d.Models, *m)
	}
	slices.SortFunc(d.Models, func(a, b ModelUse) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Currency, b.Currency))
	})
	for _, f := range features {
		d.Features = append(d.Features, *f)
	}
	slices.SortFunc(d.Features, func(a, b FeatureUse) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Currency, b.Currency))
	})
	if d.InputTokens > 0 {
		d.Cache.ProviderCachedShare = float64(d.CachedTokens) / float64(d.InputTokens)
	}
	return d
}

// cacheReport is the increase of the cache counters over [from, to]: from
// zero when the engine started within the period (the counters are
// cumulative since the process started), else from the sample kept at the
// last digest or the newest sample at or before from; to the newest sample
// at or before to. Known is false when no baseline exists. Called with
// e.mu held.
func (e *Engine) cacheReport(from, to time.Time, providerShare float64) CacheReport {
	rep := CacheReport{ProviderCachedShare: providerShare}
	var first, last *copydesk.HealthSample
	switch {
	case !e.started.Before(from):
		first = &copydesk.HealthSample{}
	case e.digestBase != nil && !e.digestBase.At.After(from) && e.digestBase.At.After(from.Add(-time.Hour)):
		first = e.digestBase
	}
	for i := range e.samples {
		s := &e.samples[i]
		if s.At.After(to) {
			break
		}
		if !s.At.After(from) && (first == nil || s.At.After(first.At)) {
			first = s
		}
		last = s
	}
	if first == nil || last == nil || last == first {
		return rep
	}
	rep.Known = true
	rep.Saved = increase(first.CacheSaved, last.CacheSaved)
	rep.Computed = increase(first.CacheComputed, last.CacheComputed)
	if n := rep.Saved + rep.Computed; n > 0 {
		rep.HitRate = float64(rep.Saved) / float64(n)
	}
	return rep
}

// maybeDigest builds and delivers the scheduled digest when its time has
// come. A failure is logged and retried at the next tick.
func (e *Engine) maybeDigest(ctx context.Context) {
	e.mu.Lock()
	at := e.nextDigest
	due := !at.IsZero() && !e.cfg.Clock.Now().Before(at)
	e.mu.Unlock()
	if !due {
		return
	}
	d, err := e.BuildDigest(ctx, at.Add(-24*time.Hour), at)
	if err != nil {
		e.cfg.Logger.WarnContext(ctx, "daily digest failed; retrying at the next tick", "error", err)
		return
	}
	e.mu.Lock()
	e.digest = d
	e.nextDigest = nextDigestAt(e.cfg.Clock.Now(), e.cfg.DigestHour, e.cfg.Location)
	if n := len(e.samples); n > 0 {
		base := e.samples[n-1]
		e.digestBase = &base
	}
	e.mu.Unlock()
	e.deliver(Notification{Digest: d})
}

// DailyReport returns the last scheduled digest, or, before the first one,
// a digest of the 24 hours up to now. For GET /v1/reports/daily. Returns
// EUNAVAILABLE without a ledger.
func (e *Engine) DailyReport(ctx context.Context) (*Digest, error) {
	e.mu.Lock()
	d := e.digest
	e.mu.Unlock()
	if d != nil {
		return d, nil
	}
	now := e.cfg.Clock.Now()
	return e.BuildDigest(ctx, now.Add(-24*time.Hour), now)
}
