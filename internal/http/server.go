// Package http is Copydesk's HTTP API: JSON endpoints, Server-Sent Event
// streams, health checks and the OpenAPI document. It decodes and checks
// requests, calls the domain services and encodes their answers; it holds no
// business logic.
package http

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// Defaults of Server fields.
const (
	BodyLimitDefault       = 1 << 20 // 1 MiB
	HeartbeatDefault       = 15 * time.Second
	StreamPollDefault      = 2 * time.Second
	ReadHeaderTimeout      = 10 * time.Second
	shutdownStreamsTimeout = 2 * time.Second
)

// Server serves the API. Set the fields, then Open; Close stops it.
type Server struct {
	// Addr to listen on, e.g. "127.0.0.1:8080" or ":0".
	Addr string
	// Listener, when set, is used instead of listening on Addr (the
	// command opens it first, so a taken port is its first and only
	// error). Close closes it.
	Listener net.Listener
	// BodyLimit caps request bodies in bytes. Default 1 MiB.
	BodyLimit int64
	// Heartbeat is the interval of SSE comment lines. Default 15 s.
	Heartbeat time.Duration
	// StreamPoll is how often a stream checks the store without a wake-up
	// (events written by another process). Default 2 s.
	StreamPoll time.Duration
	// Logger receives one line per request.
	Logger *slog.Logger
	// Version is reported by /healthz.
	Version string

	// Analysis serves POST /v1/analyses and GET /v1/analyses/{key}; nil
	// answers 503.
	Analysis copydesk.AnalysisService
	Jobs     copydesk.JobService
	// Models serves /v1/chat/completions, /v1/messages and /v1/embeddings;
	// nil when no provider is configured.
	Models copydesk.ModelService
	// Directory resolves and lists model names (GET /v1/models, the model
	// of every model call, per-key model lists); nil: names pass through
	// unchecked and keys limited to some models may use none.
	Directory copydesk.ModelDirectory
	// Tokens counts tokens for POST /v1/messages/count_tokens; nil answers
	// 503.
	Tokens copydesk.TokenCounter
	// Generation serves POST /v1/generations; nil answers 503.
	Generation copydesk.GenerationService
	// Translation serves translations, glossaries and the translation
	// memory; nil answers 503.
	Translation copydesk.TranslationService
	// Suggestions serves POST /v1/seo/suggestions; nil answers 503.
	Suggestions copydesk.SuggestionService
	// Batches serves the bulk jobs under /v1/batches; nil answers 503.
	Batches copydesk.BatchService
	// BatchBodyLimit caps the body of POST /v1/batches in bytes (a batch
	// of many pages; each item is still held to the content limit of its
	// kind). Default BatchBodyLimitDefault.
	BatchBodyLimit int64
	// TMXLimit caps an imported TMX file in bytes. Default TMXLimitDefault.
	TMXLimit int64
	// Ready checks what the instance cannot serve without (the store and
	// the queue) for /readyz: an error answers 503.
	Ready func(ctx context.Context) error
	// Degradable are the dependencies the instance serves without, in a
	// degraded way (Redis: the cache misses, rate limits are decided per
	// instance, reports come from the store): one that fails makes /readyz
	// answer 200 with status "degraded" naming it, so that a load balancer
	// keeps every instance while only such a dependency is down.
	Degradable []Dependency
	// Observer records request and stream figures; nil records nothing.
	Observer Observer
	// OnPanic reports a recovered handler panic (Sentry); nil: log only.
	OnPanic func(ctx context.Context, p any, tags map[string]string)
	// Tracer starts a span per request (trace.Tracing); nil: none.
	Tracer interface {
		StartRequest(r *http.Request) (*http.Request, func(status int))
	}
	// MetricsHandler serves GET /metrics; nil leaves the route out.
	MetricsHandler http.Handler
	// JobList lists jobs for GET /v1/jobs (the store's FindJobs); nil
	// answers 503.
	JobList func(ctx context.Context, f copydesk.JobFilter) ([]*copydesk.Job, int, error)
	// Currency is the ISO 4217 code of costs (pricing.currency), named in
	// the usage report. Default USD.
	Currency string
	// Alerts lists recent and active alerts for GET /v1/alerts; nil leaves
	// the route out.
	Alerts func() any
	// Prices lists the model prices (GET /v1/prices); nil leaves the route
	// out.
	Prices PriceList
	// Cache serves the cache operations routes; nil Stats leaves them out.
	Cache CacheOps
	// DailyReport builds the daily digest for GET /v1/reports/daily; nil
	// leaves the route out.
	DailyReport func(ctx context.Context) (any, error)
	// UI serves the web UI under /ui/ (webui.Handler); nil leaves the UI
	// routes out.
	UI http.Handler

	// Auth authenticates callers of every route but the public ones
	// (registerRoutes) and runs logins (auth.Authenticator); nil refuses
	// them all with 401.
	Auth Authenticator
	// Limiter rate-limits authenticated requests per user and customer,
	// and logins: a ratelimit.Limiter in one process, a redis.RateLimiter
	// shared across instances; nil: no limits.
	Limiter ratelimit.Service
	// ContentLimits caps request bodies by role, never above BodyLimit.
	// Default DefaultContentLimits.
	ContentLimits ContentLimits
	// Access holds customers, users and keys (management routes).
	Access copydesk.AccessStore
	// Budgets reads and sets budgets (budget routes).
	Budgets BudgetAdmin
	// Ledger reads the cost ledger (usage routes).
	Ledger UsageReporter
	// ResultOwner returns the customer partition and the owning user ("" for
	// the whole customer) of a cached result by key (ok false if absent), so
	// that GET /v1/analyses/{key} serves a report only to whom may see its
	// owner's data (copydesk.Principal.CanSeeUser); nil serves no stored
	// result.
	ResultOwner func(ctx context.Context, key string) (customerID, userID string, ok bool, err error)
	// Clock tells the time of usage ranges and key expiry. Default
	// copydesk.SystemClock.
	Clock copydesk.Clock

	ln     net.Listener
	srv    *http.Server
	mux    *http.ServeMux
	routes []Route
	// routeErr is the first route registered without access (Open fails).
	routeErr error
	closing  chan struct{}
	streams  streamMemory
	once     sync.Once
}

// Authenticator turns credentials into a caller and runs browser
// sessions (auth.Authenticator implements it).
type Authenticator interface {
	// Authenticate returns the caller presenting c and, for a session, the
	// session's CSRF token. Returns EUNAUTHORIZED for missing or bad
	// credentials.
	Authenticate(ctx context.Context, c auth.Credentials) (p copydesk.Principal, csrfToken string, err error)
	// Login checks an email and password and starts a session: its token
	// (for the cookie) and the session. Returns EUNAUTHORIZED.
	Login(ctx context.Context, email, password string) (string, *copydesk.Session, error)
	// Logout ends p's session (a no-op for other methods).
	Logout(ctx context.Context, p copydesk.Principal) error
	// IssueToken exchanges p's key or session for a short-lived JWT.
	// Returns EFORBIDDEN for a token caller, EUNAVAILABLE if tokens are off.
	IssueToken(p copydesk.Principal) (string, time.Time, error)
}

// UsageReporter sums the cost ledger (ledger.Reader implements it).
type UsageReporter interface {
	// UsageReport sums the rows matching filter. Returns EINVALID for a
	// bad range.
	UsageReport(ctx context.Context, filter copydesk.UsageFilter) (*copydesk.UsageReport, error)
}

// BudgetAdmin reads and sets budgets (budget.Service implements it).
type BudgetAdmin interface {
	// FindBudget returns the budget of scope ("", a user's or an API key's
	// ID). Returns ENOTFOUND if none is set.
	FindBudget(ctx context.Context, customerID, scope string) (*copydesk.Budget, error)
	// SetBudget creates or changes a budget; it applies to the next call.
	SetBudget(ctx context.Context, b *copydesk.Budget) error
	// DeleteBudget removes the budget of scope. Returns ENOTFOUND if none
	// is set.
	DeleteBudget(ctx context.Context, customerID, scope string) error
}

// Observer records the HTTP figures (metrics.Metrics implements it).
type Observer interface {
	// ObserveHTTP records one answered request by route pattern.
	ObserveHTTP(route string, status int, d time.Duration)
	// StreamOpened counts an open SSE stream until the returned func runs.
	StreamOpened() (closed func())
}

// build fills the defaults, registers the routes and returns the server's
// handler (the middleware around the mux).
func (s *Server) build() (http.Handler, error) {
	s.BodyLimit = cmp.Or(s.BodyLimit, BodyLimitDefault)
	s.BatchBodyLimit = cmp.Or(s.BatchBodyLimit, BatchBodyLimitDefault)
	s.Heartbeat = cmp.Or(s.Heartbeat, HeartbeatDefault)
	s.StreamPoll = cmp.Or(s.StreamPoll, StreamPollDefault)
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	s.closing = make(chan struct{})
	if s.Clock == nil {
		s.Clock = copydesk.SystemClock{}
	}
	s.mux = http.NewServeMux()
	s.registerRoutes()
	if s.routeErr != nil {
		return nil, s.routeErr
	}
	return s.middleware(s.mux), nil
}

// Open registers the routes and starts listening. It returns once the
// listener is bound; serving goes on in the background.
func (s *Server) Open() error {
	handler, err := s.build()
	if err != nil {
		return err
	}
	ln := s.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", s.Addr, err)
		}
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       time.Minute,
		// WriteTimeout stays long for JSON; SSE handlers clear their deadline.
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	return "http://" + s.ln.Addr().String()
}

// Routes returns every registered route with who may call it, for the
// OpenAPI and access tests.
func (s *Server) Routes() []Route { return s.routes }

// Close stops accepting requests, ends open streams with a final shutdown
// event and waits for in-flight requests until ctx ends. Safe to call twice.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		if s.srv == nil {
			return
		}
		close(s.closing)
		err = s.srv.Shutdown(ctx)
	})
	return err
}

// handleDailyReport serves GET /v1/reports/daily.
func (s *Server) handleDailyReport(w http.ResponseWriter, r *http.Request) {
	d, err := s.DailyReport(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// handleAlerts serves GET /v1/alerts.
func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Alerts())
}

// handleNoRoute answers 405 with Allow when the path exists with other
// methods, else 404, both as JSON errors.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, copydesk.Errorf(copydesk.EMETHOD, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
		return
	}
	s.writeError(w, r, copydesk.Errorf(copydesk.ENOTFOUND, "no route for %s %s; see /openapi.json", r.Method, r.URL.Path))
}

type ctxKey int

const requestIDKey ctxKey = iota

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func (s *Server) logger(r *http.Request) *slog.Logger {
	return s.Logger.With("request_id", requestID(r.Context()))
}

// statusWriter records the status and keeps Flush and deadlines reachable
// through http.ResponseController (Unwrap).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	// customerID and userID name the authenticated caller for the log.
	customerID, userID string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware adds the request id, recovers panics and logs one line per
// request with the route pattern.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var id string
		if v := r.Header[hdrRequestID]; len(v) > 0 {
			id = v[0]
		}
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header()[hdrRequestID] = []string{id}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		sw := &statusWriter{ResponseWriter: w}
		endSpan := func(int) {}
		if s.Tracer != nil {
			r, endSpan = s.Tracer.StartRequest(r)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.Error("handler panicked", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if s.OnPanic != nil {
					s.OnPanic(r.Context(), p, map[string]string{"route": r.Pattern, "request_id": id})
				}
				if sw.status == 0 {
					s.writeError(sw, r, copydesk.Errorf(copydesk.EINTERNAL, "internal error"))
				}
			}
			endSpan(cmp.Or(sw.status, http.StatusOK))
			if s.Observer != nil {
				s.Observer.ObserveHTTP(cmp.Or(r.Pattern, "unmatched"), cmp.Or(sw.status, http.StatusOK), time.Since(start))
			}
			s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", // typed attributes: no boxing per request
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", cmp.Or(r.Pattern, "unmatched")),
				slog.String("path", r.URL.Path),
				slog.Int("status", sw.status),
				slog.Int64("bytes", int64(sw.bytes)),
				slog.String("customer_id", sw.customerID),
				slog.String("user_id", sw.userID),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

// Dependency is a service the instance can serve without (Server.Degradable).
type Dependency struct {
	// Name names it in /readyz, e.g. "redis".
	Name string
	// Check returns an error if the dependency does not answer.
	Check func(ctx context.Context) error
}

// readiness is the body of a 200 from /readyz.
type readiness struct {
	// Status is "ready", or "degraded" while a Server.Degradable dependency is down.
	Status string `json:"status"`
	// Degraded names the dependencies that do not answer.
	Degraded []string `json:"degraded,omitempty"`
}

// handleReadyz answers 503 when the store or the queue does not answer,
// else 200: "ready", or "degraded" with the names of the degradable
// dependencies that do not answer. The checks run at once, so that a hung
// dependency does not delay the others, each bounded by 2 s.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	errs := make([]error, len(s.Degradable))
	var wg sync.WaitGroup
	for i, d := range s.Degradable {
		wg.Go(func() { errs[i] = d.Check(ctx) })
	}
	var required error
	if s.Ready != nil {
		required = s.Ready(ctx)
	}
	wg.Wait()
	if required != nil {
		s.logger(r).Warn("not ready", "err", required)
		s.writeError(w, r, copydesk.Errorf(copydesk.EUNAVAILABLE, "the store or the queue is not reachable"))
		return
	}
	body := readiness{Status: "ready"}
	for i, err := range errs {
		if err != nil {
			s.logger(r).Warn("degraded", "dependency", s.Degradable[i].Name, "err", err)
			body.Status = "degraded"
			body.Degraded = append(body.Degraded, s.Degradable[i].Name)
		}
	}
	writeJSON(w, http.StatusOK, body)
}
