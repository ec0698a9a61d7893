package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/loadtest"
)

// Names in the bench's server configuration.
const (
	benchProvider      = "bench-upstream"  // the instant upstream
	benchUpstreamEP    = "bench-upstream"  // its endpoint (chat and the fan-out jobs)
	benchSimulatedEP   = "bench-simulated" // the simulated provider's endpoint (every other model call)
	benchStreamClass   = "bench-stream"    // the class of the deep analyses routed to the upstream
	benchFanoutDeep    = "tone"            // the deep analysis of the fan-out jobs, routed to the upstream
	benchJobDeep       = "grammar"         // the deep analysis of the other jobs, routed to the upstream (to the simulator with --simulated-jobs)
	benchServerTimeout = time.Minute       // for the server to become ready
)

// benchServerConfig returns the configuration of the server under test: the
// instant upstream at upstreamURL as an OpenAI-compatible provider serving
// gpt-4o-mini (the chat rows name that model) and the jobs' deep analyses
// (tone, which the fan-out row holds and stamps, and grammar); the
// simulated provider at 0 ms for every other model call (every class), and
// for grammar too with simulatedJobs: the simulator runs inside the server,
// so its work then counts as the server's; limits and rate limits high
// enough never to refuse.
func benchServerConfig(upstreamURL string, simulatedJobs bool) ([]byte, error) {
	rules := []any{map[string]any{"kind": "analysis." + benchFanoutDeep, "class": benchStreamClass}}
	if !simulatedJobs {
		rules = append(rules, map[string]any{"kind": "analysis." + benchJobDeep, "class": benchStreamClass})
	}
	limits := map[string]any{"concurrency": 10000, "requests_per_minute": -1, "max_queue": 100000}
	rate := map[string]any{"per_minute": 1_000_000, "burst": 1_000_000}
	cfg := map[string]any{
		"simulate":         true,
		"simulate_latency": "0s",
		"simulate_ttft":    "0s",
		"providers": []any{map[string]any{
			"name": benchProvider, "type": ProviderOpenAICompatible, "base_url": upstreamURL + "/v1/", "api_keys": []string{"bench"},
		}},
		"routing": map[string]any{
			"endpoints": map[string]any{
				benchUpstreamEP:  map[string]any{"provider": benchProvider, "model": loadtest.DefaultModel, "limits": limits},
				benchSimulatedEP: map[string]any{"provider": simulatedProvider, "model": SimulatedModel, "limits": limits},
			},
			"classes": map[string]any{
				"quality": []string{benchSimulatedEP}, "fast": []string{benchSimulatedEP}, "budget": []string{benchSimulatedEP},
				benchStreamClass: []string{benchUpstreamEP},
			},
			"rules":         rules,
			"default_class": "quality",
		},
		"access": map[string]any{"rate_limits": map[string]any{
			"roles":    map[string]any{"ADMIN": rate},
			"customer": rate,
		}},
	}
	var b bytes.Buffer
	b.WriteString("# Configuration of the server measured by copydesk bench (copydesk bench --print-config).\n")
	b.WriteString("# The upstream is the bench's instant OpenAI-compatible server; run the bench with the same --upstream-addr.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// benchServer is a Copydesk server started by the bench as a child process.
type benchServer struct {
	cmd     *exec.Cmd
	url     string
	pid     int
	apiKey  string
	dir     string
	logPath string
	dsn     string // PostgreSQL mode: the database
	schema  string // and the bench's schema in it
	keep    bool
	exited  chan struct{}
	waitErr error
}

// startBenchServer starts `<binary> serve` with a temporary data directory
// and the bench's configuration, in PostgreSQL mode on a fresh schema when
// cfg.Database is set, and waits until it is ready.
func startBenchServer(ctx context.Context, cfg benchConfig, upstreamURL, nonce string, log io.Writer) (_ *benchServer, err error) {
	bin := cfg.ServerBin
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("bench: find this binary to start the server: %w (give --server-bin)", err)
		}
	}
	dir, err := os.MkdirTemp("", "copydesk-bench-")
	if err != nil {
		return nil, err
	}
	s := &benchServer{dir: dir, logPath: filepath.Join(dir, "server.log"), keep: cfg.Keep, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			s.close(log)
		}
	}()
	conf, err := benchServerConfig(upstreamURL, cfg.SimulatedJobs)
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "copydesk.yaml")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	args := []string{"serve", "--config", confPath, "--addr", addr, "--data", dataDir, "--simulate", "--log-level", cfg.LogLevel}
	// The server's configuration is the file and these variables only:
	// COPYDESK_* variables of the caller's environment would override it.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COPYDESK_") {
			env = append(env, kv)
		}
	}
	if cfg.Database != "" {
		s.dsn, s.schema = cfg.Database, "copydesk_bench_"+nonce
		args = append(args, "--database", cfg.Database)
		env = append(env, "COPYDESK_DATABASE_SCHEMA="+s.schema)
	}
	if cfg.Redis != "" {
		env = append(env, "COPYDESK_REDIS_URL="+cfg.Redis)
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = benchSysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the server %s: %w", bin, err)
	}
	s.pid = s.cmd.Process.Pid
	s.url = "http://" + addr
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	fmt.Fprintf(log, "bench: started %s serve (pid %d) on %s, data in %s\n", bin, s.pid, s.url, dataDir)

	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(benchServerTimeout)
	for {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("bench: the server exited before it was ready (%v); its log ends:\n%s", s.waitErr, s.logTail())
		default:
		}
		if resp, err := hc.Get(s.url + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: the server was not ready after %v; its log ends:\n%s", benchServerTimeout, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	key, err := os.ReadFile(filepath.Join(dataDir, auth.AdminKeyFile))
	if err != nil {
		return nil, fmt.Errorf("bench: read the server's bootstrapped ADMIN key: %w", err)
	}
	s.apiKey = strings.TrimSpace(string(key))
	return s, nil
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// logTail returns the last lines of the server's log.
func (s *benchServer) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// dirIfKept returns the temporary directory when it is kept.
func (s *benchServer) dirIfKept(keep bool) string {
	if keep {
		return s.dir
	}
	return ""
}

// close stops the server (SIGTERM, then SIGKILL after 30 s), drops the
// PostgreSQL schema and removes the temporary directory, unless kept.
func (s *benchServer) close(log io.Writer) {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			fmt.Fprintf(log, "bench: the server did not stop within 30 s of SIGTERM; killing it\n")
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.keep {
		fmt.Fprintf(log, "bench: kept %s", s.dir)
		if s.schema != "" {
			fmt.Fprintf(log, " and schema %s", s.schema)
		}
		fmt.Fprintln(log)
		return
	}
	if s.schema != "" {
		if err := dropSchema(s.dsn, s.schema); err != nil {
			fmt.Fprintf(log, "bench: drop schema %s: %v\n", s.schema, err)
		}
	}
	if err := os.RemoveAll(s.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(log, "bench: remove %s: %v\n", s.dir, err)
	}
}

// dropSchema drops the bench's schema (its name is the bench's own: a
// fixed prefix and hex digits).
func dropSchema(dsn, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}
