package main

// Tests of the bench subcommand (bench.go). The spine's Go benchmarks are
// in bench_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/loadtest"
	"github.com/copydesk/copydesk/internal/pgtest"
)

// TestMain lets this package's test binary stand in for copydesk as the Go
// proxy floor the bench starts: os.Executable is the test binary here.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == benchProxyCommand {
		if err := runBenchProxy(context.Background(), os.Args[2:], os.Stderr); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tinyBench are flags that make every row as small as it can usefully be.
var tinyBench = []string{
	"--duration", "300ms", "--rounds", "1", "--warmup", "50ms", "--concurrency", "4",
	"--jobs", "20", "--pickups", "2", "--deep-hits", "3", "--batches", "2", "--batch-items", "5",
	"--streams", "12", "--stream-jobs", "3", "--stream-deltas", "10", "--stream-interval", "5ms", "--settle", "0",
}

func TestBenchUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown row", []string{"--rows", "chat,nope"}, `--rows: "nope" is not a row`},
		{"empty rows", []string{"--rows", ","}, "--rows is empty"},
		{"url without key", []string{"--url", "http://127.0.0.1:1"}, "--url needs an API key"},
		{"url not http", []string{"--url", "ftp://x", "--api-key", "k"}, "is not an http:// or https:// URL"},
		{"url with database", []string{"--url", "http://127.0.0.1:1", "--api-key", "k", "--database", "postgres://x"}, "do not go with --url"},
		{"pid without url", []string{"--pid", "1"}, "--pid is for a server given with --url"},
		{"peer pid without peer", []string{"--peer-pid", "1"}, "--peer-pid needs --peer-url"},
		{"bad peer header", []string{"--peer-url", "http://127.0.0.1:1", "--peer-header", "no colon"}, "is not \"Name: value\""},
		{"database not postgres", []string{"--database", "mysql://x"}, "--database must be a postgres:// URL"},
		{"redis not redis", []string{"--redis", "http://x"}, "--redis must be"},
		{"zero concurrency", []string{"--concurrency", "0"}, "--concurrency 0 is outside"},
		{"fewer streams than jobs", []string{"--streams", "2", "--stream-jobs", "3"}, "--streams 2 is below --stream-jobs 3"},
		{"rounds too short", []string{"--duration", "20ms", "--rounds", "3"}, "leaves under 10ms per round"},
		{"print-config without a port", []string{"--print-config"}, "--print-config needs --upstream-addr with a fixed port"},
		{"stray argument", []string{"chat"}, `unexpected argument "chat"`},
		{"bad log level", []string{"--log-level", "loud"}, `--log-level "loud"`},
		{"bad follow", []string{"--follow", "tail"}, `--follow "tail" is not stream or poll`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runBench(context.Background(), tt.args, &out, &errOut, noEnv)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a usage error", err)
			}
			if !strings.Contains(ue.Message, tt.want) {
				t.Errorf("got %q, want it to contain %q", ue.Message, tt.want)
			}
		})
	}
}

// TestBenchPrintConfig: the printed configuration is one the server
// accepts, and routes as the rows need it: chat's gpt-4o-mini to the
// upstream, deep tone and grammar analyses to the upstream (grammar to the
// simulated provider with --simulated-jobs), everything else to the
// simulated provider.
func TestBenchPrintConfig(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := runBench(context.Background(), []string{"--print-config", "--upstream-addr", "127.0.0.1:18081"}, &out, &errOut, noEnv); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	path := filepath.Join(t.TempDir(), "bench.yaml")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := cfg.loadFile(path); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if !cfg.Simulate || len(cfg.Providers) != 1 || cfg.Providers[0].BaseURL != "http://127.0.0.1:18081/v1/" {
		t.Errorf("got simulate %v, providers %+v", cfg.Simulate, cfg.Providers)
	}
	// Chat names gpt-4o-mini, served by the upstream's endpoint only; deep
	// tone analyses go to the upstream, the rest of the jobs to the
	// simulated provider. (The smoke test checks the routes end to end.)
	r := cfg.Routing
	if r.Endpoints[benchUpstreamEP].Model != loadtest.DefaultModel || r.Endpoints[benchSimulatedEP].Model == loadtest.DefaultModel {
		t.Errorf("endpoints %+v", r.Endpoints)
	}
	if len(r.Rules) != 2 || r.Rules[0].Kind != "analysis."+benchFanoutDeep || r.Rules[1].Kind != "analysis."+benchJobDeep ||
		r.Classes[r.Rules[0].Class][0] != benchUpstreamEP || r.Classes[r.Rules[1].Class][0] != benchUpstreamEP {
		t.Errorf("rules %+v, classes %+v", r.Rules, r.Classes)
	}
	out.Reset()
	if err := runBench(context.Background(), []string{"--print-config", "--simulated-jobs", "--upstream-addr", "127.0.0.1:18081"}, &out, &errOut, noEnv); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := DefaultConfig()
	if err := sim.loadFile(path); err != nil {
		t.Fatal(err)
	}
	if rules := sim.Routing.Rules; len(rules) != 1 || rules[0].Kind != "analysis."+benchFanoutDeep {
		t.Errorf("--simulated-jobs: rules %+v, want only the fan-out's tone on the upstream", rules)
	}
	for _, class := range []string{"quality", "fast", "budget", r.DefaultClass} {
		if got := r.Classes[class]; len(got) != 1 || got[0] != benchSimulatedEP {
			t.Errorf("class %q: %v, want the simulated endpoint", class, got)
		}
	}
	if ep := cfg.Routing.Endpoints[benchUpstreamEP]; ep.Limits.RequestsPerMinute != -1 || ep.Limits.Concurrency < 1000 {
		t.Errorf("upstream endpoint limits %+v would refuse the bench's load", ep.Limits)
	}
}

// errorServer answers every request with status and body, the way a
// server with a wrong key or a broken route does.
func errorServer(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBenchFailsOnErrorAnswers: a row whose server answers with an error
// (here every request gets 401, as the committed benchmark once did) fails
// loudly, the bench exits with an error, and no error answer is timed.
func TestBenchFailsOnErrorAnswers(t *testing.T) {
	t.Parallel()
	unauthorized := errorServer(t, 401, `{"error":{"code":"unauthorized","message":"invalid API key"}}`)
	// A 200 that is not from the cache: right status, wrong answer for
	// the hit row.
	notCached := errorServer(t, 200, string(loadtest.ChatCompletion("gpt-4o-mini")))
	for _, tt := range []struct {
		name string
		url  string
		rows string
		want []string
	}{
		{"401 on chat", unauthorized.URL, "chat", []string{"FAILED: chat", "status 401, want 200", "invalid API key"}},
		{"401 on hit", unauthorized.URL, "hit", []string{"FAILED: hit", "status 401, want 200"}},
		{"401 on jobs", unauthorized.URL, "jobs", []string{"FAILED: jobs", "status 401, want 202"}},
		{"401 on pickup", unauthorized.URL, "pickup", []string{"FAILED: pickup", "status 401, want 202"}},
		{"401 on deephit", unauthorized.URL, "deephit", []string{"FAILED: deephit", "status 401, want 200"}},
		{"401 on fanout", unauthorized.URL, "fanout", []string{"FAILED: fanout", "status 401, want 202"}},
		{"200 without the cache header", notCached.URL, "hit", []string{"FAILED: hit", `X-Copydesk-Cache is "", want "hit"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			args := append([]string{"--url", tt.url, "--api-key", "k", "--rows", tt.rows}, tinyBench...)
			err := runBench(context.Background(), args, &out, &errOut, noEnv)
			if err == nil || !strings.Contains(err.Error(), "rows failed") {
				t.Fatalf("got error %v, want the rows failed\n%s", err, out.String())
			}
			if code := exitCode(err, &bytes.Buffer{}); code == 0 {
				t.Errorf("exit code 0 for a failed row")
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}

			// The same as JSON: the row is failed and nothing was timed.
			out.Reset()
			_ = runBench(context.Background(), append(args, "--json"), &out, &errOut, noEnv)
			var rep benchReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("decode %s: %v", out.String(), err)
			}
			if len(rep.Rows) != 1 || !rep.Rows[0].Failed || len(rep.Rows[0].Errors) == 0 {
				t.Fatalf("got rows %+v, want one failed row with its error", rep.Rows)
			}
			for _, r := range rep.Rows[0].Results {
				if r.Target == "copydesk" && (r.OK != 0 || r.P50 != 0 || r.P99 != 0) {
					t.Errorf("copydesk: %d answers timed (p50 %v ms), want none", r.OK, r.P50)
				}
			}
		})
	}
}

// TestBenchSmoke runs every row with tiny sizes against the real server,
// started by the bench as a child process of the built binary; it checks
// that each row measured something and failed nothing, not how fast.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts a server")
	}
	t.Parallel()
	bin := MustBuildBinary(t)
	stores := [][]string{nil}
	if os.Getenv(pgtest.DSNEnv) != "" {
		stores = append(stores, []string{"--database", os.Getenv(pgtest.DSNEnv)})
	}
	for _, store := range stores {
		name := "sqlite"
		if store != nil {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"--server-bin", bin, "--json", "--log-level", "warn"}, tinyBench...)
			args = append(args, store...)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			err := runBench(ctx, args, &out, &errOut, noEnv)
			if err != nil {
				t.Fatalf("bench: %v\n%s\n%s", err, out.String(), errOut.String())
			}
			var rep benchReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("decode %s: %v", out.String(), err)
			}
			if rep.Server.Mode != "child" || rep.Server.PID == 0 {
				t.Errorf("server %+v, want a child with its pid", rep.Server)
			}
			if got := len(rep.Rows); got != len(benchRows) {
				t.Fatalf("got %d rows, want %d", got, len(benchRows))
			}
			wantTargets := map[string][]string{
				"chat": {"copydesk", "upstream", "goproxy"}, "latency": {"copydesk", "upstream", "goproxy"}, "hit": {"copydesk", "bare"},
				"jobs": {"copydesk"}, "pickup": {"copydesk"}, "deephit": {"copydesk"}, "fanout": {"copydesk"},
				"batches": {"copydesk"},
			}
			for _, row := range rep.Rows {
				if row.Failed {
					t.Errorf("row %s failed: %v", row.Name, row.Errors)
					continue
				}
				var targets []string
				for _, r := range row.Results {
					targets = append(targets, r.Target)
					if r.OK == 0 || r.Failed != 0 || r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max {
						t.Errorf("row %s, %s: ok %d, failed %d, p50 %v p99 %v max %v ms", row.Name, r.Target, r.OK, r.Failed, r.P50, r.P99, r.Max)
					}
					if r.Target == "copydesk" && row.Name != "pickup" && r.ServerCPU == nil {
						t.Errorf("row %s: no server CPU per operation", row.Name)
					}
				}
				if strings.Join(targets, ",") != strings.Join(wantTargets[row.Name], ",") {
					t.Errorf("row %s: targets %v, want %v", row.Name, targets, wantTargets[row.Name])
				}
			}
			jobs := mustRow(t, &rep, "jobs")
			if got := figure(jobs, "completed"); got != 20 {
				t.Errorf("jobs completed %v, want 20", got)
			}
			fan := mustRow(t, &rep, "fanout")
			if d, e := figure(fan, "deltas delivered"), figure(fan, "deltas expected"); d != 12*10 || d != e {
				t.Errorf("fanout delivered %v deltas, expected %v, want 120", d, e)
			}
			if figure(fan, "server RSS after the streams closed") <= 0 {
				t.Errorf("fanout: no RSS after the streams closed: %+v", fan.Figures)
			}
			if chat := mustRow(t, &rep, "chat"); chat.result("copydesk").Ratio == nil {
				t.Errorf("chat: no ratio to the floor")
			}
			if gp := mustRow(t, &rep, "chat").result("goproxy"); gp == nil || gp.ServerCPU == nil || rep.Server.GoProxyPID == 0 {
				t.Errorf("chat: the Go proxy floor %+v has no CPU per call (server %+v)", gp, rep.Server)
			}
			if figure(mustRow(t, &rep, "latency"), "goproxy added p50") == -1 {
				t.Errorf("latency: no added latency of the Go proxy floor")
			}
			if store != nil && rep.Server.Schema == "" {
				t.Errorf("postgres: no schema in %+v", rep.Server)
			}
		})
	}
	t.Run("jobs-polled", func(t *testing.T) {
		var out, errOut bytes.Buffer
		args := append([]string{"--server-bin", bin, "--json", "--log-level", "warn"}, tinyBench...)
		args = append(args, "--rows", "jobs", "--follow", "poll")
		if err := runBench(context.Background(), args, &out, &errOut, noEnv); err != nil {
			t.Fatalf("bench: %v\n%s\n%s", err, out.String(), errOut.String())
		}
		var rep benchReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("decode %s: %v", out.String(), err)
		}
		jobs := mustRow(t, &rep, "jobs")
		if jobs.Failed || figure(jobs, "completed") != 20 || figure(jobs, "202 to done p50") <= 0 {
			t.Errorf("jobs row %+v, want 20 completed jobs with their times", jobs)
		}
	})
}

func mustRow(tb testing.TB, rep *benchReport, name string) *benchRow {
	tb.Helper()
	for _, r := range rep.Rows {
		if r.Name == name {
			return r
		}
	}
	tb.Fatalf("no row %s", name)
	return nil
}

// figure returns the value of the named figure of row, or -1.
func figure(row *benchRow, name string) float64 {
	for _, f := range row.Figures {
		if f.Name == name {
			return f.Value
		}
	}
	return -1
}

func TestBenchFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		got, want string
	}{
		{groupDigits(35123.4), "35,123"},
		{groupDigits(999.5), "1,000"},
		{groupDigits(270.2), "270"},
		{groupDigits(59.84), "59.8"},
		{fmtMillis(0.123), "123 µs"},
		{fmtMillis(1.234), "1.23 ms"},
		{fmtMillis(57.66), "57.7 ms"},
		{fmtMillis(1540), "1,540 ms"},
		{fmtMicros(150), "150 µs"},
		{fmtMicros(4100), "4.10 ms"},
		{fmtFigure(benchFigure{Value: 1.25, Unit: "Δms"}), "+1.25 ms"},
		{fmtFigure(benchFigure{Value: -0.2, Unit: "Δms"}), "-200 µs"},
		{fmtFigure(benchFigure{Value: 812.5, Unit: "MiB"}), "812.5 MiB"},
		{fmtFigure(benchFigure{Value: 2000, Unit: ""}), "2000"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := round(-1.25, 1); got != -1.3 {
		t.Errorf("round(-1.25, 1): got %v, want -1.3", got)
	}
}

// TestBenchRatios: a result's ratio is its rate over the floor's.
func TestBenchRatios(t *testing.T) {
	t.Parallel()
	rate := func(v float64) *float64 { return &v }
	row := &benchRow{Floor: "upstream", Results: []*benchResult{
		{Target: "copydesk", PerSecond: rate(1000)}, {Target: "upstream", PerSecond: rate(35000)}, {Target: "peer", PerSecond: rate(1600)},
	}}
	ratios(row)
	for target, want := range map[string]float64{"copydesk": 0.029, "peer": 0.046} {
		if r := row.result(target); r.Ratio == nil || *r.Ratio != want {
			t.Errorf("%s: ratio %v, want %v", target, r.Ratio, want)
		}
	}
	if row.result("upstream").Ratio != nil {
		t.Errorf("the floor has a ratio to itself")
	}
}
