package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/loadtest"
)

// benchRows are the rows of `copydesk bench`, in the order they run.
var benchRows = []string{"chat", "latency", "hit", "jobs", "pickup", "deephit", "fanout", "batches"}

// benchRowHelp says what each row measures, for -h.
const benchRowHelp = `rows:
  chat     POST /v1/chat/completions with unique prompts (uncached) at --concurrency, against calling the instant upstream directly (the floor), a bare Go reverse proxy to it (--go-proxy) and --peer-url
  latency  the same one request at a time: Copydesk's, the Go proxy's and the peer's added latency over the upstream (p50/p99 difference)
  hit      an identical chat request (a cache hit) at --concurrency, against a bare net/http server answering the same JSON (the floor)
  jobs     --jobs deep analyses (202, the instant upstream as the model) at --concurrency, each followed to done (--follow): accepted/s, completed/s, 202 p50/p99, CPU per job
  pickup   idle queue: from the 202 to the job.started event, --pickups times with pauses of 20-120 ms
  deephit  a deep analysis whose blocks are all cached, --deep-hits times one at a time: request to result (a 200, or a 202 followed to done)
  fanout   --streams SSE streams on --stream-jobs running jobs whose model streams --stream-deltas stamped deltas: delivery lag p50/p99, server RSS during and after
  batches  --batches bulk jobs (POST /v1/batches) of --batch-items unique deep analyses each, one after the other, each followed to done: items accepted/s, items completed/s, CPU per item`

// runBench is the bench subcommand: it measures the rows of issue #12's
// table in one process run against a Copydesk server (a child process of
// this binary, or a running one), a built-in instant upstream and a bare
// server, interleaved so that noise hits all alike, and prints a table. It
// returns an error when any answer was not the expected one.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg benchConfig
	var rows string
	var peerHeaders stringList
	fs.StringVar(&rows, "rows", strings.Join(benchRows, ","), "comma-separated rows to run (see below)")
	fs.StringVar(&cfg.URL, "url", "", "measure the Copydesk server running at this base URL instead of starting one (it must use the configuration of --print-config)")
	fs.IntVar(&cfg.PID, "pid", 0, "process id of the server at --url, for its CPU time and memory (without it they are not reported)")
	fs.StringVar(&cfg.APIKey, "api-key", getenv("COPYDESK_API_KEY"), "API key for --url, sent as Authorization: Bearer (env COPYDESK_API_KEY; never printed); a started server's ADMIN key is read from its data directory")
	fs.StringVar(&cfg.ServerBin, "server-bin", "", "the copydesk binary to start as the server (default: this binary)")
	fs.StringVar(&cfg.Database, "database", "", "run the started server in PostgreSQL mode on this postgres:// URL, in a fresh schema that is dropped at the end")
	fs.StringVar(&cfg.Redis, "redis", "", "redis:// URL for the started server's shared cache and rate limits (with --database); use a database of its own")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level of the started server (its log goes to a file in its temporary directory)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the started server's temporary directory (data, config, log) and PostgreSQL schema")
	fs.IntVar(&cfg.DBPID, "db-pid", 0, "process id of the database server (PostgreSQL's postmaster): its CPU time and its children's is reported per operation too")
	fs.StringVar(&cfg.PeerURL, "peer-url", "", "base URL of a peer gateway measured on the chat and latency rows (e.g. Portkey's gateway, http://127.0.0.1:8787)")
	fs.StringVar(&cfg.StreamURL, "stream-url", "", "open every SSE stream on this instance of the same cluster instead of --url (cross-instance delivery: jobs run where they are submitted or on any instance, streams read elsewhere)")
	fs.BoolVar(&cfg.SimulatedJobs, "simulated-jobs", false, "run the deep analyses of the jobs, pickup, deephit and batches rows on the server's built-in simulated provider at 0 ms instead of the instant upstream: the simulator runs inside the server, so its work (an HTTP server and its streams) then counts in the server's CPU per job")
	fs.BoolVar(&cfg.GoProxy, "go-proxy", true, "measure on the chat and latency rows a bare Go reverse proxy to the instant upstream (net/http/httputil, nothing done per call), started as a child process of this binary: the least any Go gateway spends per call here")
	fs.IntVar(&cfg.PeerPID, "peer-pid", 0, "process id of the peer gateway, for its CPU time per call")
	fs.Var(&peerHeaders, "peer-header", `header sent to the peer, "Name: value", repeatable; {upstream} is replaced by the instant upstream's base URL (default: Portkey's "x-portkey-provider: openai" and "x-portkey-custom-host: {upstream}/v1")`)
	fs.StringVar(&cfg.UpstreamAddr, "upstream-addr", "127.0.0.1:0", "listen address of the instant upstream (fix the port to point a server at it with --print-config)")
	fs.BoolVar(&cfg.PrintConfig, "print-config", false, "print the server configuration the bench uses (for a server started by hand and measured with --url) and exit; needs --upstream-addr with a port")
	fs.DurationVar(&cfg.Duration, "duration", 6*time.Second, "measured time per target of the chat, latency and hit rows, split over --rounds")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "rounds the targets of a row take turns in")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured load per target before a row (0: none)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 32, "requests in flight on the chat, hit and jobs rows")
	fs.IntVar(&cfg.Jobs, "jobs", 2000, "jobs of the jobs row")
	fs.IntVar(&cfg.JobBlocks, "job-blocks", 1, "paragraphs (model blocks) of each job's text on the jobs row, each new")
	fs.StringVar(&cfg.Follow, "follow", "stream", "how the jobs row follows each job to done: stream (its SSE stream, opened after the 202, as a client does) or poll (GET /v1/jobs/{id}, one job after the other; 202 to done from the job's created_at and finished_at)")
	fs.IntVar(&cfg.Pickups, "pickups", 100, "jobs of the pickup row")
	fs.IntVar(&cfg.DeepHits, "deep-hits", 200, "requests of the deephit row")
	fs.IntVar(&cfg.Batches, "batches", 3, "bulk jobs of the batches row, one after the other")
	fs.IntVar(&cfg.BatchItems, "batch-items", 2000, "items (deep analyses) of each bulk job of the batches row")
	fs.IntVar(&cfg.Streams, "streams", 1000, "SSE streams of the fanout row (the issue's figure is 10000)")
	fs.IntVar(&cfg.StreamJobs, "stream-jobs", 10, "running jobs the fanout row's streams follow")
	fs.IntVar(&cfg.StreamDeltas, "stream-deltas", 200, "stamped deltas the model streams per fanout job")
	fs.DurationVar(&cfg.StreamInterval, "stream-interval", 10*time.Millisecond, "time between two deltas of a fanout job")
	fs.DurationVar(&cfg.Settle, "settle", 5*time.Second, "wait after the fanout streams closed before reading the server's RSS again")
	fs.BoolVar(&cfg.JSON, "json", false, "print the results as JSON")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: copydesk bench [flags]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\n%s\n", benchRowHelp)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &UsageError{Message: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), Hint: "run copydesk bench -h for the flags"}
	}
	cfg.Rows = splitKeys(rows)
	cfg.PeerHeaders = peerHeaders
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.PrintConfig {
		b, err := benchServerConfig("http://"+cfg.UpstreamAddr, cfg.SimulatedJobs)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	report, err := bench(ctx, cfg, stderr)
	if report != nil {
		if cfg.JSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				return err
			}
		} else {
			report.write(stdout)
		}
	}
	if err != nil {
		return err
	}
	if failed := report.failedRows(); len(failed) > 0 {
		return fmt.Errorf("bench: %d of %d rows failed (%s): a wrong answer is never timed; see the errors above", len(failed), len(report.Rows), strings.Join(failed, ", "))
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// benchConfig is what copydesk bench measures, against what, and for how
// long.
type benchConfig struct {
	Rows           []string
	URL            string // a running server; "" starts one
	StreamURL      string // another instance of the same cluster to open SSE streams on; "": URL
	PID            int
	APIKey         string
	ServerBin      string
	Database       string
	Redis          string
	LogLevel       string
	Keep           bool
	DBPID          int
	PeerURL        string
	PeerPID        int
	GoProxy        bool // start and measure the Go proxy floor
	SimulatedJobs  bool // the jobs' model calls on the server's simulator
	PeerHeaders    []string
	UpstreamAddr   string
	PrintConfig    bool
	Duration       time.Duration
	Rounds         int
	Warmup         time.Duration
	Concurrency    int
	Jobs           int
	JobBlocks      int
	Follow         string
	Pickups        int
	DeepHits       int
	Batches        int
	BatchItems     int
	Streams        int
	StreamJobs     int
	StreamDeltas   int
	StreamInterval time.Duration
	Settle         time.Duration
	JSON           bool
}

func (c *benchConfig) validate() error {
	if len(c.Rows) == 0 {
		return &UsageError{Message: "--rows is empty", Hint: "e.g. --rows " + strings.Join(benchRows, ",")}
	}
	for _, r := range c.Rows {
		if !slices.Contains(benchRows, r) {
			return &UsageError{Message: fmt.Sprintf("--rows: %q is not a row", r), Hint: "rows: " + strings.Join(benchRows, ", ")}
		}
	}
	if c.PrintConfig {
		_, port, err := net.SplitHostPort(c.UpstreamAddr)
		if err != nil || port == "0" || port == "" {
			return &UsageError{Message: "--print-config needs --upstream-addr with a fixed port", Hint: "e.g. copydesk bench --print-config --upstream-addr 127.0.0.1:18081 > bench.yaml"}
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(c.UpstreamAddr); err != nil {
		return &UsageError{Message: fmt.Sprintf("--upstream-addr %q is not host:port", c.UpstreamAddr), Hint: "e.g. --upstream-addr 127.0.0.1:18081"}
	}
	for name, u := range map[string]string{"--url": c.URL, "--peer-url": c.PeerURL, "--stream-url": c.StreamURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return &UsageError{Message: fmt.Sprintf("%s %q is not an http:// or https:// URL", name, u), Hint: "e.g. " + name + " http://127.0.0.1:8080"}
		}
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	c.PeerURL = strings.TrimSuffix(c.PeerURL, "/")
	c.StreamURL = strings.TrimSuffix(c.StreamURL, "/")
	if c.StreamURL != "" && c.URL == "" {
		return &UsageError{Message: "--stream-url names another instance of a started cluster; it needs --url", Hint: "start two instances on one database, then --url http://A --stream-url http://B"}
	}
	if c.URL != "" {
		if c.APIKey == "" {
			return &UsageError{Message: "--url needs an API key", Hint: "set COPYDESK_API_KEY or --api-key to a key of the server (e.g. its ADMIN key)"}
		}
		if c.Database != "" || c.Redis != "" || c.ServerBin != "" {
			return &UsageError{Message: "--database, --redis and --server-bin configure a started server; they do not go with --url", Hint: "start the server with those settings yourself, or leave out --url"}
		}
	}
	if c.PID < 0 || c.PeerPID < 0 || c.DBPID < 0 {
		return &UsageError{Message: "a process id cannot be negative"}
	}
	if c.PID > 0 && c.URL == "" {
		return &UsageError{Message: "--pid is for a server given with --url", Hint: "a started server's process id is known"}
	}
	if c.PeerPID > 0 && c.PeerURL == "" {
		return &UsageError{Message: "--peer-pid needs --peer-url"}
	}
	for _, h := range c.PeerHeaders {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
			return &UsageError{Message: fmt.Sprintf("--peer-header %q is not \"Name: value\"", h), Hint: "e.g. --peer-header 'x-portkey-provider: openai'"}
		}
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return &UsageError{Message: "--database must be a postgres:// URL", Hint: "leave it out for the embedded SQLite store"}
	}
	if c.Redis != "" && !strings.HasPrefix(c.Redis, "redis://") && !strings.HasPrefix(c.Redis, "rediss://") {
		return &UsageError{Message: "--redis must be a redis:// or rediss:// URL"}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &UsageError{Message: fmt.Sprintf("--log-level %q is not one of debug, info, warn, error", c.LogLevel)}
	}
	ints := []struct {
		name     string
		v        int
		min, max int
	}{
		{"--rounds", c.Rounds, 1, 100},
		{"--concurrency", c.Concurrency, 1, 10000},
		{"--jobs", c.Jobs, 1, 1_000_000},
		{"--job-blocks", c.JobBlocks, 1, 200},
		{"--pickups", c.Pickups, 1, 100_000},
		{"--deep-hits", c.DeepHits, 1, 1_000_000},
		{"--batches", c.Batches, 1, 1000},
		{"--batch-items", c.BatchItems, 1, 10_000},
		{"--streams", c.Streams, 1, 100_000},
		{"--stream-jobs", c.StreamJobs, 1, 1000},
		{"--stream-deltas", c.StreamDeltas, 1, 100_000},
	}
	for _, n := range ints {
		if n.v < n.min || n.v > n.max {
			return &UsageError{Message: fmt.Sprintf("%s %d is outside %d … %d", n.name, n.v, n.min, n.max)}
		}
	}
	if c.Follow != "stream" && c.Follow != "poll" {
		return &UsageError{Message: fmt.Sprintf("--follow %q is not stream or poll", c.Follow)}
	}
	if c.Streams < c.StreamJobs {
		return &UsageError{Message: fmt.Sprintf("--streams %d is below --stream-jobs %d", c.Streams, c.StreamJobs), Hint: "every job needs at least one stream"}
	}
	if c.Duration < 10*time.Millisecond || c.Duration > time.Hour {
		return &UsageError{Message: fmt.Sprintf("--duration %v is outside [10ms, 1h]", c.Duration), Hint: "e.g. --duration 10s"}
	}
	if c.Duration/time.Duration(c.Rounds) < 10*time.Millisecond {
		return &UsageError{Message: fmt.Sprintf("--duration %v over --rounds %d leaves under 10ms per round", c.Duration, c.Rounds)}
	}
	if c.Warmup < 0 || c.Warmup > 10*time.Minute {
		return &UsageError{Message: fmt.Sprintf("--warmup %v is outside [0, 10m]", c.Warmup)}
	}
	if c.StreamInterval < 0 || c.StreamInterval > time.Minute {
		return &UsageError{Message: fmt.Sprintf("--stream-interval %v is outside [0, 1m]", c.StreamInterval)}
	}
	if c.Settle < 0 || c.Settle > 10*time.Minute {
		return &UsageError{Message: fmt.Sprintf("--settle %v is outside [0, 10m]", c.Settle)}
	}
	return nil
}

// has reports whether row is to run.
func (c *benchConfig) has(row string) bool { return slices.Contains(c.Rows, row) }

// bench runs the configured rows and returns their report. It returns an
// error (and the report so far, if any) when the setup fails or ctx is
// cancelled; failed rows are marked in the report, not returned as errors.
func bench(ctx context.Context, cfg benchConfig, log io.Writer) (*benchReport, error) {
	if err := benchSupported(); err != nil {
		return nil, err
	}
	nonce := make([]byte, 6)
	_, _ = rand.Read(nonce)
	e := &benchEnv{cfg: cfg, log: log, nonce: hex.EncodeToString(nonce), up: &loadtest.Upstream{}}
	if err := raiseFileLimit(uint64(cfg.Streams + cfg.Jobs + 4*cfg.Concurrency + 1000)); err != nil && (cfg.has("fanout") || cfg.has("jobs")) {
		fmt.Fprintf(log, "bench: %v; many streams may fail to open\n", err)
	}
	upSrv, err := loadtest.Serve(cfg.UpstreamAddr, e.up)
	if err != nil {
		return nil, fmt.Errorf("bench: start the instant upstream on %s: %w", cfg.UpstreamAddr, err)
	}
	defer upSrv.Close()
	e.upstreamURL = upSrv.URL
	bareSrv, err := loadtest.Serve("127.0.0.1:0", loadtest.Bare())
	if err != nil {
		return nil, fmt.Errorf("bench: start the bare server: %w", err)
	}
	defer bareSrv.Close()
	e.bareURL = bareSrv.URL

	report := &benchReport{
		Version: version, Started: time.Now().UTC().Truncate(time.Second),
		Machine: benchMachine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), LoadBefore: loadAverage()},
		Settings: benchSettings{
			Rows: cfg.Rows, Duration: cfg.Duration.String(), Rounds: cfg.Rounds, Warmup: cfg.Warmup.String(),
			Concurrency: cfg.Concurrency, Jobs: cfg.Jobs, JobBlocks: cfg.JobBlocks, Follow: cfg.Follow, Pickups: cfg.Pickups, DeepHits: cfg.DeepHits, Batches: cfg.Batches, BatchItems: cfg.BatchItems,
			Streams: cfg.Streams, StreamJobs: cfg.StreamJobs, StreamDeltas: cfg.StreamDeltas,
			StreamInterval: cfg.StreamInterval.String(), Settle: cfg.Settle.String(),
		},
	}
	if cfg.URL != "" {
		e.serverURL, e.apiKey, e.serverPID = cfg.URL, cfg.APIKey, cfg.PID
		e.streamURL = cmp.Or(cfg.StreamURL, cfg.URL)
		report.Server = benchServerInfo{Mode: "url", URL: cfg.URL, PID: cfg.PID}
	} else {
		srv, err := startBenchServer(ctx, cfg, e.upstreamURL, e.nonce, log)
		if err != nil {
			return nil, err
		}
		defer srv.close(log)
		e.serverURL, e.apiKey, e.serverPID = srv.url, srv.apiKey, srv.pid
		e.streamURL = srv.url
		report.Server = benchServerInfo{Mode: "child", URL: srv.url, PID: srv.pid, Store: "sqlite", Redis: cfg.Redis != "", Dir: srv.dirIfKept(cfg.Keep)}
		if cfg.Database != "" {
			report.Server.Store = "postgres"
			report.Server.Schema = srv.schema
		}
	}
	if cfg.PeerURL != "" {
		report.Server.Peer = cfg.PeerURL
	}
	if cfg.GoProxy && (cfg.has("chat") || cfg.has("latency")) {
		p, err := startBenchProxy(ctx, e.upstreamURL, log)
		if err != nil {
			return nil, err
		}
		defer p.close()
		e.proxyURL, e.proxyPID = p.url, p.pid
		report.Server.GoProxy, report.Server.GoProxyPID = p.url, p.pid
	}
	e.init()
	defer e.close()

	run := map[string]func(context.Context) *benchRow{
		"chat": e.rowChat, "latency": e.rowLatency, "hit": e.rowHit, "jobs": e.rowJobs, "batches": e.rowBatches,
		"pickup": e.rowPickup, "deephit": e.rowDeepHit, "fanout": e.rowFanout,
	}
	for _, name := range benchRows {
		if !cfg.has(name) {
			continue
		}
		fmt.Fprintf(log, "bench: row %s …\n", name)
		start := time.Now()
		row := run[name](ctx)
		row.Seconds = round(time.Since(start).Seconds(), 1)
		report.Rows = append(report.Rows, row)
		if row.Failed {
			fmt.Fprintf(log, "bench: row %s FAILED: %s\n", name, strings.Join(row.Errors, "; "))
		}
		if ctx.Err() != nil {
			report.Machine.LoadAfter = loadAverage()
			return report, ctx.Err()
		}
	}
	report.Machine.LoadAfter = loadAverage()
	return report, nil
}

// loadAverage returns the first three fields of /proc/loadavg, or "".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// benchReport is the result of a bench run; --json prints it as is.
type benchReport struct {
	Version  string          `json:"version"`
	Started  time.Time       `json:"started"`
	Machine  benchMachine    `json:"machine"`
	Server   benchServerInfo `json:"server"`
	Settings benchSettings   `json:"settings"`
	Rows     []*benchRow     `json:"rows"`
}

type benchMachine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	LoadBefore string `json:"load_average_before"`
	LoadAfter  string `json:"load_average_after"`
}

type benchServerInfo struct {
	Mode   string `json:"mode"` // child: started by the bench; url: running
	URL    string `json:"url"`
	PID    int    `json:"pid,omitempty"`
	Store  string `json:"store,omitempty"`
	Schema string `json:"schema,omitempty"`
	Redis  bool   `json:"redis,omitempty"`
	Dir    string `json:"dir,omitempty"`
	Peer   string `json:"peer,omitempty"`
	// GoProxy is the Go proxy floor's URL and PID.
	GoProxy    string `json:"go_proxy,omitempty"`
	GoProxyPID int    `json:"go_proxy_pid,omitempty"`
}

type benchSettings struct {
	Rows           []string `json:"rows"`
	Duration       string   `json:"duration"`
	Rounds         int      `json:"rounds"`
	Warmup         string   `json:"warmup"`
	Concurrency    int      `json:"concurrency"`
	Jobs           int      `json:"jobs"`
	JobBlocks      int      `json:"job_blocks"`
	Follow         string   `json:"follow"`
	Pickups        int      `json:"pickups"`
	DeepHits       int      `json:"deep_hits"`
	Batches        int      `json:"batches"`
	BatchItems     int      `json:"batch_items"`
	Streams        int      `json:"streams"`
	StreamJobs     int      `json:"stream_jobs"`
	StreamDeltas   int      `json:"stream_deltas"`
	StreamInterval string   `json:"stream_interval"`
	Settle         string   `json:"settle"`
}

// benchRow is one row of the table: one result per target measured, and
// the row's own figures.
type benchRow struct {
	Name    string         `json:"row"`
	Title   string         `json:"title"`
	Floor   string         `json:"floor,omitempty"` // the target the others are compared with
	Seconds float64        `json:"seconds"`
	Failed  bool           `json:"failed"`
	Errors  []string       `json:"errors,omitempty"`
	Results []*benchResult `json:"results"`
	Figures []benchFigure  `json:"figures,omitempty"`
}

// fail marks the row failed with the reason.
func (r *benchRow) fail(format string, args ...any) {
	r.Failed = true
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

// figure adds a row figure.
func (r *benchRow) figure(name string, value float64, unit string) {
	r.Figures = append(r.Figures, benchFigure{Name: name, Value: value, Unit: unit})
}

// result returns the result of target, or nil.
func (r *benchRow) result(target string) *benchResult {
	for _, res := range r.Results {
		if res.Target == target {
			return res
		}
	}
	return nil
}

// benchResult is what one target did in a row. Latencies are in
// milliseconds, CPU in microseconds per successful operation.
type benchResult struct {
	Target string `json:"target"`
	// Unit names an operation: req, job, event.
	Unit   string `json:"unit"`
	OK     int    `json:"ok"`
	Failed int    `json:"failed"`
	// Seconds is the measured wall time.
	Seconds float64 `json:"seconds"`
	// PerSecond is successful operations per second; nil where the row
	// does not measure throughput.
	PerSecond *float64 `json:"per_second,omitempty"`
	P50       float64  `json:"p50_ms"`
	P90       float64  `json:"p90_ms"`
	P99       float64  `json:"p99_ms"`
	Max       float64  `json:"max_ms"`
	// ServerCPU is the target process's CPU time (utime + stime from
	// /proc/<pid>/stat over the measured phases) per successful
	// operation; nil when its process id is unknown or it runs inside the
	// bench (the upstream and the bare server).
	ServerCPU *float64 `json:"server_cpu_us_per_op,omitempty"`
	// DatabaseCPU is the database server's CPU time per operation
	// (--db-pid).
	DatabaseCPU *float64 `json:"database_cpu_us_per_op,omitempty"`
	// BenchCPU is this process's CPU time per operation: the load
	// generator's, plus the instant upstream's and bare server's work.
	BenchCPU float64 `json:"bench_cpu_us_per_op"`
	// Ratio is PerSecond over the floor target's PerSecond.
	Ratio *float64 `json:"ratio_to_floor,omitempty"`
}

type benchFigure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

func (r *benchReport) failedRows() []string {
	var out []string
	for _, row := range r.Rows {
		if row.Failed {
			out = append(out, row.Name)
		}
	}
	return out
}

// write prints the report as a table.
func (r *benchReport) write(w io.Writer) {
	s := r.Server
	where := s.Mode + " " + s.URL
	if s.PID > 0 {
		where += " pid " + strconv.Itoa(s.PID)
	}
	if s.Store != "" {
		where += ", " + s.Store
		if s.Redis {
			where += " + redis"
		}
	}
	fmt.Fprintf(w, "copydesk bench %s, %s: server %s; %d CPUs, load average %s before, %s after\n",
		r.Version, r.Started.Format(time.RFC3339), where, r.Machine.CPUs, r.Machine.LoadBefore, r.Machine.LoadAfter)
	const line = "  %-9s %9s %16s %10s %10s %22s %12s  %s\n"
	fmt.Fprintf(w, line, "target", "ok", "rate", "p50", "p99", "server CPU/op", "bench CPU/op", "vs floor")
	for _, row := range r.Rows {
		status := ""
		if row.Failed {
			status = "FAILED: "
		}
		fmt.Fprintf(w, "%s%s: %s\n", status, row.Name, row.Title)
		for _, res := range row.Results {
			rate := "—"
			if res.PerSecond != nil {
				rate = fmt.Sprintf("%s %s/s", groupDigits(*res.PerSecond), res.Unit)
			}
			cpu := "—"
			if res.ServerCPU != nil {
				cpu = fmtMicros(*res.ServerCPU)
				if res.DatabaseCPU != nil {
					cpu += " + db " + fmtMicros(*res.DatabaseCPU)
				}
			}
			ratio := ""
			switch {
			case res.Target == row.Floor:
				ratio = "floor"
			case res.Ratio != nil:
				ratio = strconv.FormatFloat(*res.Ratio, 'g', 3, 64) + "x"
			}
			ok := strconv.Itoa(res.OK)
			if res.Failed > 0 {
				ok += fmt.Sprintf(" (%d failed)", res.Failed)
			}
			p50, p99 := "—", "—"
			if res.OK > 0 {
				p50, p99 = fmtMillis(res.P50), fmtMillis(res.P99)
			}
			fmt.Fprintf(w, line, res.Target, ok, rate, p50, p99, cpu, fmtMicros(res.BenchCPU), ratio)
		}
		for _, f := range row.Figures {
			fmt.Fprintf(w, "    %s: %s\n", f.Name, fmtFigure(f))
		}
		for _, e := range row.Errors {
			fmt.Fprintf(w, "    ERROR: %s\n", e)
		}
	}
}

// groupDigits formats a rate: digits grouped by thousands above 100,
// one decimal below.
func groupDigits(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtMillis formats a duration given in milliseconds: in µs below 1 ms,
// with two decimals below 10 ms, one below 100 ms, none above.
func fmtMillis(ms float64) string {
	switch {
	case ms < 1:
		return fmtMicros(ms * 1000)
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return groupDigits(ms) + " ms"
}

// fmtMicros formats microseconds, in ms from 1,000 µs.
func fmtMicros(us float64) string {
	if us >= 1000 {
		return strconv.FormatFloat(us/1000, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(us, 'f', 0, 64) + " µs"
}

func fmtFigure(f benchFigure) string {
	switch f.Unit {
	case "ms":
		return fmtMillis(f.Value)
	case "Δms":
		if f.Value < 0 {
			return "-" + fmtMillis(-f.Value)
		}
		return "+" + fmtMillis(f.Value)
	case "µs":
		return fmtMicros(f.Value)
	case "MiB":
		return strconv.FormatFloat(f.Value, 'f', 1, 64) + " MiB"
	case "x":
		return strconv.FormatFloat(f.Value, 'g', 3, 64) + "x"
	case "/s":
		return groupDigits(f.Value) + "/s"
	case "B":
		return groupDigits(f.Value) + " B"
	case "":
		return strconv.FormatFloat(f.Value, 'f', -1, 64)
	}
	return strconv.FormatFloat(f.Value, 'g', 4, 64) + " " + f.Unit
}

// round rounds v to n decimals.
func round(v float64, n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	if v < 0 {
		return -round(-v, n)
	}
	return float64(int64(v*p+0.5)) / p
}

// errServerGone is returned when the server's process cannot be read.
var errServerGone = errors.New("the server process is gone")

// readProcCPU returns pid's CPU time; for the database's postmaster (tree),
// with its children.
func readProcCPU(pid int, tree bool) (time.Duration, error) {
	var d time.Duration
	var err error
	if tree {
		d, err = loadtest.ReadTreeCPU(pid)
	} else {
		d, err = loadtest.ReadCPU(pid)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: read CPU time of process %d: %v", errServerGone, pid, err)
	}
	return d, nil
}

// benchHTTPClient returns a client that keeps up to conns idle connections
// to a host, without compression and without a client timeout (streams run
// long; operations carry their own context).
func benchHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
		ForceAttemptHTTP2:   false,
	}}
}
