package main

// Benchmarks of the spine: the inline (200) and accepted (202) analysis
// paths, idle pickup of a job, SSE fan-out, and memory per idle stream. The
// numbers and the commands that produced them are in BENCHMARKS.md. Nothing
// here asserts a duration: the heavy measurements are gated by environment
// variables and only report.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/analysis"
	"github.com/copydesk/copydesk/internal/copydesk"
	cdhttp "github.com/copydesk/copydesk/internal/http"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/ratelimit"
)

// benchPage1000 is samplePage(1000), built once.
var benchPage1000 = sync.OnceValue(func() string { return samplePage(1000) })

// benchAnalysisBody is the JSON body of an analysis of a 1,000-word page with
// keyphrase, title, meta description and slug; deep adds model work. A
// variant above 0 adds a closing line with its number, so that requests
// differ and the model service cannot answer one from another's call.
func benchAnalysisBody(tb testing.TB, variant int, deep ...string) []byte {
	tb.Helper()
	page := benchPage1000()
	if variant > 0 {
		page += fmt.Sprintf("<p>Order number %d ships tomorrow.</p>\n", variant)
	}
	req := map[string]any{
		"content": page, "format": "html", "language": "en",
		"keyphrase": "cold brew coffee", "title": "Cold brew coffee at home: a practical guide",
		"meta_description": "How to make smooth cold brew coffee at home: beans, grind, ratio, steeping time and serving ideas from our roastery.",
		"slug":             "cold-brew-coffee-at-home",
	}
	if len(deep) > 0 {
		req["deep"] = deep
	}
	b, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// benchResponder answers deep-analysis prompts with one finding quoting the
// generated page.
func benchResponder(providertest.Request) string {
	return `{"findings":[{"quote":"Dark roasts can taste flat","message":"vague claim: say what flat means","suggestion":"","severity":"info"}]}`
}

// benchRate is the rate limit of the benchmarks' ADMIN key and customer:
// the highest the limiter takes, so that its check runs on every request but
// never refuses one (the default of 600 per minute would stop a benchmark
// after its first 600 requests).
var benchRate = ratelimit.Rate{PerMinute: 1_000_000, Burst: 1_000_000}

// withBenchRates lifts the rate limits to benchRate.
func withBenchRates(m *Main) {
	m.Config.Access.RateLimits.Roles = map[copydesk.Role]ratelimit.Rate{copydesk.RoleAdmin: benchRate}
	m.Config.Access.RateLimits.Customer = benchRate
}

// benchRatesYAML is withBenchRates as a config file for a child process.
const benchRatesYAML = `access:
  rate_limits:
    roles:
      ADMIN: {per_minute: 1000000, burst: 1000000}
    customer: {per_minute: 1000000, burst: 1000000}
`

// benchStores are the storage modes a benchmark runs on: the embedded
// SQLite store always, and PostgreSQL (store and queue) on a fresh schema
// when COPYDESK_TEST_POSTGRES names a server (the sub-benchmark is skipped
// otherwise).
var benchStores = []string{"sqlite", "postgres"}

// withBenchStore configures Main for the named storage mode.
func withBenchStore(tb testing.TB, store string) func(*Main) {
	tb.Helper()
	if store != "postgres" {
		return func(*Main) {}
	}
	dsn, schema := pgtest.MustSchema(tb)
	return func(m *Main) {
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
	}
}

// MustBenchClient returns an HTTP client that keeps many connections to one
// host open (http.DefaultTransport keeps only two idle ones).
func MustBenchClient(tb testing.TB) *http.Client {
	tb.Helper()
	tr := &http.Transport{
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 20000,
		MaxConnsPerHost:     0,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: testAuthTransport{tr}}
}

// benchPost posts body and returns the status, the answer and the time from
// sending the request to having read the whole answer.
func benchPost(tb testing.TB, c *http.Client, url string, body []byte) (int, []byte, time.Duration) {
	tb.Helper()
	start := time.Now()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, b, d
}

// processCPU returns the CPU time this process used so far (user + system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// durations are measured latencies.
type durations []time.Duration

// percentile returns the nearest-rank p-th percentile (0 < p <= 100).
func (d durations) percentile(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// report adds p50 and p99 in milliseconds, named prefix+"p50-ms".
func (d durations) report(b *testing.B, prefix string) {
	if len(d) == 0 {
		return
	}
	b.ReportMetric(float64(d.percentile(50))/1e6, prefix+"p50-ms")
	b.ReportMetric(float64(d.percentile(90))/1e6, prefix+"p90-ms")
	b.ReportMetric(float64(d.percentile(99))/1e6, prefix+"p99-ms")
}

// serverTimes is a slog handler that keeps the duration_ms of the request
// log lines of one route: the server's own time for a request, from the
// request line read to the handler's return.
type serverTimes struct {
	route string
	mu    sync.Mutex
	d     durations
}

func (s *serverTimes) Enabled(context.Context, slog.Level) bool { return true }
func (s *serverTimes) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *serverTimes) WithGroup(string) slog.Handler            { return s }
func (s *serverTimes) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	var route string
	var ms float64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "route":
			route = a.Value.String()
		case "duration_ms":
			ms = a.Value.Float64()
		}
		return true
	})
	if route == s.route {
		s.mu.Lock()
		s.d = append(s.d, time.Duration(ms*1e6))
		s.mu.Unlock()
	}
	return nil
}

func (s *serverTimes) reset() {
	s.mu.Lock()
	s.d = s.d[:0]
	s.mu.Unlock()
}

func (s *serverTimes) report(b *testing.B) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.report(b, "server-")
}

// TestBenchPage checks the benchmark's page: about 1,000 words, and the real
// server analyzes it inline with every analysis.
func TestBenchPage(t *testing.T) {
	t.Parallel()
	page := samplePage(1000)
	if n := pageWords(page); n < 1000 || n > 1100 {
		t.Fatalf("page has %d words, want 1000 … 1100", n)
	}
	m := MustRunMain(t, withBenchRates)
	status, body, _ := benchPost(t, MustBenchClient(t), m.HTTP.URL()+"/v1/analyses", benchAnalysisBody(t, 0))
	if status != 200 {
		t.Fatalf("status %d, want 200: %s", status, body)
	}
	var got struct {
		Report struct {
			Results []struct {
				Type string `json:"type"`
			} `json:"results"`
		} `json:"report"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Report.Results) != 6 {
		t.Errorf("got %d results, want 6", len(got.Report.Results))
	}
}

func TestDurationsPercentile(t *testing.T) {
	t.Parallel()
	var d durations
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {1, 1}} {
		if got := d.percentile(tt.p); got != tt.want {
			t.Errorf("p%v: got %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := (durations{7}).percentile(99); got != 7 {
		t.Errorf("p99 of one value: got %d, want 7", got)
	}
}

// benchBodies returns the body of request i: the same page every time
// ("identical": after the first, the report comes from the cache), or a
// page that differs by a closing line per request ("distinct": analyzed
// every time). Bodies are spliced from one encoding, so making one costs
// a copy, not a JSON encoding.
func benchBodies(tb testing.TB, distinct bool, deep ...string) func(i int) []byte {
	tb.Helper()
	if !distinct {
		body := benchAnalysisBody(tb, 0, deep...)
		return func(int) []byte { return body }
	}
	const mark = 987654321
	body := benchAnalysisBody(tb, mark, deep...)
	prefix, suffix, ok := bytes.Cut(body, []byte(strconv.Itoa(mark)))
	if !ok {
		tb.Fatal("variant mark not in the body")
	}
	return func(i int) []byte {
		b := make([]byte, 0, len(body)+4)
		b = append(b, prefix...)
		b = strconv.AppendInt(b, int64(i), 10)
		return append(b, suffix...)
	}
}

// BenchmarkAnalysis200 posts a 1,000-word HTML page over loopback HTTP to
// the real Main and reads the inline answer, one request at a time:
// "distinct" pages are analyzed every time, "identical" ones are answered
// from the report cache after the first.
func BenchmarkAnalysis200(b *testing.B) {
	for _, distinct := range []bool{true, false} {
		b.Run(contentName(distinct), func(b *testing.B) {
			st := &serverTimes{route: "POST /v1/analyses"}
			m := MustRunMain(b, withBenchRates, func(m *Main) { m.Logger = slog.New(st) })
			url := m.HTTP.URL() + "/v1/analyses"
			body := benchBodies(b, distinct)
			c := MustBenchClient(b)
			if status, resp, _ := benchPost(b, c, url, body(0)); status != 200 {
				b.Fatalf("status %d, want 200: %s", status, resp)
			}
			st.reset()
			lat := make(durations, 0, 1024)
			cpu0 := processCPU()
			i := 1
			for b.Loop() {
				status, resp, d := benchPost(b, c, url, body(i))
				if status != 200 {
					b.Fatalf("status %d, want 200: %s", status, resp)
				}
				lat = append(lat, d)
				i++
			}
			b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(len(lat)), "cpu-ms/op")
			lat.report(b, "")
			st.report(b)
		})
	}
}

func contentName(distinct bool) string {
	if distinct {
		return "content=distinct"
	}
	return "content=identical"
}

// BenchmarkAnalysis200Parallel is BenchmarkAnalysis200 with 4 requests per
// CPU in flight; ns/op is wall time per request, so req/s = 1e9 / ns/op.
func BenchmarkAnalysis200Parallel(b *testing.B) {
	for _, distinct := range []bool{true, false} {
		b.Run(contentName(distinct), func(b *testing.B) {
			st := &serverTimes{route: "POST /v1/analyses"}
			m := MustRunMain(b, withBenchRates, func(m *Main) { m.Logger = slog.New(st) })
			url := m.HTTP.URL() + "/v1/analyses"
			body := benchBodies(b, distinct)
			c := MustBenchClient(b)
			if status, resp, _ := benchPost(b, c, url, body(0)); status != 200 {
				b.Fatalf("status %d, want 200: %s", status, resp)
			}
			st.reset()
			var mu sync.Mutex
			var lat durations
			var next atomic.Int64
			b.SetParallelism(4)
			cpu0 := processCPU()
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine durations
				for pb.Next() {
					status, resp, d := benchPost(b, c, url, body(int(next.Add(1))))
					if status != 200 {
						b.Errorf("status %d, want 200: %s", status, resp)
						return
					}
					mine = append(mine, d)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			b.ReportMetric(float64(len(lat))/time.Since(start).Seconds(), "req/s")
			b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(len(lat)), "cpu-ms/op")
			lat.report(b, "")
			st.report(b)
		})
	}
}

// BenchmarkAnalysis202 measures the accepted path: local analysis of the
// 1,000-word page, job stored, first event written, job enqueued, 202 with
// the stream URL. The model is a zero-latency fake behind the real OpenAI
// adapter. "idle" waits for each job to finish (outside the timer) before
// the next request; "back-to-back" does not, so workers run the jobs while
// new ones are accepted.
func BenchmarkAnalysis202(b *testing.B) {
	for _, store := range benchStores {
		for _, wait := range []bool{true, false} {
			name := "store=" + store + "/idle"
			if !wait {
				name = "store=" + store + "/back-to-back"
			}
			b.Run(name, func(b *testing.B) { benchAnalysis202(b, store, wait) })
		}
	}
}

func benchAnalysis202(b *testing.B, store string, wait bool) {
	models, _ := MustFakeModels(b, providertest.Options{Responder: benchResponder})
	st := &serverTimes{route: "POST /v1/analyses"}
	m := MustRunMain(b, withBenchRates, withBenchStore(b, store), func(m *Main) { m.Routed = models; m.Logger = slog.New(st) })
	url := m.HTTP.URL() + "/v1/analyses"
	c := MustBenchClient(b)
	st.reset()
	lat := make(durations, 0, b.N)
	earlyEnds := 0
	b.ResetTimer()
	body := benchBodies(b, true, "grammar")
	for i := range b.N {
		status, resp, d := benchPost(b, c, url, body(i+1))
		if status != 202 {
			b.Fatalf("status %d, want 202: %s", status, resp)
		}
		lat = append(lat, d)
		if wait {
			b.StopTimer()
			var acc struct {
				StreamURL string `json:"stream_url"`
			}
			if err := json.Unmarshal(resp, &acc); err != nil {
				b.Fatal(err)
			}
			earlyEnds += mustFollowToDone(b, m.HTTP.URL()+acc.StreamURL)
			b.StartTimer()
		}
	}
	b.StopTimer()
	lat.report(b, "")
	st.report(b)
	if wait {
		b.ReportMetric(float64(earlyEnds), "early-ends")
	}
}

// mustFollowToDone follows a job's stream until its done event the way an
// EventSource does: when the stream ends without done, it reconnects with
// Last-Event-ID. It returns how many times the stream ended early and fails
// if the events are not numbered 1, 2, 3 … across the connections.
func mustFollowToDone(tb testing.TB, url string) (earlyEnds int) {
	tb.Helper()
	var all []sseEvent
	for {
		var last int64
		if len(all) > 0 {
			last = all[len(all)-1].ID
		}
		evs := MustReadAfterDone(tb, url, last) // reads until the server ends the stream
		all = append(all, evs...)
		if len(all) > 0 && all[len(all)-1].Type == copydesk.EventDone {
			checkSequence(tb, all, 1)
			return earlyEnds
		}
		earlyEnds++
		if earlyEnds > 100 {
			tb.Fatalf("stream of %s ended 100 times without done; events %+v", url, all)
		}
	}
}

// BenchmarkSubmitSteps times the three storage steps of accepting a job
// (jobs.Service.Submit) one by one on each store: CreateJob, AppendEvent of
// job.queued, and Queue.Enqueue. The jobs are real; the workers run them in
// the background (they fail at once: their input is empty).
func BenchmarkSubmitSteps(b *testing.B) {
	for _, store := range benchStores {
		b.Run("store="+store, func(b *testing.B) {
			m := MustRunMain(b, withBenchRates, withBenchStore(b, store))
			ctx := context.Background()
			var create, appendEv, enqueue durations
			for b.Loop() {
				job := &copydesk.Job{Kind: analysis.JobKind, Input: json.RawMessage(`{}`)}
				t0 := time.Now()
				if err := m.Store.CreateJob(ctx, job); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := m.Store.AppendEvent(ctx, &copydesk.Event{JobID: job.ID, Type: "job.queued", Data: json.RawMessage(`{"priority":"HIGH"}`)}); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if err := m.Queue.Enqueue(ctx, job); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				create = append(create, t1.Sub(t0))
				appendEv = append(appendEv, t2.Sub(t1))
				enqueue = append(enqueue, t3.Sub(t2))
			}
			create.report(b, "create-")
			appendEv.report(b, "append-")
			enqueue.report(b, "enqueue-")
		})
	}
}

// BenchmarkEnqueueToStart measures how long an accepted job waits on an
// idle queue: "202-to-started" from the client's receipt of the 202 until
// the job.started event is read on the job's stream (includes opening the
// stream), and "queued-to-started" between the stored timestamps of the
// job.queued and job.started events. Each job runs to done, then a random
// pause follows (outside the timer) so arrivals do not lock to the queue's
// poll phase. River sends an insert notification at most once per
// FetchCooldown (100 ms by default); a job inserted sooner after the last
// one waits for the next poll, so "sparse" arrivals (pauses of 150–250 ms)
// and "dense" ones (0–100 ms) are measured apart at the default interval.
func BenchmarkEnqueueToStart(b *testing.B) {
	for _, tc := range []struct {
		store              string
		poll               time.Duration
		pauseMin, pauseMax time.Duration
	}{
		{"sqlite", 0, 0, 100 * time.Millisecond},
		{"sqlite", 0, 150 * time.Millisecond, 250 * time.Millisecond},
		{"sqlite", 50 * time.Millisecond, 0, 100 * time.Millisecond},
		{"sqlite", 5 * time.Millisecond, 0, 100 * time.Millisecond},
		{"postgres", 0, 0, 100 * time.Millisecond},
		{"postgres", 0, 150 * time.Millisecond, 250 * time.Millisecond},
	} {
		poll := tc.poll
		name := "store=" + tc.store + "/poll=default"
		if poll > 0 {
			name = "store=" + tc.store + "/poll=" + poll.String()
		}
		if tc.pauseMin > 0 {
			name += "/sparse"
		} else {
			name += "/dense"
		}
		b.Run(name, func(b *testing.B) {
			models, _ := MustFakeModels(b, providertest.Options{Responder: findingsResponder})
			m := MustRunMain(b, withBenchRates, withBenchStore(b, tc.store), func(m *Main) { m.Routed = models; m.Config.Queue.PollInterval = poll })
			url := m.HTTP.URL() + "/v1/analyses"
			c := MustBenchClient(b)
			var toStarted, stored durations
			b.ResetTimer()
			for i := range b.N {
				body, _ := json.Marshal(map[string]any{"content": fmt.Sprintf("%s Bestelling %d.", dutchText, i), "language": "nl", "deep": []string{"grammar"}})
				status, resp, _ := benchPost(b, c, url, body)
				t0 := time.Now()
				if status != 202 {
					b.Fatalf("status %d, want 202: %s", status, resp)
				}
				var acc struct {
					JobID     string `json:"job_id"`
					StreamURL string `json:"stream_url"`
				}
				if err := json.Unmarshal(resp, &acc); err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				stream := openStream(b, ctx, m.HTTP.URL()+acc.StreamURL, 0)
				_, err := readEvents(stream.Body, func(ev sseEvent) bool { return ev.Type == "job.started" })
				toStarted = append(toStarted, time.Since(t0))
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := readEvents(stream.Body, nil); err != nil {
					b.Fatal(err)
				}
				stream.Body.Close()
				cancel()
				evs, err := m.Jobs.Events(context.Background(), acc.JobID, 0, 0)
				if err != nil {
					b.Fatal(err)
				}
				var queuedAt, startedAt time.Time
				for _, ev := range evs {
					switch ev.Type {
					case "job.queued":
						queuedAt = ev.At
					case "job.started":
						if startedAt.IsZero() {
							startedAt = ev.At
						}
					}
				}
				if queuedAt.IsZero() || startedAt.IsZero() {
					b.Fatalf("job %s lacks job.queued or job.started: %d events", acc.JobID, len(evs))
				}
				stored = append(stored, startedAt.Sub(queuedAt))
				time.Sleep(tc.pauseMin + rand.N(tc.pauseMax-tc.pauseMin))
				b.StartTimer()
			}
			b.StopTimer()
			toStarted.report(b, "202-to-started-")
			stored.report(b, "queued-to-started-")
		})
	}
}

// MustRaiseFileLimit raises the soft limit of open files to at least n (up
// to the hard limit) and restores it at the end.
func MustRaiseFileLimit(tb testing.TB, n uint64) {
	tb.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		tb.Fatal(err)
	}
	if old.Cur >= n {
		return
	}
	if old.Max < n {
		tb.Fatalf("open file hard limit %d is below the %d this measurement needs; raise it with ulimit -Hn", old.Max, n)
	}
	lim := old
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatalf("raise open file limit to %d: %v", n, err)
	}
	tb.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// countingJobs counts the store reads the SSE handler makes through the job
// service.
type countingJobs struct {
	copydesk.JobService
	reads atomic.Int64
}

func (c *countingJobs) Events(ctx context.Context, id string, afterSeq int64, limit int) ([]*copydesk.Event, error) {
	c.reads.Add(1)
	return c.JobService.Events(ctx, id, afterSeq, limit)
}

func (c *countingJobs) GetWithEvents(ctx context.Context, id string, afterSeq int64, limit int) (*copydesk.Job, []*copydesk.Event, error) {
	c.reads.Add(1)
	return c.JobService.GetWithEvents(ctx, id, afterSeq, limit)
}

// followStream reads an SSE stream until its done event. It returns how
// many events (with an id) it carried and, for events whose data holds
// "sent":<unix nanoseconds>, the time from sending to reading.
func followStream(r io.Reader, lags durations) (int, durations, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	key := []byte(`"sent":`)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return n, lags, err
		}
		switch {
		case bytes.HasPrefix(line, []byte("id: ")):
			n++
		case bytes.HasPrefix(line, []byte("data: ")):
			if i := bytes.Index(line, key); i >= 0 {
				rest := line[i+len(key):]
				j := bytes.IndexAny(rest, ",}")
				if sent, err := strconv.ParseInt(string(rest[:max(j, 0)]), 10, 64); err == nil {
					lags = append(lags, time.Duration(time.Now().UnixNano()-sent))
				}
			}
		case bytes.Equal(line, []byte("event: done\n")):
			return n, lags, nil
		}
	}
}

// BenchmarkSSEFanout measures event delivery to 1,000 concurrent SSE
// streams through the real handler, store and broker. Events are written
// straight to the store and the broker, as a job's runner does; one op is
// one delta event appended to every followed job. "jobs=1000" has each
// client follow its own job; "jobs=1" has all 1,000 follow one job.
// "unpaced" appends as fast as the store takes them; "every=10ms" appends
// one event per job every 10 ms (a fast model's token rate). Every client
// must receive every event. Reported: delivered events/s, appends/s, store
// reads per delivered event, process CPU per delivered event (client and
// server share the process), and lag from append to client read. Set
// COPYDESK_BENCH_SSE=1 to run it.
func BenchmarkSSEFanout(b *testing.B) {
	if os.Getenv("COPYDESK_BENCH_SSE") == "" {
		b.Skip("set COPYDESK_BENCH_SSE=1 to run the 1,000-stream SSE measurement")
	}
	const clients = 1000
	for _, tc := range []struct {
		store string
		jobs  int
		every time.Duration
	}{
		{"sqlite", clients, 0}, {"sqlite", 1, 0}, {"sqlite", 1, 10 * time.Millisecond},
		{"postgres", clients, 0}, {"postgres", 1, 10 * time.Millisecond},
	} {
		pace := "unpaced"
		if tc.every > 0 {
			pace = "every=" + tc.every.String()
		}
		b.Run(fmt.Sprintf("store=%s/clients=%d/jobs=%d/%s", tc.store, clients, tc.jobs, pace), func(b *testing.B) {
			MustRaiseFileLimit(b, 3*clients+1000)
			m := MustRunMain(b, withBenchRates, withBenchStore(b, tc.store))
			cj := &countingJobs{JobService: m.Jobs}
			// The same server as Main's, with the job service wrapped to
			// count the stream handler's store reads.
			srv := &cdhttp.Server{
				Addr: "127.0.0.1:0", Logger: m.Logger, Jobs: cj, Analysis: m.HTTP.Analysis,
				Observer: m.Metrics, Auth: m.Auth, Limiter: m.Limiter, Access: m.Store, Clock: m.Clock,
			}
			if err := srv.Open(); err != nil {
				b.Fatal(err)
			}
			registerTestKey(b, srv.URL(), testKeyFor(m.HTTP.URL()))
			b.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = srv.Close(ctx)
			})
			ctx := context.Background()
			ids := make([]string, tc.jobs)
			for i := range ids {
				job := &copydesk.Job{Kind: analysis.JobKind, Input: json.RawMessage(`{}`)}
				if err := m.Store.CreateJob(ctx, job); err != nil {
					b.Fatal(err)
				}
				ids[i] = job.ID
			}

			hc := MustBenchClient(b)
			streamCtx, cancelStreams := context.WithCancel(ctx)
			defer cancelStreams()
			var wg sync.WaitGroup
			var delivered atomic.Int64
			var mu sync.Mutex
			var lags durations
			errs := make(chan error, clients)
			for i := range clients {
				req, _ := http.NewRequestWithContext(streamCtx, "GET", srv.URL()+"/v1/jobs/"+ids[i%tc.jobs]+"/events", nil)
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatalf("open stream %d: %v", i, err)
				}
				if resp.StatusCode != 200 {
					b.Fatalf("open stream %d: status %d", i, resp.StatusCode)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer resp.Body.Close()
					n, mine, err := followStream(resp.Body, make(durations, 0, b.N))
					delivered.Add(int64(n))
					mu.Lock()
					lags = append(lags, mine...)
					mu.Unlock()
					if err != nil {
						errs <- fmt.Errorf("stream read: %w (after %d events)", err, n)
					}
				}()
			}

			appendEv := func(id, typ string, data json.RawMessage) {
				ev := &copydesk.Event{JobID: id, Type: typ, Data: data}
				if err := m.Store.AppendEvent(ctx, ev); err != nil {
					b.Fatal(err)
				}
				m.Jobs.Broker.Publish(ev)
			}
			cpu0 := processCPU()
			reads0 := cj.reads.Load()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if tc.every > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(i) * tc.every)))
				}
				for _, id := range ids {
					appendEv(id, copydesk.EventDelta, fmt.Appendf(nil, `{"task":"grammar","text":" the slow extraction gives a smooth cup","sent":%d}`, time.Now().UnixNano()))
				}
			}
			for _, id := range ids {
				appendEv(id, copydesk.EventDone, json.RawMessage(`{"status":"succeeded"}`))
			}
			appended := time.Since(start)
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			cpu := processCPU() - cpu0
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			want := int64(clients) * int64(b.N+1)
			if got := delivered.Load(); got != want {
				b.Fatalf("clients received %d events, want %d", got, want)
			}
			b.ReportMetric(float64(want)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(tc.jobs*(b.N+1))/appended.Seconds(), "appends/s")
			b.ReportMetric(float64(cj.reads.Load()-reads0)/float64(want), "reads/event")
			b.ReportMetric(float64(cpu.Microseconds())/float64(want), "cpu-µs/event")
			lags.report(b, "lag-")
		})
	}
}

// procStatus returns a field of /proc/pid/status in KiB (e.g. VmRSS).
func procStatus(tb testing.TB, pid int, field string) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				tb.Fatalf("%s: %v", field, err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// procCPU returns the CPU time (user + system) a process used so far.
func procCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// TestBenchIdleStreamsRSS measures the memory and idle CPU of the server
// process with N open, idle SSE streams: it starts the binary with the
// simulated provider answering after 10 minutes, starts 10 jobs that wait on
// it, and opens N streams spread over them. Set COPYDESK_BENCH_STREAMS=N
// (e.g. 1000 or 10000) to run it; it reports, it asserts no numbers.
func TestBenchIdleStreamsRSS(t *testing.T) {
	v := os.Getenv("COPYDESK_BENCH_STREAMS")
	if v == "" {
		t.Skip("set COPYDESK_BENCH_STREAMS=N (e.g. 1000 or 10000) to measure RSS and idle CPU at N open streams")
	}
	streams, err := strconv.Atoi(v)
	if err != nil || streams < 1 {
		t.Fatalf("COPYDESK_BENCH_STREAMS=%q: want a positive number of streams", v)
	}
	MustRaiseFileLimit(t, uint64(streams)+1000)
	const jobsN = 10
	bin := MustBuildBinary(t)
	config := filepath.Join(t.TempDir(), "copydesk.yaml")
	if err := os.WriteFile(config, []byte(benchRatesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	ch := startChild(t, bin, t.TempDir(), freeAddr(t), "COPYDESK_CONFIG="+config,
		"COPYDESK_SIMULATE_TTFT=10m", "COPYDESK_SIMULATE_LATENCY=11m", "COPYDESK_QUEUE_POLL_INTERVAL=50ms")
	pid := ch.cmd.Process.Pid

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make([]string, jobsN)
	for i := range urls {
		r := postJSON(t, ch.url+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
		if r.Status != 202 {
			t.Fatalf("status %d, want 202: %s", r.Status, r.Body)
		}
		var acc struct {
			StreamURL string `json:"stream_url"`
		}
		r.json(t, &acc)
		urls[i] = ch.url + acc.StreamURL
		resp := openStream(t, ctx, urls[i], 0)
		if _, err := readEvents(resp.Body, func(ev sseEvent) bool { return ev.Type == copydesk.EventTaskStarted }); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	idleCPU := func(window time.Duration) float64 {
		c0 := procCPU(t, pid)
		time.Sleep(window)
		return float64(procCPU(t, pid)-c0) / float64(window) * 100
	}
	time.Sleep(2 * time.Second)
	rss0 := procStatus(t, pid, "VmRSS")
	cpu0 := idleCPU(10 * time.Second)

	hc := MustBenchClient(t)
	var wg sync.WaitGroup
	var opened, failed atomic.Int64
	start := time.Now()
	sem := make(chan struct{}, 32)
	for i := range streams {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", urls[i%jobsN], nil)
			resp, err := hc.Do(req)
			<-sem
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
				if err == nil {
					resp.Body.Close()
				}
				return
			}
			opened.Add(1)
			_, _ = io.Copy(io.Discard, resp.Body) // until the test ends
			resp.Body.Close()
		}()
	}
	for opened.Load()+failed.Load() < int64(streams) {
		time.Sleep(10 * time.Millisecond)
	}
	openTime := time.Since(start)
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d streams failed to open", n, streams)
	}
	time.Sleep(5 * time.Second) // past two stream polls
	rss1 := procStatus(t, pid, "VmRSS")
	cpu1 := idleCPU(10 * time.Second)
	rss2 := procStatus(t, pid, "VmRSS")
	hwm := procStatus(t, pid, "VmHWM")
	t.Logf("streams=%d opened in %v", streams, openTime.Round(time.Millisecond))
	t.Logf("VmRSS before %d KiB, with streams %d KiB (after 10 s more: %d KiB), peak %d KiB", rss0, rss1, rss2, hwm)
	t.Logf("RSS per stream: %.1f KiB", float64(rss1-rss0)/float64(streams))
	t.Logf("server CPU while idle: %.1f%% of one core without streams, %.1f%% with %d streams", cpu0, cpu1, streams)
	cancel()
	wg.Wait()
}

// TestBenchIdleStreamsMemStats opens N idle streams on the in-process Main
// with raw TCP clients that never read (so the client side adds no
// goroutines) and reports where the server's memory per stream goes:
// goroutine stacks and live heap after a GC, from runtime.MemStats. Run it
// with -count=1: a second run in the same process reuses memory the first
// one obtained. Client and server ends share this process's open file
// limit, so N is at most about half the hard limit. Set
// COPYDESK_BENCH_STREAMS=N to run it.
func TestBenchIdleStreamsMemStats(t *testing.T) {
	v := os.Getenv("COPYDESK_BENCH_STREAMS")
	if v == "" {
		t.Skip("set COPYDESK_BENCH_STREAMS=N (e.g. 1000 or 10000) to measure the server's memory per open stream")
	}
	streams, err := strconv.Atoi(v)
	if err != nil || streams < 1 {
		t.Fatalf("COPYDESK_BENCH_STREAMS=%q: want a positive number of streams", v)
	}
	MustRaiseFileLimit(t, 2*uint64(streams)+200) // client and server end of each stream, in this process
	m := MustRunMain(t, withBenchRates)
	job := &copydesk.Job{Kind: analysis.JobKind, Input: json.RawMessage(`{}`)}
	if err := m.Store.CreateJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(m.HTTP.URL(), "http://")
	request := []byte("GET /v1/jobs/" + job.ID + "/events HTTP/1.1\r\nHost: " + addr +
		"\r\nAuthorization: Bearer " + testKeyFor(m.HTTP.URL()) + "\r\n\r\n")

	snapshot := func() (runtime.MemStats, int) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms, runtime.NumGoroutine()
	}
	ms0, g0 := snapshot()
	conns := make([]net.Conn, 0, streams)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range streams {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, err := c.Write(request); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// Wait until every stream is subscribed.
	for deadline := time.Now().Add(time.Minute); m.Jobs.Broker.Subscribers() < streams; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d streams subscribed after a minute", m.Jobs.Broker.Subscribers(), streams)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(5 * time.Second) // past two stream polls
	ms1, g1 := snapshot()
	per := func(a, b uint64) float64 { return (float64(b) - float64(a)) / float64(streams) / 1024 }
	t.Logf("streams=%d goroutines +%.2f per stream", streams, float64(g1-g0)/float64(streams))
	t.Logf("per stream: stacks %.1f KiB, live heap objects %.1f KiB (heap spans in use %.1f KiB), memory obtained from the OS (Sys) %.1f KiB",
		per(ms0.StackInuse, ms1.StackInuse), per(ms0.HeapAlloc, ms1.HeapAlloc), per(ms0.HeapInuse, ms1.HeapInuse), per(ms0.Sys, ms1.Sys))
}
