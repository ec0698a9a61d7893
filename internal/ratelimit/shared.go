package ratelimit

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/outage"
)

// BucketStore keeps token buckets outside the process, shared by every
// instance that uses it (redis.RateBuckets). It only stores and takes: the
// rates, the LOW-priority reserve and the decision's fields come from a
// Limiter (see Shared).
type BucketStore interface {
	// TakeBuckets brings each bucket of bs to now at its Rate, sets its
	// Units to its level before the take, and, if every bucket holds at
	// least needs[i] units, takes one token (Unit) from each; all of it
	// atomically, so that a refusal by one bucket takes nothing from the
	// others. It reports whether it took. Returns EUNAVAILABLE if the store
	// cannot be reached, EINTERNAL if it answers nonsense.
	TakeBuckets(ctx context.Context, bs []Bucket, needs []int64) (took bool, err error)
}

// Fallible is a rate limiter that can fail to decide: one whose buckets
// live in a store that may not answer (Shared). Fallback turns it into a
// Service.
type Fallible interface {
	// Allow is Service.Allow, or the error that kept it from deciding.
	Allow(ctx context.Context, p copydesk.Principal, prio copydesk.Priority) (Decision, error)
	// AllowLogin is Service.AllowLogin, or the error that kept it from
	// deciding.
	AllowLogin(ctx context.Context, key string) (Decision, error)
}

// Shared decides on buckets kept in Store, at the rates of Rates: its
// answers, headers and errors are those a Limiter of the same configuration
// gives for the same levels, while the levels are shared by every instance
// on the store (N instances allow the configured rate in total, not N times
// it). Rates' own buckets are not used. Shared returns the store's errors;
// NewShared wraps it in a Fallback.
type Shared struct {
	// Store holds the buckets.
	Store BucketStore
	// Rates resolves a principal's buckets and rates (BucketsFor,
	// LoginBucket), the LOW-priority reserve (Need) and the decision
	// (Decide).
	Rates *Limiter
}

var _ Fallible = (*Shared)(nil)

// Allow takes a token from p's buckets in the store if the request, at
// priority prio, fits all of them, and says so. Returns the store's error
// when it cannot decide.
func (s *Shared) Allow(ctx context.Context, p copydesk.Principal, prio copydesk.Priority) (Decision, error) {
	bs := s.Rates.BucketsFor(p)
	if len(bs) == 0 {
		return Decision{Allowed: true}, nil
	}
	return s.take(ctx, bs, prio)
}

// AllowLogin takes a token from the login bucket of key in the store and
// says whether the attempt may go ahead. Returns the store's error when it
// cannot decide.
func (s *Shared) AllowLogin(ctx context.Context, key string) (Decision, error) {
	b, ok := s.Rates.LoginBucket(key)
	if !ok {
		return Decision{Allowed: true}, nil
	}
	return s.take(ctx, []Bucket{b}, copydesk.PriorityHigh)
}

// take asks the store for bs and decides from the levels it returns.
func (s *Shared) take(ctx context.Context, bs []Bucket, prio copydesk.Priority) (Decision, error) {
	needs := make([]int64, len(bs))
	for i, b := range bs {
		needs[i] = s.Rates.Need(b, prio)
	}
	took, err := s.Store.TakeBuckets(ctx, bs, needs)
	if err != nil {
		return Decision{}, err
	}
	d := s.Rates.Decide(bs, prio)
	if d.Allowed != took { // the store and Decide check the same integers
		return Decision{}, copydesk.Errorf(copydesk.EINTERNAL, "rate limit store: took %t but the levels say allowed %t", took, d.Allowed)
	}
	return d, nil
}

// Defaults of FallbackOptions.
const (
	FallbackCooldownDefault     = outage.CooldownDefault
	FallbackWarnIntervalDefault = outage.WarnIntervalDefault
)

// FallbackOptions configures a Fallback: its clock (not the clock of what
// the primary holds: a test clock that stands still would keep the primary
// skipped for ever), logger, cooldown and warning interval
// (outage.Options; Warning has a default of its own).
type FallbackOptions = outage.Options

// Fallback is a Service that asks its primary (the buckets shared by the
// instances) and, when the primary fails, its secondary (this instance's
// own in-process buckets): an outage of the shared store does not become an
// outage of the API, and each instance then limits on its own (N instances
// allow up to N times the rate until the store is back).
//
// After a failure the primary is not asked for Cooldown; every decision
// the secondary makes is counted (Fallbacks), and a warning is logged at
// most once per WarnInterval. A decision cut short by its own request's
// cancellation (a client that went away) says nothing about the primary:
// the secondary decides it, but it starts no cooldown and no warning.
type Fallback struct {
	primary   Fallible
	secondary Service
	guard     *outage.Guard
}

var _ Service = (*Fallback)(nil)

// NewFallback returns a Fallback that asks primary, and secondary when
// primary fails.
func NewFallback(primary Fallible, secondary Service, opts FallbackOptions) *Fallback {
	return &Fallback{primary: primary, secondary: secondary, guard: outage.New(opts.WithWarning("shared rate limiter failed; this instance limits on its own until it answers"))}
}

// NewShared returns the rate limiter of the scale-out mode, built in this
// order: a Shared on store at local's rates asks first; while it fails,
// local (this instance's own buckets) decides, as Fallback describes.
func NewShared(store BucketStore, local *Limiter, opts FallbackOptions) *Fallback {
	return NewFallback(&Shared{Store: store, Rates: local}, local, opts)
}

// Allow asks the primary, or the secondary while the primary fails.
func (f *Fallback) Allow(ctx context.Context, p copydesk.Principal, prio copydesk.Priority) Decision {
	if f.guard.Up() {
		d, err := f.primary.Allow(ctx, p, prio)
		if err == nil {
			return d
		}
		f.guard.Failed(ctx, err)
	}
	f.guard.Skip()
	return f.secondary.Allow(ctx, p, prio)
}

// AllowLogin asks the primary, or the secondary while the primary fails.
func (f *Fallback) AllowLogin(ctx context.Context, key string) Decision {
	if f.guard.Up() {
		d, err := f.primary.AllowLogin(ctx, key)
		if err == nil {
			return d
		}
		f.guard.Failed(ctx, err)
	}
	f.guard.Skip()
	return f.secondary.AllowLogin(ctx, key)
}

// Fallbacks returns how many decisions the secondary made because the
// primary failed or was in its cooldown (a counter for metrics).
func (f *Fallback) Fallbacks() uint64 { return f.guard.Fallbacks() }
