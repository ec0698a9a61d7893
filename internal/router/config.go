package router

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerlimit"
)

// The model classes of the plan's model-selection matrix.
const (
	ClassQuality = "quality" // analysis, SEO: the best model
	ClassFast    = "fast"    // translation, grammar: good and quick
	ClassBudget  = "budget"  // simple generation, bulk, customers low on budget
)

// Defaults for Config.
const (
	DefaultBudgetThreshold = 0.2
	DefaultLoadThreshold   = 0.8
	DefaultTimeout         = 2 * time.Minute
	DefaultMaxAttempts     = 5
	DefaultBaseDelay       = 2 * time.Second
	DefaultMaxDelay        = 30 * time.Second
	DefaultMaxRetryAfter   = time.Minute
	DefaultDeadKeyRecheck  = 10 * time.Minute

	DefaultBreakerConsecutive = 5
	DefaultBreakerWindow      = time.Minute
	DefaultBreakerMinRequests = 20
	DefaultBreakerFailureRate = 0.5
	DefaultBreakerCooldown    = 30 * time.Second
)

// Config is the routing section of the configuration file.
type Config struct {
	// Endpoints are the callable models by name: a provider and a model,
	// with their limits.
	Endpoints map[string]EndpointConfig `yaml:"endpoints" json:"endpoints"`
	// Classes maps a model class (quality, fast, budget, or any other name)
	// to its failover chain: endpoint names, best first.
	Classes map[string][]string `yaml:"classes" json:"classes"`
	// CatalogLimits are Copydesk's limits for the endpoints made for
	// catalogued models a caller names directly, by provider name; each such
	// endpoint ("provider/model") gets its own limiter with these limits.
	// Default: limit's defaults (50 at once, 500 a minute).
	CatalogLimits map[string]providerlimit.Config `yaml:"catalog_limits" json:"catalog_limits"`
	// Aliases map names callers send to a class, an endpoint, a model or a
	// provider/model, e.g. {"gpt-4o": "quality", "smart": "anthropic/claude-opus-5-5"}.
	// An alias cannot name another alias, nor shadow a class or endpoint.
	Aliases map[string]string `yaml:"aliases" json:"aliases"`
	// Rules choose a class for a call; the first match wins. Nil means
	// DefaultRules(), the plan's model-selection matrix.
	Rules []Rule `yaml:"rules" json:"rules"`
	// DefaultClass serves calls no rule matches. Default "quality".
	DefaultClass string `yaml:"default_class" json:"default_class"`
	// BudgetClass serves customers whose budget left is below
	// BudgetThreshold. Default "budget".
	BudgetClass string `yaml:"budget_class" json:"budget_class"`
	// BudgetThreshold is the fraction of the budget left (0-1) below which a
	// customer's calls go to BudgetClass. Default 0.2; negative disables.
	BudgetThreshold float64 `yaml:"budget_threshold" json:"budget_threshold"`
	// LoadThreshold is the fraction of its concurrency cap above which a
	// chain's primary endpoint is tried last. Default 0.8; negative disables.
	LoadThreshold float64 `yaml:"load_threshold" json:"load_threshold"`
	// Retry is the retry and backoff policy.
	Retry RetryConfig `yaml:"retry" json:"retry"`
	// Breaker is the circuit breaker policy, applied per endpoint and key.
	Breaker BreakerConfig `yaml:"breaker" json:"breaker"`
	// DeadKeyRecheck is how long a key that failed authentication is
	// skipped before it is tried again. Default 10 minutes.
	DeadKeyRecheck time.Duration `yaml:"dead_key_recheck" json:"dead_key_recheck"`
}

// EndpointConfig is one callable model.
type EndpointConfig struct {
	// Provider names the provider clients (one per key) the router was given.
	Provider string `yaml:"provider" json:"provider"`
	// Model is the provider's model name; it must have a price.
	Model string `yaml:"model" json:"model"`
	// Timeout bounds each call. Default 2 minutes.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// Limits are Copydesk's own limits for this endpoint.
	Limits providerlimit.Config `yaml:"limits" json:"limits"`
}

// Rule maps calls to a class. Empty fields match anything.
type Rule struct {
	// Kind matches the call's task kind exactly or as a dot-separated
	// prefix: "analysis" matches "analysis" and "analysis.tone".
	Kind string `yaml:"kind" json:"kind"`
	// Priority matches the call's priority: critical, high, medium or low.
	Priority string `yaml:"priority" json:"priority"`
	// Class is the class to use.
	Class string `yaml:"class" json:"class"`
}

// DefaultRules returns the plan's model-selection matrix: analysis and SEO
// to the quality class, translation and grammar to the fast class, simple
// generation and bulk operations to the budget class; for other kinds,
// CRITICAL calls get the quality class and LOW calls the fast class.
func DefaultRules() []Rule {
	return []Rule{
		{Kind: "analysis", Class: ClassQuality},
		{Kind: "seo", Class: ClassQuality},
		{Kind: "translation", Class: ClassFast},
		{Kind: "grammar", Class: ClassFast},
		{Kind: "generation.simple", Class: ClassBudget},
		{Kind: "bulk", Class: ClassBudget},
		{Priority: "critical", Class: ClassQuality},
		{Priority: "low", Class: ClassFast},
	}
}

// RetryConfig is the retry policy.
type RetryConfig struct {
	// MaxAttempts is the most provider calls for one Call, across keys and
	// endpoints. Default 5.
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// BaseDelay is the backoff before the second round of attempts; it
	// doubles each round (2 s, 4 s, 8 s, ...) with full jitter. Default 2 s.
	BaseDelay time.Duration `yaml:"base_delay" json:"base_delay"`
	// MaxDelay caps the backoff. Default 30 s.
	MaxDelay time.Duration `yaml:"max_delay" json:"max_delay"`
	// MaxRetryAfter caps how long a provider's Retry-After is honoured.
	// Default 1 minute.
	MaxRetryAfter time.Duration `yaml:"max_retry_after" json:"max_retry_after"`
}

// BreakerConfig is the circuit breaker policy.
type BreakerConfig struct {
	// Consecutive failures open the breaker. Default 5.
	Consecutive int `yaml:"consecutive" json:"consecutive"`
	// Window is the period over which the failure rate is measured.
	// Default 1 minute.
	Window time.Duration `yaml:"window" json:"window"`
	// MinRequests is the fewest calls in a window before the failure rate
	// counts. Default 20.
	MinRequests int `yaml:"min_requests" json:"min_requests"`
	// FailureRate (0-1] in a window opens the breaker. Default 0.5.
	FailureRate float64 `yaml:"failure_rate" json:"failure_rate"`
	// Cooldown is how long an open breaker refuses calls before letting one
	// probe through. Default 30 s.
	Cooldown time.Duration `yaml:"cooldown" json:"cooldown"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Rules == nil {
		c.Rules = DefaultRules()
	}
	c.DefaultClass = cmp.Or(c.DefaultClass, ClassQuality)
	c.BudgetClass = cmp.Or(c.BudgetClass, ClassBudget)
	c.BudgetThreshold = cmp.Or(c.BudgetThreshold, DefaultBudgetThreshold)
	c.LoadThreshold = cmp.Or(c.LoadThreshold, DefaultLoadThreshold)
	c.DeadKeyRecheck = cmp.Or(c.DeadKeyRecheck, DefaultDeadKeyRecheck)
	c.Retry.MaxAttempts = cmp.Or(c.Retry.MaxAttempts, DefaultMaxAttempts)
	c.Retry.BaseDelay = cmp.Or(c.Retry.BaseDelay, DefaultBaseDelay)
	c.Retry.MaxDelay = cmp.Or(c.Retry.MaxDelay, DefaultMaxDelay)
	c.Retry.MaxRetryAfter = cmp.Or(c.Retry.MaxRetryAfter, DefaultMaxRetryAfter)
	c.Breaker.Consecutive = cmp.Or(c.Breaker.Consecutive, DefaultBreakerConsecutive)
	c.Breaker.Window = cmp.Or(c.Breaker.Window, DefaultBreakerWindow)
	c.Breaker.MinRequests = cmp.Or(c.Breaker.MinRequests, DefaultBreakerMinRequests)
	c.Breaker.FailureRate = cmp.Or(c.Breaker.FailureRate, DefaultBreakerFailureRate)
	c.Breaker.Cooldown = cmp.Or(c.Breaker.Cooldown, DefaultBreakerCooldown)
	eps := make(map[string]EndpointConfig, len(c.Endpoints))
	for name, ep := range c.Endpoints {
		ep.Timeout = cmp.Or(ep.Timeout, DefaultTimeout)
		ep.Limits = ep.Limits.WithDefaults()
		eps[name] = ep
	}
	c.Endpoints = eps
	return c
}

// Validate reports the first bad field of c (after defaults) as an EINVALID
// error naming it.
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := func(format string, args ...any) error {
		return copydesk.Errorf(copydesk.EINVALID, "router: "+format, args...)
	}
	if len(c.Endpoints) == 0 {
		return bad("endpoints: at least one endpoint (provider and model) is required")
	}
	for _, name := range sortedKeys(c.Endpoints) {
		ep := c.Endpoints[name]
		switch {
		case strings.TrimSpace(name) == "":
			return bad("endpoints: an endpoint has an empty name")
		case ep.Provider == "":
			return bad("endpoints.%s.provider is required", name)
		case ep.Model == "":
			return bad("endpoints.%s.model is required", name)
		case ep.Timeout < 0:
			return bad("endpoints.%s.timeout cannot be negative (got %s)", name, ep.Timeout)
		}
		if err := ep.Limits.Validate(); err != nil {
			return bad("endpoints.%s.%s", name, strings.TrimPrefix(copydesk.ErrorMessage(err), "limits: "))
		}
	}
	for _, class := range sortedKeys(c.Classes) {
		chain := c.Classes[class]
		if len(chain) == 0 {
			return bad("classes.%s: the failover chain is empty; list at least one endpoint", class)
		}
		for i, name := range chain {
			if _, ok := c.Endpoints[name]; !ok {
				return bad("classes.%s[%d]: endpoint %q is not defined under endpoints", class, i, name)
			}
			if slices.Index(chain, name) != i {
				return bad("classes.%s[%d]: endpoint %q is listed twice", class, i, name)
			}
		}
	}
	for _, name := range sortedKeys(c.CatalogLimits) {
		if err := c.CatalogLimits[name].Validate(); err != nil {
			return bad("catalog_limits.%s.%s", name, strings.TrimPrefix(copydesk.ErrorMessage(err), "limits: "))
		}
	}
	for _, name := range sortedKeys(c.Aliases) {
		target := c.Aliases[name]
		_, isClass := c.Classes[name]
		_, isEndpoint := c.Endpoints[name]
		switch {
		case strings.TrimSpace(name) == "" || strings.TrimSpace(target) == "":
			return bad("aliases: %q → %q: an alias and its target must both be names", name, target)
		case isClass || isEndpoint:
			return bad("aliases.%s: the name is already a class or an endpoint", name)
		case c.Aliases[target] != "":
			return bad("aliases.%s: its target %q is itself an alias; name the final target", name, target)
		}
	}
	needClass := func(field, class string) error {
		if _, ok := c.Classes[class]; !ok {
			return bad("%s: class %q is not defined under classes", field, class)
		}
		return nil
	}
	if err := needClass("default_class", c.DefaultClass); err != nil {
		return err
	}
	if c.BudgetThreshold >= 0 {
		if err := needClass("budget_class", c.BudgetClass); err != nil {
			return err
		}
	}
	for i, r := range c.Rules {
		if r.Class == "" {
			return bad("rules[%d].class is required", i)
		}
		if err := needClass(fmt.Sprintf("rules[%d].class", i), r.Class); err != nil {
			return err
		}
		if r.Priority != "" {
			if _, err := parsePriority(r.Priority); err != nil {
				return bad("rules[%d].priority: %s", i, copydesk.ErrorMessage(err))
			}
		}
	}
	switch {
	case c.BudgetThreshold > 1:
		return bad("budget_threshold must be a fraction between 0 and 1, or negative to disable (got %g)", c.BudgetThreshold)
	case c.LoadThreshold > 1:
		return bad("load_threshold must be a fraction between 0 and 1, or negative to disable (got %g)", c.LoadThreshold)
	case c.Retry.MaxAttempts < 1:
		return bad("retry.max_attempts must be at least 1 (got %d)", c.Retry.MaxAttempts)
	case c.Retry.BaseDelay < 0:
		return bad("retry.base_delay cannot be negative (got %s)", c.Retry.BaseDelay)
	case c.Retry.MaxDelay < c.Retry.BaseDelay:
		return bad("retry.max_delay (%s) cannot be shorter than retry.base_delay (%s)", c.Retry.MaxDelay, c.Retry.BaseDelay)
	case c.Retry.MaxRetryAfter < 0:
		return bad("retry.max_retry_after cannot be negative (got %s)", c.Retry.MaxRetryAfter)
	case c.Breaker.Consecutive < 1:
		return bad("breaker.consecutive must be at least 1 (got %d)", c.Breaker.Consecutive)
	case c.Breaker.Window <= 0:
		return bad("breaker.window must be positive (got %s)", c.Breaker.Window)
	case c.Breaker.MinRequests < 1:
		return bad("breaker.min_requests must be at least 1 (got %d)", c.Breaker.MinRequests)
	case c.Breaker.FailureRate <= 0 || c.Breaker.FailureRate > 1:
		return bad("breaker.failure_rate must be in (0, 1] (got %g)", c.Breaker.FailureRate)
	case c.Breaker.Cooldown <= 0:
		return bad("breaker.cooldown must be positive (got %s)", c.Breaker.Cooldown)
	case c.DeadKeyRecheck < 0:
		return bad("dead_key_recheck cannot be negative (got %s)", c.DeadKeyRecheck)
	}
	return nil
}

// parsePriority parses a rule's priority name; unlike
// copydesk.ParsePriority it refuses the empty string.
func parsePriority(s string) (copydesk.Priority, error) {
	if s == "" {
		return 0, copydesk.Errorf(copydesk.EINVALID, "priority is empty")
	}
	return copydesk.ParsePriority(strings.ToLower(s))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
