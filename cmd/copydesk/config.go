package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/copydesk/copydesk/internal/catalog"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/router"
)

// Config is Copydesk's configuration. Each value comes, in rising order of
// precedence, from its default, the config file, a COPYDESK_* environment
// variable and a command-line flag.
type Config struct {
	// Addr is the HTTP listen address. Default 127.0.0.1:8080. Env COPYDESK_ADDR, flag --addr.
	Addr string `yaml:"addr"`
	// DataDir holds the embedded database, the queue and admin files. Default ./data. Env COPYDESK_DATA_DIR, flag --data.
	DataDir string `yaml:"data_dir"`
	// DatabaseURL selects PostgreSQL (postgres://…) instead of the embedded SQLite file. Env COPYDESK_DATABASE_URL, flag --database.
	DatabaseURL string `yaml:"database_url"`
	// DatabaseSchema is the PostgreSQL schema for Copydesk's and the queue's tables; created if missing. Default: the server's search_path. Env COPYDESK_DATABASE_SCHEMA.
	DatabaseSchema string `yaml:"database_schema"`
	// RedisURL selects Redis (redis:// or rediss://, e.g. redis://127.0.0.1:6379/0) as the shared L2 cache and the cache claims of the scale-out mode, instead of the database; cache entries then live in Redis only. Default: none. Env COPYDESK_REDIS_URL.
	RedisURL string `yaml:"redis_url"`
	// BodyLimit caps request bodies in bytes. Default 1048576 (1 MiB). Env COPYDESK_BODY_LIMIT.
	BodyLimit int64 `yaml:"body_limit"`
	// MaxContent caps the content of one analysis in bytes. Default 524288. Env COPYDESK_MAX_CONTENT.
	MaxContent int `yaml:"max_content"`
	// DebugAddr serves Go's runtime profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060, for an operator chasing CPU or memory; empty: off. It has no authentication: bind it to loopback. Env COPYDESK_DEBUG_ADDR.
	DebugAddr string `yaml:"debug_addr"`
	// LogLevel is debug, info, warn or error. Default info. Env COPYDESK_LOG_LEVEL, flag --log-level.
	LogLevel string `yaml:"log_level"`
	// LogRepeatInterval is the least time between two log lines of the same warning or error; the repeats in between are counted in the next line's "suppressed". Default 10s; negative: every line is written. Env COPYDESK_LOG_REPEAT_INTERVAL.
	LogRepeatInterval time.Duration `yaml:"log_repeat_interval"`
	// ShutdownGrace is how long running requests and jobs may take to finish on SIGTERM before jobs are handed back to the queue. Default 20s. Env COPYDESK_SHUTDOWN_GRACE.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Simulate runs the simulated provider in-process (for demos and load tests); everything it produces is labelled simulated. Flag --simulate, env COPYDESK_SIMULATE.
	Simulate bool `yaml:"simulate"`
	// SimulateLatency is the simulated provider's answer time. Default 0. Env COPYDESK_SIMULATE_LATENCY.
	SimulateLatency time.Duration `yaml:"simulate_latency"`
	// SimulateTTFT is the simulated provider's time to first token. Default 0. Env COPYDESK_SIMULATE_TTFT.
	SimulateTTFT time.Duration `yaml:"simulate_ttft"`
	// CacheMemory bounds the in-process cache (L1) in bytes; the store is the durable L2. Default 67108864 (64 MiB). Env COPYDESK_CACHE_MEMORY.
	CacheMemory int64 `yaml:"cache_memory"`
	// GCPercent is the garbage collector's target (Go's GOGC): the heap may grow by this percentage of the live data before the next collection; -1: no collections but at memory_limit. Default 400: a gateway call or a job allocates tens of kilobytes and keeps almost none of them, so collections are mostly overhead, and 400 spends 6-10 % less CPU per call and per job than Go's 100, for more heap between collections (about twice the peak RSS in the bench's whole run; BENCHMARKS.md), bounded by memory_limit. The environment variable GOGC, when set, wins. Env COPYDESK_GC_PERCENT.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimit is the Go runtime's soft memory limit in bytes (Go's GOMEMLIMIT): near it the collector runs as often as it must, whatever gc_percent says. Default 0: 90 % of the container's memory limit (cgroup), or of the machine's memory where there is none; -1: no limit. The environment variable GOMEMLIMIT, when set, wins. Env COPYDESK_MEMORY_LIMIT.
	MemoryLimit int64 `yaml:"memory_limit"`
	// CacheTiers sets the cache tier (permanent, stable, dynamic, realtime) of task kinds, e.g. {"translation": "permanent"}; a kind falls back to its dotted prefix. Added to the plan's defaults.
	CacheTiers map[string]copydesk.Tier `yaml:"cache_tiers"`
	// CacheTTLs overrides tier TTLs, e.g. {"realtime": "5m"}; realtime must stay within 5-15 min. Default: 90d, 7d, 1h, 10m.
	CacheTTLs map[copydesk.Tier]time.Duration `yaml:"cache_ttls"`
	// Languages are the language codes content is translated into. Default nl, en, de, fr, es, it, pt. Env COPYDESK_LANGUAGES (comma-separated).
	Languages []string `yaml:"languages"`
	// PromptsDir holds an operator's prompt template overrides: a file named like a built-in template (hero.tmpl, translate.tmpl, seo.tmpl, deep.tmpl…) replaces it, and its content becomes part of the template's version, so cached answers of the old prompt are not served. Default <data dir>/prompts. Env COPYDESK_PROMPTS_DIR.
	PromptsDir string `yaml:"prompts_dir"`
	// Queue tunes the job queue.
	Queue QueueConfig `yaml:"queue"`
	// Batches tunes the bulk jobs of POST /v1/batches.
	Batches BatchConfig `yaml:"batches"`
	// BatchTier tunes the batch service tier (requests with "service_tier": "batch").
	BatchTier BatchTierConfig `yaml:"batch_tier"`
	// Providers are the model APIs. Default: from OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY.
	Providers []ProviderConfig `yaml:"providers"`
	// Routing maps task kinds to model classes and classes to failover chains of endpoints. Default: quality, fast and budget models of each provider.
	Routing router.Config `yaml:"routing"`
	// Catalog replaces or adds models of the built-in model catalogue (every current OpenAI, Anthropic and Gemini model with dated prices and limits; "copydesk models" prints it). Any catalogued model of a configured provider is served by its own name.
	Catalog catalog.Config `yaml:"catalog"`
	// Pricing is the accounting currency and price overrides by model. Default: the catalogue's prices in USD.
	Pricing pricing.Config `yaml:"pricing"`
	// Observability configures metrics labels, alert rules and webhooks.
	Observability ObservabilityConfig `yaml:"observability"`
	// Access configures authentication, rate limits and budgets.
	Access AccessConfig `yaml:"access"`
}

// AccessConfig configures authentication, rate limits and budgets.
type AccessConfig struct {
	// AdminEmail is the email of the ADMIN user created on first start. Default admin@copydesk.local. Env COPYDESK_ADMIN_EMAIL.
	AdminEmail string `yaml:"admin_email"`
	// JWTKeys are the token signing keys, "<kid>:<base64url seed>", the first signing and all verifying (rotation: put the new key first, keep the old one for a token lifetime). Default: a key generated into <data dir>/jwt.key; set the same keys on every instance in scale-out mode. Env COPYDESK_JWT_KEYS (comma-separated).
	JWTKeys []string `yaml:"jwt_keys"`
	// TokenTTL is the lifetime of issued JWTs. Default 15m, at most 24h.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// SessionTTL is the lifetime of a browser session. Default 12h.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// RateLimits are the per-user (by role), per-customer and login rates. Default: ratelimit's defaults.
	RateLimits ratelimit.Config `yaml:"rate_limits"`
	// ReservationTTL is how old an open budget reservation must be before the sweeper releases it (a crashed call). Default 15m.
	ReservationTTL time.Duration `yaml:"reservation_ttl"`
	// DurableLedger makes the ledger row of a call without a budget durable before its answer; by default such rows are written within 100 ms, many per transaction (a kill -9 may lose the last of them; calls a budget guards are always durable before their answer, and SIGTERM writes everything). Default false. Env COPYDESK_DURABLE_LEDGER.
	DurableLedger bool `yaml:"durable_ledger"`
	// CacheTTL is how long verified API keys, users and sessions are remembered, so that a request does not read the store: a key revoked or a user disabled on another instance stops working here within it (at once on the instance that made the change). Default 2s; negative: no cache.
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// BatchConfig tunes bulk jobs.
type BatchConfig struct {
	// Concurrency is how many items of one batch run at a time (the batch is one job; its items share the provider limits with everything else). Default 4.
	Concurrency int `yaml:"concurrency"`
	// MaxItems caps the items of one batch. Default 10000.
	MaxItems int `yaml:"max_items"`
	// BodyLimit caps the body of POST /v1/batches in bytes (each item is still held to max_content). Default 64 MiB.
	BodyLimit int64 `yaml:"body_limit"`
}

// BatchTierConfig tunes the batch service tier: model work grouped into
// provider batch submissions (OpenAI Batch API, Gemini batch mode) at the
// batch price.
type BatchTierConfig struct {
	// Tick is how often pending batch items are submitted and open provider batches polled; a batch's polls start at Tick and double up to MaxPoll. Default 5s.
	Tick time.Duration `yaml:"tick"`
	// Recheck is how long a job waiting on a provider batch sleeps before it looks again (its worker slot is free meanwhile). Default 30s.
	Recheck time.Duration `yaml:"recheck"`
	// LiveMargin: work still waiting this close to its complete_by runs live, at the list price. Default 10m.
	LiveMargin time.Duration `yaml:"live_margin"`
	// MaxPoll caps the time between two polls of one provider batch. Default 5m.
	MaxPoll time.Duration `yaml:"max_poll"`
	// MaxItems caps the requests of one provider batch (Gemini takes 20 MB of inlined requests a batch: the adapter splits a bigger submission into several). Default 10000.
	MaxItems int `yaml:"max_items"`
}

// QueueConfig tunes the job queue.
type QueueConfig struct {
	// Workers is how many jobs run at once per process. Default 50. Env COPYDESK_QUEUE_WORKERS.
	Workers int `yaml:"workers"`
	// JobTimeout bounds one attempt of a job. Default 10m. Env COPYDESK_QUEUE_JOB_TIMEOUT.
	JobTimeout time.Duration `yaml:"job_timeout"`
	// RescueAfter is when a job whose process died runs again (scale-out mode; the embedded mode recovers at start). Default job_timeout + 1m. Env COPYDESK_QUEUE_RESCUE_AFTER.
	RescueAfter time.Duration `yaml:"rescue_after"`
	// MaxAttempts is how often a job runs before a retryable failure is final. Default 5. Env COPYDESK_QUEUE_MAX_ATTEMPTS.
	MaxAttempts int `yaml:"max_attempts"`
	// PollInterval is how often idle workers look for jobs nothing woke them for (jobs this process accepts start at once; PostgreSQL wakes every instance with LISTEN/NOTIFY). Default 1s. Env COPYDESK_QUEUE_POLL_INTERVAL.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxWaiting answers 429 (Retry-After) to new model work while this many jobs wait for a worker, instead of queueing minutes of work behind a burst; 0: no limit. Default 5000. Env COPYDESK_QUEUE_MAX_WAITING.
	MaxWaiting int `yaml:"max_waiting"`
	// Retention is how long a finished job and its events are kept, counted from the job's creation; the sweep (every 10 minutes, by one instance) deletes older ones, after which the job answers 404. An open job is never deleted. Default 720h (30 days); 0: kept for ever. Env COPYDESK_QUEUE_RETENTION.
	Retention time.Duration `yaml:"retention"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:          "127.0.0.1:8080",
		DataDir:       "./data",
		BodyLimit:     1 << 20,
		MaxContent:    512 << 10,
		LogLevel:      "info",
		ShutdownGrace: 20 * time.Second,
		CacheMemory:   64 << 20,
		GCPercent:     400,
		Queue: QueueConfig{
			Workers:     50,
			JobTimeout:  10 * time.Minute,
			MaxAttempts: 5,
			// River's 1 s poll left a job that followed another within
			// 100 ms waiting up to a second (BENCHMARKS.md); 50 ms costs
			// little idle CPU.
			PollInterval: time.Second,
			MaxWaiting:   5000,
			Retention:    30 * 24 * time.Hour,
		},
	}
}

// ConfigError is a bad configuration value; it names the field.
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string { return "config: " + e.Field + ": " + e.Message }

// loadFile overlays the YAML file at path. Unknown keys are errors.
func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &ConfigError{Field: "config file", Message: err.Error()}
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return &ConfigError{Field: "config file " + path, Message: err.Error()}
	}
	return nil
}

// loadEnv overlays COPYDESK_* variables from getenv.
func (c *Config) loadEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	var errs []error
	integer := func(name string, dst *int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, &ConfigError{Field: name, Message: fmt.Sprintf("%q is not a whole number", v)})
				return
			}
			*dst = n
		}
	}
	byteCount := func(name string, dst *int64) {
		if v := getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, &ConfigError{Field: name, Message: fmt.Sprintf("%q is not a whole number of bytes", v)})
				return
			}
			*dst = n
		}
	}
	duration := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, &ConfigError{Field: name, Message: fmt.Sprintf("%q is not a duration such as 30s or 5m", v)})
				return
			}
			*dst = d
		}
	}
	str("COPYDESK_ADDR", &c.Addr)
	str("COPYDESK_DATA_DIR", &c.DataDir)
	str("COPYDESK_DATABASE_URL", &c.DatabaseURL)
	str("COPYDESK_DATABASE_SCHEMA", &c.DatabaseSchema)
	str("COPYDESK_REDIS_URL", &c.RedisURL)
	str("COPYDESK_LOG_LEVEL", &c.LogLevel)
	str("COPYDESK_DEBUG_ADDR", &c.DebugAddr)
	byteCount("COPYDESK_BODY_LIMIT", &c.BodyLimit)
	integer("COPYDESK_MAX_CONTENT", &c.MaxContent)
	byteCount("COPYDESK_CACHE_MEMORY", &c.CacheMemory)
	integer("COPYDESK_GC_PERCENT", &c.GCPercent)
	byteCount("COPYDESK_MEMORY_LIMIT", &c.MemoryLimit)
	duration("COPYDESK_SHUTDOWN_GRACE", &c.ShutdownGrace)
	duration("COPYDESK_LOG_REPEAT_INTERVAL", &c.LogRepeatInterval)
	boolean := func(name string, dst *bool) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, &ConfigError{Field: name, Message: fmt.Sprintf("%q is not true or false", v)})
				return
			}
			*dst = b
		}
	}
	boolean("COPYDESK_SIMULATE", &c.Simulate)
	boolean("COPYDESK_DURABLE_LEDGER", &c.Access.DurableLedger)
	duration("COPYDESK_SIMULATE_LATENCY", &c.SimulateLatency)
	duration("COPYDESK_SIMULATE_TTFT", &c.SimulateTTFT)
	integer("COPYDESK_QUEUE_WORKERS", &c.Queue.Workers)
	duration("COPYDESK_QUEUE_JOB_TIMEOUT", &c.Queue.JobTimeout)
	duration("COPYDESK_QUEUE_RESCUE_AFTER", &c.Queue.RescueAfter)
	integer("COPYDESK_QUEUE_MAX_ATTEMPTS", &c.Queue.MaxAttempts)
	duration("COPYDESK_QUEUE_POLL_INTERVAL", &c.Queue.PollInterval)
	integer("COPYDESK_QUEUE_MAX_WAITING", &c.Queue.MaxWaiting)
	duration("COPYDESK_QUEUE_RETENTION", &c.Queue.Retention)
	str("COPYDESK_ADMIN_EMAIL", &c.Access.AdminEmail)
	str("COPYDESK_PROMPTS_DIR", &c.PromptsDir)
	if v := getenv("COPYDESK_LANGUAGES"); v != "" {
		c.Languages = splitKeys(v)
	}
	if v := getenv("COPYDESK_JWT_KEYS"); v != "" {
		c.Access.JWTKeys = splitKeys(v)
	}
	if len(c.Providers) == 0 {
		c.Providers = providersFromEnv(getenv)
	}
	for i := range c.Providers {
		if p := &c.Providers[i]; p.APIKeyEnv != "" && len(p.APIKeys) == 0 {
			p.APIKeys = splitKeys(getenv(p.APIKeyEnv))
			if len(p.APIKeys) == 0 {
				errs = append(errs, &ConfigError{Field: fmt.Sprintf("providers[%d].api_key_env", i), Message: fmt.Sprintf("environment variable %s is empty", p.APIKeyEnv)})
			}
		}
	}
	return errors.Join(errs...)
}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &ConfigError{Field: "addr", Message: fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:8080)", c.Addr)}
	}
	if c.DataDir == "" {
		return &ConfigError{Field: "data_dir", Message: "must not be empty"}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return &ConfigError{Field: "database_url", Message: "must be a postgres:// URL; leave it empty for the embedded SQLite store"}
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return &ConfigError{Field: "redis_url", Message: "must be a redis:// or rediss:// URL; leave it empty to keep the cache in the database"}
	}
	if c.BodyLimit < 1024 || c.BodyLimit > 256<<20 {
		return &ConfigError{Field: "body_limit", Message: fmt.Sprintf("%d is outside 1024 … 268435456 bytes", c.BodyLimit)}
	}
	if c.MaxContent < 1 || int64(c.MaxContent) > c.BodyLimit {
		return &ConfigError{Field: "max_content", Message: fmt.Sprintf("%d must be positive and at most body_limit (%d)", c.MaxContent, c.BodyLimit)}
	}
	if c.CacheMemory < 1<<20 {
		return &ConfigError{Field: "cache_memory", Message: fmt.Sprintf("%d is below 1048576 bytes (1 MiB)", c.CacheMemory)}
	}
	if c.GCPercent != -1 && (c.GCPercent < 10 || c.GCPercent > 100000) {
		return &ConfigError{Field: "gc_percent", Message: fmt.Sprintf("%d is outside 10 … 100000 (-1: collect only at memory_limit)", c.GCPercent)}
	}
	if c.MemoryLimit != 0 && c.MemoryLimit != -1 && c.MemoryLimit < 64<<20 {
		return &ConfigError{Field: "memory_limit", Message: fmt.Sprintf("%d is below 67108864 bytes (64 MiB); 0: automatic, -1: none", c.MemoryLimit)}
	}
	if c.GCPercent == -1 && c.MemoryLimit == -1 {
		return &ConfigError{Field: "gc_percent", Message: "-1 (collect only at memory_limit) needs a memory limit, but memory_limit is -1 (none): the heap would grow without bound"}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{Field: "log_level", Message: fmt.Sprintf("%q is not one of debug, info, warn, error", c.LogLevel)}
	}
	if c.LogRepeatInterval > time.Hour {
		return &ConfigError{Field: "log_repeat_interval", Message: "must be at most 1h (negative: every line is written)"}
	}
	if c.ShutdownGrace < 0 || c.ShutdownGrace > 10*time.Minute {
		return &ConfigError{Field: "shutdown_grace", Message: "must be between 0 and 10m"}
	}
	if c.Batches.Concurrency < 0 || c.Batches.Concurrency > 256 {
		return &ConfigError{Field: "batches.concurrency", Message: fmt.Sprintf("%d is outside 1 … 256 (0: the default)", c.Batches.Concurrency)}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"batch_tier.tick", c.BatchTier.Tick}, {"batch_tier.recheck", c.BatchTier.Recheck}, {"batch_tier.live_margin", c.BatchTier.LiveMargin}, {"batch_tier.max_poll", c.BatchTier.MaxPoll}} {
		if d.v < 0 {
			return &ConfigError{Field: d.field, Message: fmt.Sprintf("%s is negative (0: the default)", d.v)}
		}
	}
	if c.BatchTier.MaxItems < 0 || c.BatchTier.MaxItems > 50_000 {
		return &ConfigError{Field: "batch_tier.max_items", Message: fmt.Sprintf("%d is outside 1 … 50000 (0: the default; OpenAI takes at most 50000 requests per batch)", c.BatchTier.MaxItems)}
	}
	if c.Batches.MaxItems < 0 || c.Batches.MaxItems > 1_000_000 {
		return &ConfigError{Field: "batches.max_items", Message: fmt.Sprintf("%d is outside 1 … 1000000 (0: the default)", c.Batches.MaxItems)}
	}
	if c.Batches.BodyLimit < 0 {
		return &ConfigError{Field: "batches.body_limit", Message: "must not be negative"}
	}
	if c.Queue.Workers < 1 || c.Queue.Workers > 10000 {
		return &ConfigError{Field: "queue.workers", Message: fmt.Sprintf("%d is outside 1 … 10000", c.Queue.Workers)}
	}
	if c.Queue.JobTimeout < time.Second {
		return &ConfigError{Field: "queue.job_timeout", Message: "must be at least 1s"}
	}
	if c.Queue.RescueAfter != 0 && c.Queue.RescueAfter <= c.Queue.JobTimeout {
		return &ConfigError{Field: "queue.rescue_after", Message: "must be longer than queue.job_timeout"}
	}
	if c.Queue.MaxAttempts < 1 || c.Queue.MaxAttempts > 20 {
		return &ConfigError{Field: "queue.max_attempts", Message: fmt.Sprintf("%d is outside 1 … 20", c.Queue.MaxAttempts)}
	}
	if c.Queue.PollInterval < 0 {
		return &ConfigError{Field: "queue.poll_interval", Message: "must not be negative"}
	}
	if c.Queue.MaxWaiting < 0 {
		return &ConfigError{Field: "queue.max_waiting", Message: "must not be negative (0: no limit)"}
	}
	if c.Queue.Retention != 0 && c.Queue.Retention < time.Hour {
		return &ConfigError{Field: "queue.retention", Message: fmt.Sprintf("%s is below 1h (0: finished jobs are kept for ever)", c.Queue.Retention)}
	}
	if len(c.Languages) > 50 {
		return &ConfigError{Field: "languages", Message: fmt.Sprintf("%d languages; at most 50", len(c.Languages))}
	}
	seen := map[string]bool{}
	for i, l := range c.Languages {
		if n, err := copydesk.NormalizeLanguage(l); err != nil || n != l {
			return &ConfigError{Field: fmt.Sprintf("languages[%d]", i), Message: fmt.Sprintf("%q is not a lowercase language code such as nl or en", l)}
		}
		if seen[l] {
			return &ConfigError{Field: fmt.Sprintf("languages[%d]", i), Message: fmt.Sprintf("%q is listed twice", l)}
		}
		seen[l] = true
	}
	return nil
}

// languages returns the configured languages, or the default seven.
func (c *Config) languages() []string {
	if len(c.Languages) > 0 {
		return c.Languages
	}
	return copydesk.Languages
}

// promptsDir returns the directory of prompt overrides.
func (c *Config) promptsDir() string {
	if c.PromptsDir != "" {
		return c.PromptsDir
	}
	return filepath.Join(c.DataDir, "prompts")
}

// embedded reports whether the SQLite store is used.
func (c *Config) embedded() bool { return c.DatabaseURL == "" }

func (c *Config) sqlitePath() string { return filepath.Join(c.DataDir, "copydesk.db") }
