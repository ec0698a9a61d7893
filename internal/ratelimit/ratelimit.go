// Package ratelimit admits or refuses API requests with token buckets per
// user and per customer, configurable per role and per customer, computed in
// integers from an injected clock. A request must fit both its user's and
// its customer's bucket and takes a token from each only if it fits both.
//
// Priority-aware: LOW-priority (batch) requests are refused once a bucket is
// below LowReservePercent of its capacity, so that batch work is throttled
// before it can starve interactive requests, which may use the bucket to
// the last token.
//
// A Decision carries what the http package answers with: 429 (Err),
// Retry-After, and the IETF RateLimit header fields
// (draft-ietf-httpapi-ratelimit-headers: RateLimit-Limit,
// RateLimit-Remaining, RateLimit-Reset); the http package sets them.
//
// Service is what the http package asks. The Limiter keeps its buckets in
// the process (the embedded mode). In the scale-out mode NewShared builds
// the chain: Shared decides on buckets kept in a BucketStore
// (redis.RateBuckets), shared by every instance, at a Limiter's rates
// (BucketsFor, LoginBucket, Need, Decide); a Fallback lets this instance's
// own Limiter decide while the store fails.
package ratelimit

import (
	"cmp"
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Rate is a token bucket: PerMinute tokens are added per minute,
// continuously, up to Burst.
type Rate struct {
	// PerMinute is the sustained rate. 0: the default for its place; negative:
	// unlimited.
	PerMinute int `yaml:"per_minute" json:"per_minute"`
	// Burst is the bucket's capacity. Default: PerMinute.
	Burst int `yaml:"burst" json:"burst"`
}

// Default rates.
var (
	DefaultRoleRates = map[copydesk.Role]Rate{
		copydesk.RoleAdmin:  {PerMinute: 600},
		copydesk.RoleClient: {PerMinute: 300},
		copydesk.RoleUser:   {PerMinute: 120},
	}
	DefaultCustomerRate = Rate{PerMinute: 1200}
	DefaultLoginRate    = Rate{PerMinute: 10}
)

// Defaults of Config.
const (
	LowReservePercentDefault = 50
	MaxBucketsDefault        = 100_000
	maxPerMinute             = 1_000_000
)

// Config configures a Limiter. The zero value uses the defaults.
type Config struct {
	// Roles is the per-user rate by role. Missing roles use DefaultRoleRates.
	Roles map[copydesk.Role]Rate `yaml:"roles" json:"roles"`
	// Customer is the per-customer rate. Default DefaultCustomerRate.
	Customer Rate `yaml:"customer" json:"customer"`
	// Customers overrides Customer (and, with their User field, the users'
	// rates) for single customers, by customer ID.
	Customers map[string]CustomerRates `yaml:"customers" json:"customers"`
	// Login is the rate of password logins per key (the lead's choice: the
	// client IP and the email, each with its own bucket), against guessing.
	// Default DefaultLoginRate.
	Login Rate `yaml:"login" json:"login"`
	// LowReservePercent of a bucket LOW-priority requests may not use.
	// Default LowReservePercentDefault; 0 < value < 100.
	LowReservePercent int `yaml:"low_reserve_percent" json:"low_reserve_percent"`
	// MaxBuckets bounds the buckets kept in memory; full (idle) buckets are
	// dropped first. Default MaxBucketsDefault.
	MaxBuckets int `yaml:"max_buckets" json:"max_buckets"`
}

// CustomerRates are one customer's overrides.
type CustomerRates struct {
	Customer Rate `yaml:"customer" json:"customer"` // the customer's bucket
	User     Rate `yaml:"user" json:"user"`         // each of its users' buckets, whatever their role
}

func (r Rate) validate(name string) error {
	switch {
	case r.PerMinute > maxPerMinute:
		return copydesk.Errorf(copydesk.EINVALID, "rate limit %s: per_minute %d is above %d", name, r.PerMinute, maxPerMinute)
	case r.Burst < 0 || r.Burst > maxPerMinute:
		return copydesk.Errorf(copydesk.EINVALID, "rate limit %s: burst %d must be between 0 and %d", name, r.Burst, maxPerMinute)
	}
	return nil
}

func (c Config) validate() error {
	for role, r := range c.Roles {
		if !role.Valid() {
			return copydesk.Errorf(copydesk.EINVALID, "rate limit: unknown role %q", role)
		}
		if err := r.validate("roles." + string(role)); err != nil {
			return err
		}
	}
	if err := c.Customer.validate("customer"); err != nil {
		return err
	}
	if err := c.Login.validate("login"); err != nil {
		return err
	}
	for id, cr := range c.Customers {
		if err := cr.Customer.validate("customers." + id + ".customer"); err != nil {
			return err
		}
		if err := cr.User.validate("customers." + id + ".user"); err != nil {
			return err
		}
	}
	if c.LowReservePercent < 0 || c.LowReservePercent >= 100 {
		return copydesk.Errorf(copydesk.EINVALID, "rate limit: low_reserve_percent must be between 1 and 99 (got %d)", c.LowReservePercent)
	}
	if c.MaxBuckets < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "rate limit: max_buckets cannot be negative")
	}
	return nil
}

// Unit is one token in bucket units: with this scale a bucket refills
// PerMinute units per nanosecond, so all arithmetic is in integers.
const Unit = int64(time.Minute)

// Service admits or refuses requests: the rate limiter the http package
// asks. *Limiter keeps its buckets in this process (the embedded mode); the
// Fallback that NewShared builds shares them across instances (the
// scale-out mode). Both answer the same Decision for the same state, so the
// headers and errors are identical.
type Service interface {
	// Allow takes a token from p's buckets (its API key's when the key has
	// a rate limit of its own, its user's and its customer's) if the
	// request, at priority prio, fits all of them, and says so. A refusal by
	// one bucket takes nothing from the others. An unlimited rate never
	// refuses.
	Allow(ctx context.Context, p copydesk.Principal, prio copydesk.Priority) Decision
	// AllowLogin takes a token from the login bucket of key ("ip:" plus
	// the client address, or "email:" plus the address tried) and says
	// whether the attempt may go ahead.
	AllowLogin(ctx context.Context, key string) Decision
}

var _ Service = (*Limiter)(nil)

// Bucket names one token bucket a decision checks, for a BucketStore that
// keeps buckets elsewhere (Redis): see BucketsFor, LoginBucket and Decide.
type Bucket struct {
	Scope string // "key", "user", "customer" or "login"
	Key   string // the API key's ID, the user ID, the customer ID or the login key
	Rate  Rate   // resolved: PerMinute > 0, Burst > 0
	// Units is the bucket's level (tokens × Unit) before the request,
	// refilled to now. BucketsFor leaves it 0.
	Units int64
}

// Capacity is a full bucket's level in units.
func (b Bucket) Capacity() int64 { return int64(b.Rate.Burst) * Unit }

// wait is how long until the bucket holds need units.
func (b Bucket) wait(need int64) time.Duration {
	if b.Units >= need {
		return 0
	}
	return time.Duration((need - b.Units + int64(b.Rate.PerMinute) - 1) / int64(b.Rate.PerMinute))
}

type bucket struct {
	units int64     // tokens × Unit
	at    time.Time // when units was computed
	rate  Rate      // resolved: PerMinute > 0, Burst > 0
}

func (b *bucket) capacity() int64 { return int64(b.rate.Burst) * Unit }

// refill brings b to now.
func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		if missing := b.capacity() - b.units; d >= time.Duration(missing/int64(b.rate.PerMinute)+1) {
			b.units = b.capacity()
		} else {
			b.units += int64(d) * int64(b.rate.PerMinute)
		}
		b.at = now
	}
}

// Limiter is the in-process per-user and per-customer rate limiter. It is
// safe for concurrent use.
type Limiter struct {
	cfg    Config
	clock  copydesk.Clock
	mu     sync.Mutex
	keys   map[string]*bucket
	users  map[string]*bucket
	custs  map[string]*bucket
	logins map[string]*bucket
}

// New returns a Limiter. Returns EINVALID naming the bad field.
func New(cfg Config, clock copydesk.Clock) (*Limiter, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.LowReservePercent = cmp.Or(cfg.LowReservePercent, LowReservePercentDefault)
	cfg.MaxBuckets = cmp.Or(cfg.MaxBuckets, MaxBucketsDefault)
	return &Limiter{cfg: cfg, clock: cmp.Or[copydesk.Clock](clock, copydesk.SystemClock{}),
		keys: map[string]*bucket{}, users: map[string]*bucket{}, custs: map[string]*bucket{}, logins: map[string]*bucket{}}, nil
}

// resolve fills a rate's defaults; ok is false for unlimited.
func resolve(r, def Rate) (Rate, bool) {
	if r.PerMinute == 0 {
		r = def
	}
	if r.PerMinute < 0 {
		return r, false
	}
	r.Burst = cmp.Or(r.Burst, r.PerMinute)
	return r, true
}

func (l *Limiter) userRate(p copydesk.Principal) (Rate, bool) {
	if cr, ok := l.cfg.Customers[p.CustomerID]; ok && cr.User.PerMinute != 0 {
		return resolve(cr.User, Rate{})
	}
	def := DefaultRoleRates[p.Role]
	if def.PerMinute == 0 {
		def = DefaultRoleRates[copydesk.RoleUser]
	}
	return resolve(l.cfg.Roles[p.Role], def)
}

func (l *Limiter) customerRate(id string) (Rate, bool) {
	if cr, ok := l.cfg.Customers[id]; ok && cr.Customer.PerMinute != 0 {
		return resolve(cr.Customer, Rate{})
	}
	return resolve(l.cfg.Customer, DefaultCustomerRate)
}

// BucketsFor returns the buckets a request of p must fit, with their
// resolved rates: its API key's when the key has a rate limit of its own
// (p.KeyRateLimit), its user's, then its customer's; none when all are
// unlimited.
func (l *Limiter) BucketsFor(p copydesk.Principal) []Bucket {
	return l.bucketsFor(p, nil)
}

// bucketsFor appends p's buckets to bs.
func (l *Limiter) bucketsFor(p copydesk.Principal, bs []Bucket) []Bucket {
	if kr := p.KeyRateLimit; kr != nil && kr.PerMinute > 0 && p.KeyID != "" {
		r, _ := resolve(Rate{PerMinute: kr.PerMinute, Burst: kr.Burst}, Rate{})
		bs = append(bs, Bucket{Scope: "key", Key: p.KeyID, Rate: r})
	}
	if r, ok := l.userRate(p); ok && p.UserID != "" {
		bs = append(bs, Bucket{Scope: "user", Key: p.UserID, Rate: r})
	}
	if r, ok := l.customerRate(p.CustomerID); ok && p.CustomerID != "" {
		bs = append(bs, Bucket{Scope: "customer", Key: p.CustomerID, Rate: r})
	}
	return bs
}

// LoginBucket returns the login bucket of key; ok is false when logins are
// unlimited.
func (l *Limiter) LoginBucket(key string) (b Bucket, ok bool) {
	r, ok := resolve(l.cfg.Login, DefaultLoginRate)
	return Bucket{Scope: "login", Key: key, Rate: r}, ok
}

// Need is the level (in units) b must hold for a request at priority prio
// to fit: one token, plus for LOW priority the reserve it may not use.
func (l *Limiter) Need(b Bucket, prio copydesk.Priority) int64 {
	if prio == copydesk.PriorityLow {
		return Unit + b.Capacity()*int64(l.cfg.LowReservePercent)/100
	}
	return Unit
}

// Decide is the decision for a request at priority prio given its buckets'
// levels before it (bs from BucketsFor or LoginBucket, Units filled in): it
// is allowed if every bucket holds its Need, and then takes a token from
// each; the headers describe the bucket with the fewest tokens left, or
// the refusing one. Decide only computes: the caller takes the tokens from
// its store, atomically with its own check of Need.
func (l *Limiter) Decide(bs []Bucket, prio copydesk.Priority) Decision {
	if len(bs) == 0 {
		return Decision{Allowed: true}
	}
	d := Decision{Allowed: true}
	for _, b := range bs {
		need := l.Need(b, prio)
		if b.Units >= need {
			continue
		}
		// Refused; the request fits when the slowest bucket has refilled.
		if w := b.wait(need); d.Allowed || w > d.RetryAfter {
			d.Allowed, d.RetryAfter, d.Scope = false, w, b.Scope
		}
	}
	// Report the bucket with the fewest tokens left after the request (the
	// refusing one when refused).
	tight := bs[0]
	if d.Allowed {
		for _, b := range bs[1:] {
			if (b.Units-Unit)/Unit < (tight.Units-Unit)/Unit {
				tight = b
			}
		}
		tight.Units -= Unit
	} else {
		for _, b := range bs {
			if b.Scope == d.Scope {
				tight = b
			}
		}
	}
	d.Limit = tight.Rate.Burst
	d.Remaining = int(max(0, tight.Units/Unit))
	d.Reset = tight.wait(tight.Capacity())
	if d.Scope == "" {
		d.Scope = tight.Scope
	}
	return d
}

// get returns the bucket of key in m, creating it full.
func (l *Limiter) get(m map[string]*bucket, key string, r Rate, now time.Time) *bucket {
	b := m[key]
	if b == nil {
		if len(m) >= l.cfg.MaxBuckets {
			l.evict(m, now)
		}
		b = &bucket{rate: r, at: now}
		b.units = b.capacity()
		m[key] = b
	} else if b.rate != r { // configuration changed: keep the tokens, capped
		b.refill(now)
		b.rate = r
		b.units = min(b.units, b.capacity())
	}
	b.refill(now)
	return b
}

// evict drops full buckets (forgetting them changes nothing), and if none
// is full, an arbitrary tenth of the map.
func (l *Limiter) evict(m map[string]*bucket, now time.Time) {
	for k, b := range m {
		b.refill(now)
		if b.units >= b.capacity() {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < l.cfg.MaxBuckets*9/10 {
			break
		}
		delete(m, k)
	}
}

// Decision is the limiter's answer for one request.
type Decision struct {
	Allowed    bool
	Limit      int           // capacity of the tightest bucket (RateLimit-Limit)
	Remaining  int           // tokens left in it after this request (RateLimit-Remaining)
	Reset      time.Duration // until it is full again (RateLimit-Reset)
	RetryAfter time.Duration // when refused: until the request would fit
	Scope      string        // the tightest bucket: "key", "user", "customer" or "login"; "" when unlimited
}

// Allow takes a token from p's key, user and customer buckets if the
// request, at priority prio, fits all of them, and says so. An unlimited
// rate never refuses. It does not use ctx.
func (l *Limiter) Allow(_ context.Context, p copydesk.Principal, prio copydesk.Priority) Decision {
	var buf [3]Bucket
	bs := l.bucketsFor(p, buf[:0])
	if len(bs) == 0 {
		return Decision{Allowed: true}
	}
	return l.take(bs, prio)
}

// take brings bs to now, decides, and takes the tokens when allowed.
func (l *Limiter) take(bs []Bucket, prio copydesk.Priority) Decision {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var buf [3]*bucket
	held := buf[:len(bs)]
	for i := range bs {
		m := l.users
		switch bs[i].Scope {
		case "key":
			m = l.keys
		case "customer":
			m = l.custs
		case "login":
			m = l.logins
		}
		held[i] = l.get(m, bs[i].Key, bs[i].Rate, now)
		bs[i].Units = held[i].units
	}
	d := l.Decide(bs, prio)
	if d.Allowed {
		for _, b := range held {
			b.units -= Unit
		}
	}
	return d
}

// Err returns nil for an allowed request, else ERATELIMITED with
// RetryAfter set and a message naming the limit.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return &copydesk.Error{Code: copydesk.ERATELIMITED, RetryAfter: d.RetryAfter,
		Message: "the " + d.Scope + " rate limit of " + strconv.Itoa(d.Limit) + " requests is used up; retry after " + strconv.Itoa(ceilSeconds(d.RetryAfter)) + " s"}
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// Buckets returns how many user and customer buckets are kept in memory
// (a gauge for metrics).
func (l *Limiter) Buckets() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys) + len(l.users) + len(l.custs) + len(l.logins)
}

// AllowLogin takes a token from the login bucket of key (e.g. "ip:" plus
// the client address, or "email:" plus the address tried) and says whether
// the attempt may go ahead. Call it before checking the password, for every
// key of the attempt; a refusal answers 429 like any other. It does not use
// ctx.
func (l *Limiter) AllowLogin(_ context.Context, key string) Decision {
	b, ok := l.LoginBucket(key)
	if !ok {
		return Decision{Allowed: true}
	}
	bs := [1]Bucket{b}
	return l.take(bs[:], copydesk.PriorityHigh)
}
