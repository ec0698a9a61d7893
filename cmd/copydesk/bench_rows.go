package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copydesk/copydesk/internal/loadtest"
)

// benchJobText is the content of the bench's deep analyses: short, so that
// a job's cost is the job machinery's, not the local analysis engine's.
const benchJobText = "Our bakery bakes fresh bread every morning. The sourdough is proofed overnight and baked before sunrise, so the crust stays crisp."

// benchEnv is one bench run: its configuration, the targets and their
// clients. Its rows run one after the other.
type benchEnv struct {
	cfg   benchConfig
	log   io.Writer
	nonce string // makes prompts and contents unique to this run
	up    *loadtest.Upstream

	upstreamURL, bareURL string
	serverURL, apiKey    string
	streamURL            string // where SSE streams are opened: serverURL, or another instance
	serverPID            int
	proxyURL             string // the Go proxy floor; "": not measured
	proxyPID             int

	seq     atomic.Int64 // numbers unique prompts and jobs
	client  *http.Client // requests to the server
	streams *http.Client // SSE streams from the server
	local   *http.Client // the upstream and the bare server
	peer    *http.Client
	proxy   *http.Client // the Go proxy floor
	bufs    sync.Pool
}

func (e *benchEnv) init() {
	conns := 4 * e.cfg.Concurrency
	e.client = benchHTTPClient(conns)
	e.streams = benchHTTPClient(e.cfg.Streams + e.cfg.Jobs)
	e.local = benchHTTPClient(conns)
	e.peer = benchHTTPClient(conns)
	e.proxy = benchHTTPClient(conns)
	e.bufs.New = func() any { return new(bytes.Buffer) }
}

func (e *benchEnv) close() {
	for _, c := range []*http.Client{e.client, e.streams, e.local, e.peer, e.proxy} {
		c.CloseIdleConnections()
	}
}

// benchTarget is one thing a row measures, with its totals over the
// row's phases.
type benchTarget struct {
	name   string
	url    string
	header http.Header
	client *http.Client
	body   func() []byte
	// check returns why an answer with the right status is still wrong,
	// or "".
	check func(*http.Response) string
	pid   int // 0: its CPU time is not read
	dbPID int // 0: no database CPU time

	sample        loadtest.Sample
	cpu, db, self time.Duration

	// store says to read the server's counters around each phase
	// (copydesk_store_statements_total and _transactions_total,
	// go_memstats_mallocs_total and _alloc_bytes_total on its /metrics);
	// stored is false once a read failed (a server without them), and the
	// figures are then left out.
	store, stored bool
	counts        serverCounts // summed over the phases
}

// meter reads CPU times at the start of a phase.
type meter struct {
	pid, dbPID, selfPID int
	cpu, db, self       time.Duration
}

// startMeter reads the CPU times of the server (pid), the database
// (dbPID, with its children) and this process.
func startMeter(pid, dbPID int) (*meter, error) {
	m := &meter{pid: pid, dbPID: dbPID, selfPID: os.Getpid()}
	var err error
	if pid > 0 {
		if m.cpu, err = readProcCPU(pid, false); err != nil {
			return nil, err
		}
	}
	if dbPID > 0 {
		if m.db, err = readProcCPU(dbPID, true); err != nil {
			return nil, err
		}
	}
	if m.self, err = readProcCPU(m.selfPID, false); err != nil {
		return nil, err
	}
	return m, nil
}

// read returns the CPU time used since the start.
func (m *meter) read() (cpu, db, self time.Duration, err error) {
	if m.pid > 0 {
		c, err := readProcCPU(m.pid, false)
		if err != nil {
			return 0, 0, 0, err
		}
		cpu = c - m.cpu
	}
	if m.dbPID > 0 {
		d, err := readProcCPU(m.dbPID, true)
		if err != nil {
			return 0, 0, 0, err
		}
		db = d - m.db
	}
	s, err := readProcCPU(m.selfPID, false)
	if err != nil {
		return 0, 0, 0, err
	}
	return cpu, db, s - m.self, nil
}

// measure runs op under load as one measured phase of t and adds the
// phase to t's totals.
func (e *benchEnv) measure(ctx context.Context, t *benchTarget, load loadtest.Load, op loadtest.Op) error {
	m, err := startMeter(t.pid, t.dbPID)
	if err != nil {
		return err
	}
	counted := e.countStore(ctx, t)
	s, runErr := loadtest.Run(ctx, load, op)
	cpu, db, self, err := m.read()
	counted()
	if s != nil {
		t.sample.Add(s)
	}
	t.cpu += cpu
	t.db += db
	t.self += self
	if runErr != nil {
		return runErr
	}
	return err
}

// result summarizes t; rate says whether the row measures throughput.
func (t *benchTarget) result(unit string, rate bool) *benchResult {
	s := &t.sample
	sum := loadtest.Summarize(s.Latencies)
	r := &benchResult{
		Target: t.name, Unit: unit, OK: s.OK, Failed: s.Failed, Seconds: round(s.Elapsed.Seconds(), 3),
		P50: millis(sum.P50), P90: millis(sum.P90), P99: millis(sum.P99), Max: millis(sum.Max),
	}
	if rate {
		v := round(s.Rate(), 1)
		r.PerSecond = &v
	}
	if s.OK > 0 {
		per := func(d time.Duration) *float64 { v := round(float64(d.Nanoseconds())/1e3/float64(s.OK), 1); return &v }
		if t.pid > 0 {
			r.ServerCPU = per(t.cpu)
		}
		if t.dbPID > 0 {
			r.DatabaseCPU = per(t.db)
		}
		r.BenchCPU = *per(t.self)
	}
	return r
}

func millis(d time.Duration) float64 { return round(float64(d.Nanoseconds())/1e6, 3) }

// ratios sets each result's rate over the floor's.
func ratios(row *benchRow) {
	floor := row.result(row.Floor)
	if floor == nil || floor.PerSecond == nil || *floor.PerSecond == 0 {
		return
	}
	for _, r := range row.Results {
		if r != floor && r.PerSecond != nil {
			v := round(*r.PerSecond / *floor.PerSecond, 3)
			r.Ratio = &v
		}
	}
}

// authHeader returns the header that authenticates with the server.
func (e *benchEnv) authHeader() http.Header {
	return http.Header{"Authorization": {"Bearer " + e.apiKey}, "Content-Type": {"application/json"}}
}

// chatBody returns a chat completion request for prompt.
func chatBody(prompt string) []byte {
	b, _ := json.Marshal(map[string]any{"model": loadtest.DefaultModel, "messages": []any{map[string]any{"role": "user", "content": prompt}}})
	return b
}

// uniqueChat returns a body maker whose every body has a prompt no
// request of this run (or an earlier run) had.
func (e *benchEnv) uniqueChat() func() []byte {
	prefix, suffix, _ := bytes.Cut(chatBody("bench "+e.nonce+" #"), []byte("#"))
	return func() []byte {
		b := make([]byte, 0, len(prefix)+len(suffix)+20)
		b = append(b, prefix...)
		b = strconv.AppendInt(b, e.seq.Add(1), 10)
		return append(b, suffix...)
	}
}

// sameChat returns a body maker of one identical request.
func (e *benchEnv) sameChat() func() []byte {
	body := chatBody("bench " + e.nonce + " the same question every time")
	return func() []byte { return body }
}

// cacheCheck requires Copydesk's answer to come from the upstream (not the
// simulated provider) and to be a cache hit or miss as wanted.
func cacheCheck(want string) func(*http.Response) string {
	return func(resp *http.Response) string {
		if resp.Header.Get("X-Copydesk-Simulated") == "true" {
			return "the answer is simulated: the chat rows need gpt-4o-mini routed to the bench's upstream (see --print-config)"
		}
		if got := resp.Header.Get("X-Copydesk-Cache"); got != want {
			return fmt.Sprintf("X-Copydesk-Cache is %q, want %q", got, want)
		}
		return ""
	}
}

func (e *benchEnv) copydeskChat(body func() []byte, cache string) *benchTarget {
	return &benchTarget{
		name: "copydesk", url: e.serverURL + "/v1/chat/completions", header: e.authHeader(), client: e.client,
		body: body, check: cacheCheck(cache), pid: e.serverPID, dbPID: e.cfg.DBPID, store: true, stored: true,
	}
}

func (e *benchEnv) upstreamTarget(body func() []byte) *benchTarget {
	return &benchTarget{
		name: "upstream", url: e.upstreamURL + "/v1/chat/completions", client: e.local, body: body,
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer bench"}},
	}
}

func (e *benchEnv) bareTarget(body func() []byte) *benchTarget {
	return &benchTarget{
		name: "bare", url: e.bareURL + "/v1/chat/completions", client: e.local, body: body,
		header: http.Header{"Content-Type": {"application/json"}},
	}
}

// proxyTarget returns the Go proxy floor's target, or nil without one.
func (e *benchEnv) proxyTarget(body func() []byte) *benchTarget {
	if e.proxyURL == "" {
		return nil
	}
	return &benchTarget{
		name: "goproxy", url: e.proxyURL + "/v1/chat/completions", client: e.proxy, body: body, pid: e.proxyPID,
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer bench"}},
	}
}

// peerTarget returns the peer gateway's target, or nil without one.
func (e *benchEnv) peerTarget(body func() []byte) *benchTarget {
	if e.cfg.PeerURL == "" {
		return nil
	}
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer bench"}}
	headers := e.cfg.PeerHeaders
	if len(headers) == 0 {
		headers = []string{"x-portkey-provider: openai", "x-portkey-custom-host: {upstream}/v1"}
	}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ":")
		h.Set(strings.TrimSpace(k), strings.ReplaceAll(strings.TrimSpace(v), "{upstream}", e.upstreamURL))
	}
	return &benchTarget{name: "peer", url: e.cfg.PeerURL + "/v1/chat/completions", client: e.peer, body: body, header: h, pid: e.cfg.PeerPID}
}

// chatOp posts t's body and requires a 200 chat completion that passes t's
// check.
func (e *benchEnv) chatOp(t *benchTarget) loadtest.Op {
	return func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body()))
		if err != nil {
			return err
		}
		for k, v := range t.header {
			req.Header[k] = v
		}
		resp, err := t.client.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		buf := e.bufs.Get().(*bytes.Buffer)
		defer e.bufs.Put(buf)
		buf.Reset()
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: read the answer: %w", t.name, err)
		}
		target := t.name + " POST /v1/chat/completions"
		if resp.StatusCode != http.StatusOK {
			return &loadtest.StatusError{Target: target, Status: resp.StatusCode, Want: http.StatusOK, Body: loadtest.Snippet(buf.Bytes())}
		}
		if !bytes.Contains(buf.Bytes(), []byte(`"choices"`)) {
			return &loadtest.StatusError{Target: target, Status: resp.StatusCode, Want: http.StatusOK, Reason: "the body is not a chat completion", Body: loadtest.Snippet(buf.Bytes())}
		}
		if t.check != nil {
			if why := t.check(resp); why != "" {
				return &loadtest.StatusError{Target: target, Status: resp.StatusCode, Want: http.StatusOK, Reason: why}
			}
		}
		return nil
	}
}

// interleave measures the targets in e.cfg.Rounds rounds, each target for
// its share of e.cfg.Duration per round, the order rotating from round to
// round, after an unmeasured warm-up of each. It stops at the first wrong
// answer and marks the row failed.
func (e *benchEnv) interleave(ctx context.Context, row *benchRow, targets []*benchTarget, conc int) {
	if e.cfg.Warmup > 0 {
		for _, t := range targets {
			s, err := loadtest.Run(ctx, loadtest.Load{Concurrency: conc, Duration: e.cfg.Warmup}, e.chatOp(t))
			if err != nil {
				row.fail("%s: warm-up: %v", t.name, err)
				return
			}
			if s.Failed > 0 {
				row.fail("%s (warm-up): %s", t.name, s.FirstError)
				return
			}
		}
	}
	per := e.cfg.Duration / time.Duration(e.cfg.Rounds)
	for r := range e.cfg.Rounds {
		for k := range targets {
			t := targets[(k+r)%len(targets)]
			fmt.Fprintf(e.log, "bench:   round %d/%d: %s\n", r+1, e.cfg.Rounds, t.name)
			if err := e.measure(ctx, t, loadtest.Load{Concurrency: conc, Duration: per}, e.chatOp(t)); err != nil {
				row.fail("%s: %v", t.name, err)
				return
			}
			if t.sample.Failed > 0 {
				row.fail("%s: %s", t.name, t.sample.FirstError)
				return
			}
		}
	}
}

// chatTargets are the targets of the chat and latency rows.
func (e *benchEnv) chatTargets() []*benchTarget {
	unique := e.uniqueChat()
	ts := []*benchTarget{e.copydeskChat(unique, "miss"), e.upstreamTarget(unique)}
	if p := e.proxyTarget(unique); p != nil {
		ts = append(ts, p)
	}
	if p := e.peerTarget(unique); p != nil {
		ts = append(ts, p)
	}
	return ts
}

func (e *benchEnv) rowChat(ctx context.Context) *benchRow {
	c := e.cfg.Concurrency
	row := &benchRow{Name: "chat", Title: fmt.Sprintf("POST /v1/chat/completions, unique prompts (uncached), c=%d", c), Floor: "upstream"}
	targets := e.chatTargets()
	e.interleave(ctx, row, targets, c)
	for _, t := range targets {
		row.Results = append(row.Results, t.result("req", true))
	}
	ratios(row)
	storeFigures(row, targets[0], "call")
	if cd, peer := row.result("copydesk"), row.result("peer"); cd != nil && peer != nil && *peer.PerSecond > 0 {
		row.figure("copydesk over peer", round(*cd.PerSecond / *peer.PerSecond, 3), "x")
	}
	if cd, gp := row.result("copydesk"), row.result("goproxy"); cd != nil && gp != nil && *gp.PerSecond > 0 {
		row.figure("copydesk over goproxy", round(*cd.PerSecond / *gp.PerSecond, 3), "x")
		if cd.ServerCPU != nil && gp.ServerCPU != nil && *gp.ServerCPU > 0 {
			row.figure("copydesk CPU per call over goproxy's", round(*cd.ServerCPU / *gp.ServerCPU, 2), "x")
		}
	}
	return row
}

func (e *benchEnv) rowLatency(ctx context.Context) *benchRow {
	row := &benchRow{Name: "latency", Title: "POST /v1/chat/completions, unique prompts, c=1: latency added over the upstream", Floor: "upstream"}
	targets := e.chatTargets()
	e.interleave(ctx, row, targets, 1)
	for _, t := range targets {
		row.Results = append(row.Results, t.result("req", true))
	}
	ratios(row)
	storeFigures(row, targets[0], "call")
	if up := row.result("upstream"); up != nil && up.OK > 0 {
		for _, name := range []string{"copydesk", "goproxy", "peer"} {
			if r := row.result(name); r != nil && r.OK > 0 {
				row.figure(name+" added p50", round(r.P50-up.P50, 3), "Δms")
				row.figure(name+" added p99", round(r.P99-up.P99, 3), "Δms")
			}
		}
	}
	return row
}

func (e *benchEnv) rowHit(ctx context.Context) *benchRow {
	c := e.cfg.Concurrency
	row := &benchRow{Name: "hit", Title: fmt.Sprintf("POST /v1/chat/completions, identical request (cache hit), c=%d", c), Floor: "bare"}
	same := e.sameChat()
	cd := e.copydeskChat(same, "hit")
	// The first call is a miss that fills the cache.
	prime := *cd
	prime.check = nil
	if err := e.chatOp(&prime)(ctx, 0); err != nil {
		row.fail("copydesk (first call): %v", err)
		return row
	}
	targets := []*benchTarget{cd, e.bareTarget(same)}
	e.interleave(ctx, row, targets, c)
	for _, t := range targets {
		row.Results = append(row.Results, t.result("req", true))
	}
	ratios(row)
	storeFigures(row, cd, "hit")
	return row
}

// analysisAnswer is what the bench reads of POST /v1/analyses.
type analysisAnswer struct {
	Status    string `json:"status"`
	JobID     string `json:"job_id"`
	StreamURL string `json:"stream_url"`
}

// analysisBody returns a deep analysis request of content.
func analysisBody(content, deep string) []byte {
	b, _ := json.Marshal(map[string]any{"content": content, "language": "en", "deep": []string{deep}})
	return b
}

// uniqueJob returns a deep analysis request no request of this run had.
func (e *benchEnv) uniqueJob(deep string) []byte {
	return analysisBody(fmt.Sprintf("%s Order %s-%d ships tomorrow.", benchJobText, e.nonce, e.seq.Add(1)), deep)
}

// uniquePage is uniqueJob of a text of blocks paragraphs, each new.
func (e *benchEnv) uniquePage(deep string, blocks int) []byte {
	if blocks <= 1 {
		return e.uniqueJob(deep)
	}
	paras := make([]string, blocks)
	for i := range paras {
		paras[i] = fmt.Sprintf("%s Order %s-%d ships tomorrow.", benchJobText, e.nonce, e.seq.Add(1))
	}
	return analysisBody(strings.Join(paras, "\n\n"), deep)
}

// postAnalysis posts body to /v1/analyses and returns the status, the
// decoded answer of a 200 or 202, and the start of the body.
func (e *benchEnv) postAnalysis(ctx context.Context, body []byte) (int, analysisAnswer, string, error) {
	var acc analysisAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.serverURL+"/v1/analyses", bytes.NewReader(body))
	if err != nil {
		return 0, acc, "", err
	}
	req.Header = e.authHeader()
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, acc, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, acc, "", fmt.Errorf("read the answer of POST /v1/analyses: %w", err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(b, &acc); err != nil {
			return resp.StatusCode, acc, loadtest.Snippet(b), &loadtest.StatusError{Target: "POST /v1/analyses", Status: resp.StatusCode, Want: resp.StatusCode, Reason: "the body is not JSON: " + err.Error(), Body: loadtest.Snippet(b)}
		}
	}
	return resp.StatusCode, acc, loadtest.Snippet(b), nil
}

// submitJob posts a deep analysis and requires a 202 with a stream URL.
func (e *benchEnv) submitJob(ctx context.Context, body []byte) (analysisAnswer, error) {
	status, acc, snippet, err := e.postAnalysis(ctx, body)
	if err != nil {
		return acc, err
	}
	if status != http.StatusAccepted {
		return acc, &loadtest.StatusError{Target: "POST /v1/analyses", Status: status, Want: http.StatusAccepted, Body: snippet}
	}
	if acc.JobID == "" || acc.StreamURL == "" {
		return acc, &loadtest.StatusError{Target: "POST /v1/analyses", Status: status, Want: http.StatusAccepted, Reason: "the answer has no job_id or stream_url", Body: snippet}
	}
	return acc, nil
}

// followJob reads a job's stream until its done event the way an
// EventSource does (reconnecting with Last-Event-ID when the stream ends
// early), calls onEvent with each event, and returns the done event's
// status. Event ids must run 1, 2, 3 … across connections, without gaps or
// repeats; an error event fails the follow.
func (e *benchEnv) followJob(ctx context.Context, streamURL string, onEvent func(*loadtest.Event)) (string, error) {
	var last int64
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			return "", fmt.Errorf("the stream %s ended 20 times without a done event", streamURL)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.streamURL+streamURL, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+e.apiKey)
		req.Header.Set("Accept", "text/event-stream")
		if last > 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
		}
		resp, err := e.streams.Do(req)
		if err != nil {
			return "", fmt.Errorf("open %s: %w", streamURL, err)
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return "", &loadtest.StatusError{Target: "GET " + streamURL, Status: resp.StatusCode, Want: http.StatusOK, Body: loadtest.Snippet(b)}
		}
		var status string
		var bad error
		done := false
		err = loadtest.ReadEvents(resp.Body, func(ev *loadtest.Event) bool {
			if ev.HasID {
				if ev.ID != last+1 {
					bad = fmt.Errorf("%s: event id %d after %d: events must be contiguous and duplicate-free", streamURL, ev.ID, last)
					return false
				}
				last = ev.ID
			}
			switch ev.Type {
			case "error":
				bad = fmt.Errorf("%s: error event: %s", streamURL, ev.Data)
				return false
			case "done":
				var d struct {
					Status string `json:"status"`
				}
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					bad = fmt.Errorf("%s: done event data %q: %v", streamURL, ev.Data, err)
					return false
				}
				status, done = d.Status, true
			}
			if onEvent != nil {
				onEvent(ev)
			}
			return !done
		})
		resp.Body.Close()
		switch {
		case bad != nil:
			return "", bad
		case done:
			return status, nil
		case ctx.Err() != nil:
			return "", ctx.Err()
		case err != nil && !errors.Is(err, io.EOF):
			return "", fmt.Errorf("read %s: %w", streamURL, err)
		}
		// Ended without done (e.g. a shutdown event): reconnect.
	}
}

// jobOutcome requires a followed job to have succeeded.
func jobOutcome(acc analysisAnswer, status string, err error) error {
	if err != nil {
		return err
	}
	if status != "succeeded" {
		return fmt.Errorf("job %s ended %q, want succeeded", acc.JobID, status)
	}
	return nil
}

// jobView is what the bench reads of GET /v1/jobs/{id}.
type jobView struct {
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// getJob reads a job and requires a 200.
func (e *benchEnv) getJob(ctx context.Context, id string) (jobView, error) {
	var v jobView
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.serverURL+"/v1/jobs/"+id, nil)
	if err != nil {
		return v, err
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	resp, err := e.client.Do(req)
	if err != nil {
		return v, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return v, err
	}
	if resp.StatusCode != http.StatusOK {
		return v, &loadtest.StatusError{Target: "GET /v1/jobs/" + id, Status: resp.StatusCode, Want: http.StatusOK, Body: loadtest.Snippet(b)}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, &loadtest.StatusError{Target: "GET /v1/jobs/" + id, Status: resp.StatusCode, Want: http.StatusOK, Reason: "the body is not a job: " + err.Error(), Body: loadtest.Snippet(b)}
	}
	return v, nil
}

// finalStatus reports whether a job status is final.
func finalStatus(s string) bool {
	switch s {
	case "succeeded", "partial", "failed", "cancelled":
		return true
	}
	return false
}

// pollToDone polls job id every 5 ms until it is final and returns it.
func (e *benchEnv) pollToDone(ctx context.Context, id string) (jobView, error) {
	for {
		v, err := e.getJob(ctx, id)
		if err != nil || finalStatus(v.Status) {
			return v, err
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return v, err
		}
	}
}

func (e *benchEnv) rowJobs(ctx context.Context) *benchRow {
	n, c := e.cfg.Jobs, e.cfg.Concurrency
	how := "each followed on its stream to done"
	if e.cfg.Follow == "poll" {
		how = "polled to done one after the other"
	}
	what := "deep " + benchJobDeep
	if e.cfg.JobBlocks > 1 {
		what += fmt.Sprintf(" of %d paragraphs", e.cfg.JobBlocks)
	}
	row := &benchRow{Name: "jobs", Title: fmt.Sprintf("POST /v1/analyses, %s, %s: %d jobs at c=%d, %s", what, e.jobModel(), n, c, how)}
	t := &benchTarget{name: "copydesk", pid: e.serverPID, dbPID: e.cfg.DBPID, store: true, stored: true}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var (
		followers sync.WaitGroup
		mu        sync.Mutex
		toDone    []time.Duration
		failed    int
		firstErr  error
		lastDone  time.Time
	)
	done := func(err error, took time.Duration, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		toDone = append(toDone, took)
		if at.After(lastDone) {
			lastDone = at
		}
	}
	// Poll mode: one poller walks the accepted jobs in order, reading each
	// until it is final (about one GET per job, as jobs finish in about
	// the order they came); 202 to done is the job's own created_at to
	// finished_at.
	accepted := make(chan analysisAnswer, n)
	if e.cfg.Follow == "poll" {
		followers.Go(func() {
			for acc := range accepted {
				v, err := e.pollToDone(fctx, acc.JobID)
				if err == nil && v.Status != "succeeded" {
					err = fmt.Errorf("job %s ended %q, want succeeded", acc.JobID, v.Status)
				}
				if err == nil && v.FinishedAt == nil {
					err = fmt.Errorf("job %s is %s without finished_at", acc.JobID, v.Status)
				}
				if err != nil {
					done(err, 0, time.Time{})
					continue
				}
				done(nil, v.FinishedAt.Sub(v.CreatedAt), *v.FinishedAt)
			}
		})
	}
	m, err := startMeter(t.pid, t.dbPID)
	if err != nil {
		close(accepted)
		row.fail("%v", err)
		return row
	}
	counted := e.countStore(ctx, t)
	start := time.Now()
	s, runErr := loadtest.Run(ctx, loadtest.Load{Concurrency: c, Count: n}, func(ctx context.Context, _ int) error {
		acc, err := e.submitJob(ctx, e.uniquePage(benchJobDeep, e.cfg.JobBlocks))
		if err != nil {
			return err
		}
		if e.cfg.Follow == "poll" {
			accepted <- acc
			return nil
		}
		at := time.Now()
		followers.Go(func() {
			status, err := e.followJob(fctx, acc.StreamURL, nil)
			now := time.Now()
			done(jobOutcome(acc, status, err), now.Sub(at), now)
		})
		return nil
	})
	close(accepted)
	// The CPU time counts until every accepted job is done.
	followers.Wait()
	cpu, db, self, err := m.read()
	counted()
	if s != nil {
		t.sample.Add(s)
	}
	t.cpu, t.db, t.self = cpu, db, self
	for _, e := range []error{runErr, err} {
		if e != nil {
			row.fail("%v", e)
		}
	}
	if t.sample.Failed > 0 {
		row.fail("%s", t.sample.FirstError)
	}
	if failed > 0 {
		row.fail("%d of %d followed jobs failed: %v", failed, t.sample.OK, firstErr)
	}
	row.Results = append(row.Results, t.result("job", true))
	storeFigures(row, t, "job")
	if len(toDone) > 0 {
		sum := loadtest.Summarize(toDone)
		row.figure("completed", float64(len(toDone)), "")
		row.figure("completed/s (first 202 to last done)", round(float64(len(toDone))/lastDone.Sub(start).Seconds(), 1), "/s")
		row.figure("202 to done p50", millis(sum.P50), "ms")
		row.figure("202 to done p99", millis(sum.P99), "ms")
	}
	return row
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *benchEnv) rowPickup(ctx context.Context) *benchRow {
	n := e.cfg.Pickups
	row := &benchRow{Name: "pickup", Title: fmt.Sprintf("idle queue: 202 to the job.started event on the job's stream, %d jobs, 20-120 ms apart", n)}
	t := &benchTarget{name: "copydesk"}
	m, err := startMeter(e.serverPID, 0)
	if err != nil {
		row.fail("%v", err)
		return row
	}
	begin := time.Now()
	for i := range n {
		acc, err := e.submitJob(ctx, e.uniqueJob(benchJobDeep))
		t0 := time.Now()
		if err != nil {
			t.sample.Failed++
			row.fail("job %d: %v", i+1, err)
			break
		}
		var started time.Time
		status, err := e.followJob(ctx, acc.StreamURL, func(ev *loadtest.Event) {
			if ev.Type == "job.started" && started.IsZero() {
				started = time.Now()
			}
		})
		if err = jobOutcome(acc, status, err); err == nil && started.IsZero() {
			err = fmt.Errorf("job %s: no job.started event before done", acc.JobID)
		}
		if err != nil {
			t.sample.Failed++
			row.fail("job %d: %v", i+1, err)
			break
		}
		t.sample.OK++
		t.sample.Latencies = append(t.sample.Latencies, started.Sub(t0))
		// A random pause, so that arrivals do not lock to the queue's
		// poll phase.
		if err := sleep(ctx, 20*time.Millisecond+rand.N(100*time.Millisecond)); err != nil {
			row.fail("interrupted")
			break
		}
	}
	t.sample.Elapsed = time.Since(begin)
	cpu, _, self, err := m.read()
	t.self = self
	row.Results = append(row.Results, t.result("job", false))
	if err != nil {
		row.fail("%v", err)
	} else if e.serverPID > 0 {
		row.figure("server CPU over the row (pauses included)", round(100*cpu.Seconds()/t.sample.Elapsed.Seconds(), 1), "% of a core")
	}
	return row
}

func (e *benchEnv) rowDeepHit(ctx context.Context) *benchRow {
	n := e.cfg.DeepHits
	row := &benchRow{Name: "deephit", Title: fmt.Sprintf("POST /v1/analyses, deep %s, every block cached: request to result, %d requests one at a time", benchJobDeep, n)}
	t := &benchTarget{name: "copydesk", pid: e.serverPID, dbPID: e.cfg.DBPID, store: true, stored: true}
	body := analysisBody(fmt.Sprintf("%s Cached page %s.", benchJobText, e.nonce), benchJobDeep)
	var answered200, answered202 atomic.Int64
	op := func(ctx context.Context, _ int) error {
		status, acc, snippet, err := e.postAnalysis(ctx, body)
		switch {
		case err != nil:
			return err
		case status == http.StatusOK:
			if acc.Status != "complete" {
				return &loadtest.StatusError{Target: "POST /v1/analyses", Status: status, Want: status, Reason: fmt.Sprintf("status %q, want complete", acc.Status), Body: snippet}
			}
			answered200.Add(1)
			return nil
		case status == http.StatusAccepted && acc.StreamURL != "":
			st, err := e.followJob(ctx, acc.StreamURL, nil)
			if err := jobOutcome(acc, st, err); err != nil {
				return err
			}
			answered202.Add(1)
			return nil
		}
		return &loadtest.StatusError{Target: "POST /v1/analyses", Status: status, Want: http.StatusOK, Body: snippet}
	}
	// The first request computes and caches every block.
	if err := op(ctx, 0); err != nil {
		row.fail("first request: %v", err)
		return row
	}
	answered200.Store(0)
	answered202.Store(0)
	if err := e.measure(ctx, t, loadtest.Load{Concurrency: 1, Count: n}, op); err != nil {
		row.fail("%v", err)
	}
	if t.sample.Failed > 0 {
		row.fail("%s", t.sample.FirstError)
	}
	row.Results = append(row.Results, t.result("req", true))
	storeFigures(row, t, "request")
	row.figure("answered 200 (inline)", float64(answered200.Load()), "")
	row.figure("answered 202, then done on the stream", float64(answered202.Load()), "")
	return row
}

// fanStream is what one stream of the fan-out row received.
type fanStream struct {
	events int             // delta events carrying stamps
	stamps int             // stamps received
	lags   []time.Duration // from a stamp's writing to its reading
	status string
	err    error
}

func (e *benchEnv) rowFanout(ctx context.Context) *benchRow {
	cfg := e.cfg
	jobs, n, k := cfg.StreamJobs, cfg.Streams, cfg.StreamDeltas
	row := &benchRow{Name: "fanout", Title: fmt.Sprintf("%d SSE streams on %d running jobs, %d stamped deltas per job %v apart: delivery lag from the model's chunk to the client", n, jobs, k, cfg.StreamInterval)}
	t := &benchTarget{name: "copydesk", pid: e.serverPID, dbPID: cfg.DBPID}
	defer func() { row.Results = append(row.Results, t.result("event", true)) }()

	marker := "bnchfan" + e.nonce
	hold := loadtest.NewHold(marker, k, cfg.StreamInterval, 10*time.Minute)
	e.up.AddHold(hold)
	defer e.up.RemoveHold(hold) // releases the jobs whatever happens
	urls := make([]string, jobs)
	for j := range urls {
		acc, err := e.submitJob(ctx, analysisBody(fmt.Sprintf("%s Campaign %s job %d.", benchJobText, marker, j), benchFanoutDeep))
		if err != nil {
			row.fail("submit fan-out job %d: %v", j+1, err)
			return row
		}
		urls[j] = acc.StreamURL
	}
	for deadline := time.Now().Add(time.Minute); hold.Arrived() < jobs; {
		if time.Now().After(deadline) || ctx.Err() != nil {
			row.fail("%d of %d fan-out jobs called the model within a minute: the server must route deep %s analyses to the bench's upstream (see --print-config)", hold.Arrived(), jobs, benchFanoutDeep)
			return row
		}
		time.Sleep(10 * time.Millisecond)
	}
	memFigure := func(name string) *loadtest.Memory {
		if e.serverPID == 0 {
			return nil
		}
		mem, err := loadtest.ReadMemory(e.serverPID)
		if err != nil {
			row.fail("read the server's memory: %v", err)
			return nil
		}
		row.figure(name, mib(mem.RSS), "MiB")
		return &mem
	}
	memFigure("server RSS before the streams")

	// Open the streams, at most 64 connecting at a time; a stream counts as
	// open when it has read the job's events so far (the first delta).
	sctx, cancelStreams := context.WithCancel(ctx)
	defer cancelStreams()
	streams := make([]fanStream, n)
	caughtUp := make(chan struct{}, n)
	sem := make(chan struct{}, 64)
	var (
		wg        sync.WaitGroup
		earlyMu   sync.Mutex
		earlyErrs []string // streams that failed before they were open
	)
	openStart := time.Now()
	for i := range streams {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			row.fail("interrupted")
			return row
		}
		wg.Go(func() {
			st := &streams[i]
			signal := sync.OnceFunc(func() { <-sem; caughtUp <- struct{}{} })
			defer signal()
			var stamps []int64
			st.lags = make([]time.Duration, 0, k)
			open := false
			defer func() {
				if !open {
					earlyMu.Lock()
					earlyErrs = append(earlyErrs, fmt.Sprintf("stream %d: %v", i+1, cmpOrErr(st.err, "ended before it was open")))
					earlyMu.Unlock()
				}
			}()
			st.status, st.err = e.followJob(sctx, urls[i%jobs], func(ev *loadtest.Event) {
				if ev.Type != "delta" {
					return
				}
				now := time.Now().UnixNano()
				if stamps = loadtest.AppendStamps(stamps[:0], ev.Data); len(stamps) > 0 {
					st.events++
					st.stamps += len(stamps)
					for _, s := range stamps {
						st.lags = append(st.lags, time.Duration(now-s))
					}
				}
				open = true
				signal()
			})
		})
	}
	for i := 0; i < n; i++ {
		select {
		case <-caughtUp:
		case <-time.After(2 * time.Minute):
			row.fail("%d of %d streams were open after 2 minutes", i, n)
			return row
		case <-ctx.Done():
			row.fail("interrupted")
			return row
		}
	}
	row.figure("time to open the streams", millis(time.Since(openStart)), "ms")
	earlyMu.Lock()
	early := slices.Clone(earlyErrs)
	earlyMu.Unlock()
	if len(early) > 0 {
		row.fail("%d of %d streams failed to open; first: %s", len(early), n, early[0])
		return row
	}
	memFigure("server RSS with the streams open")

	// Release the model streams and measure their delivery.
	m, err := startMeter(t.pid, t.dbPID)
	if err != nil {
		row.fail("%v", err)
		return row
	}
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	if e.serverPID > 0 {
		sampler.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				if mem, err := loadtest.ReadMemory(e.serverPID); err == nil && mem.RSS > peak.Load() {
					peak.Store(mem.RSS)
				}
				select {
				case <-tick.C:
				case <-stopSampling:
					return
				}
			}
		})
	}
	released := time.Now()
	hold.Release()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(time.Duration(k)*cfg.StreamInterval + 2*time.Minute):
		cancelStreams()
		<-finished
		row.fail("the streams did not all end within %v of the release", time.Duration(k)*cfg.StreamInterval+2*time.Minute)
	}
	elapsed := time.Since(released)
	close(stopSampling)
	sampler.Wait()
	cpu, db, self, err := m.read()
	if err != nil {
		row.fail("%v", err)
	}
	t.cpu, t.db, t.self = cpu, db, self
	t.sample.Elapsed = elapsed
	stamps := 0
	for i := range streams {
		st := &streams[i]
		stamps += st.stamps
		t.sample.OK += st.events
		t.sample.Latencies = append(t.sample.Latencies, st.lags...)
		st.lags = nil
		if err := jobOutcome(analysisAnswer{JobID: urls[i%jobs]}, st.status, st.err); err != nil {
			t.sample.Failed++
			row.fail("stream %d: %v", i+1, err)
		} else if st.stamps != k {
			t.sample.Failed++
			row.fail("stream %d received %d of the job's %d deltas", i+1, st.stamps, k)
		}
	}
	if len(row.Errors) > 5 {
		row.Errors = append(row.Errors[:5], fmt.Sprintf("… and %d more", len(row.Errors)-5))
	}
	row.figure("deltas delivered", float64(stamps), "")
	row.figure("deltas expected", float64(n*k), "")
	if e.serverPID > 0 {
		row.figure("server RSS peak during delivery", mib(peak.Load()), "MiB")
		memFigure("server RSS after the streams closed")
		if cfg.Settle > 0 {
			if err := sleep(ctx, cfg.Settle); err == nil {
				memFigure(fmt.Sprintf("server RSS %v later", cfg.Settle))
			}
		}
		if mem, err := loadtest.ReadMemory(e.serverPID); err == nil {
			row.figure("server RSS high-water mark (VmHWM, whole run)", mib(mem.HWM), "MiB")
		}
	}
	return row
}

// cmpOrErr returns err's text, or otherwise when err is nil.
func cmpOrErr(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}

func mib(b int64) float64 { return round(float64(b)/(1<<20), 1) }

// batchBody returns a bulk job of n unique deep analyses.
func (e *benchEnv) batchBody(n int) []byte {
	items := make([]json.RawMessage, n)
	for i := range items {
		items[i] = e.uniqueJob(benchJobDeep)
	}
	b, _ := json.Marshal(map[string]any{"kind": "analysis", "items": items})
	return b
}

// postBatch posts a bulk job and requires a 202 with its stream and URL.
func (e *benchEnv) postBatch(ctx context.Context, body []byte) (url, stream string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.serverURL+"/v1/batches", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header = e.authHeader()
	resp, err := e.client.Do(req)
	if err != nil {
		return "", "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", "", fmt.Errorf("read the answer of POST /v1/batches: %w", err)
	}
	var acc struct {
		URL       string `json:"url"`
		StreamURL string `json:"stream_url"`
	}
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &acc) != nil || acc.URL == "" || acc.StreamURL == "" {
		return "", "", &loadtest.StatusError{Target: "POST /v1/batches", Status: resp.StatusCode, Want: http.StatusAccepted, Reason: "want a batch with url and stream_url", Body: loadtest.Snippet(b)}
	}
	return acc.URL, acc.StreamURL, nil
}

// batchCounts reads a bulk job's counts.
func (e *benchEnv) batchCounts(ctx context.Context, url string) (total, done, failed int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.serverURL+url+"?limit=1", nil)
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header = e.authHeader()
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	var v struct {
		Counts struct{ Total, Done, Failed int } `json:"counts"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, 0, 0, &loadtest.StatusError{Target: "GET " + url, Status: resp.StatusCode, Want: http.StatusOK, Body: loadtest.Snippet(b)}
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, 0, 0, fmt.Errorf("decode GET %s: %w", url, err)
	}
	return v.Counts.Total, v.Counts.Done, v.Counts.Failed, nil
}

func (e *benchEnv) rowBatches(ctx context.Context) *benchRow {
	k, n := e.cfg.Batches, e.cfg.BatchItems
	row := &benchRow{Name: "batches", Title: fmt.Sprintf("POST /v1/batches: %d bulk jobs of %d unique deep analyses (%s, %s), one after the other, each followed to done", k, n, benchJobDeep, e.jobModel())}
	t := &benchTarget{name: "copydesk", pid: e.serverPID, dbPID: e.cfg.DBPID}
	bodies := make([][]byte, k)
	for i := range bodies {
		bodies[i] = e.batchBody(n)
	}
	var (
		mu      sync.Mutex
		accepts []time.Duration
	)
	op := func(ctx context.Context, i int) error {
		start := time.Now()
		url, stream, err := e.postBatch(ctx, bodies[i])
		if err != nil {
			return err
		}
		took := time.Since(start)
		mu.Lock()
		accepts = append(accepts, took)
		mu.Unlock()
		status, err := e.followJob(ctx, stream, nil)
		if err != nil {
			return err
		}
		if status != "succeeded" {
			return fmt.Errorf("bulk job %s ended %q, want succeeded", url, status)
		}
		total, done, failed, err := e.batchCounts(ctx, url)
		if err == nil && (total != n || done != n || failed != 0) {
			err = fmt.Errorf("bulk job %s: %d of %d items done, %d failed; want all %d done", url, done, total, failed, n)
		}
		return err
	}
	if err := e.measure(ctx, t, loadtest.Load{Concurrency: 1, Count: k}, op); err != nil {
		row.fail("%v", err)
	}
	if t.sample.Failed > 0 {
		row.fail("%s", t.sample.FirstError)
	}
	row.Results = append(row.Results, t.result("batch", false))
	if len(accepts) > 0 {
		var sum time.Duration
		for _, d := range accepts {
			sum += d
		}
		row.figure("items accepted/s (items over the 202's latency)", round(float64(n*len(accepts))/sum.Seconds(), 1), "/s")
		row.figure("202 p50", millis(loadtest.Summarize(accepts).P50), "ms")
	}
	if items := n * t.sample.OK; items > 0 {
		row.figure("items completed/s (POST to done)", round(float64(items)/t.sample.Elapsed.Seconds(), 1), "/s")
		if t.pid > 0 {
			row.figure("server CPU per item", round(float64(t.cpu.Microseconds())/float64(items), 1), "µs")
		}
	}
	return row
}

// countStore reads the server's store counts for t, and returns the func
// that reads them again at the end of the phase and adds the difference to
// t. Each read is a scrape of /metrics, whose own few statements (the
// queue depth) count too: noise against the thousands of operations of a
// phase.
func (e *benchEnv) countStore(ctx context.Context, t *benchTarget) (done func()) {
	if !t.store || !t.stored {
		return func() {}
	}
	before, ok := e.storeCounts(ctx)
	if !ok {
		t.stored = false
		return func() {}
	}
	return func() {
		after, ok := e.storeCounts(ctx)
		if !ok {
			t.stored = false
			return
		}
		t.counts.Statements += after.Statements - before.Statements
		t.counts.Transactions += after.Transactions - before.Transactions
		t.counts.RoundTrips += after.RoundTrips - before.RoundTrips
		t.counts.Mallocs += after.Mallocs - before.Mallocs
		t.counts.AllocBytes += after.AllocBytes - before.AllocBytes
		t.counts.LedgerRows += after.LedgerRows - before.LedgerRows
	}
}

// serverCounts are counters the server exposes on /metrics.
type serverCounts struct {
	Statements, Transactions int64 // SQL statements and explicit transactions
	RoundTrips               int64 // requests to a database server; 0 on SQLite
	Mallocs, AllocBytes      int64 // heap objects and bytes allocated; 0 without the Go collector
	LedgerRows               int64 // cost-ledger rows committed; 0 on a server without the counter
}

// storeCounts reads copydesk_store_statements_total,
// copydesk_store_transactions_total and, when present,
// copydesk_store_round_trips_total and the Go runtime's
// go_memstats_mallocs_total and go_memstats_alloc_bytes_total from the
// server's /metrics; ok is false when the store counts cannot be read.
func (e *benchEnv) storeCounts(ctx context.Context) (s serverCounts, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.serverURL+"/metrics", nil)
	if err != nil {
		return s, false
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	resp, err := e.client.Do(req)
	if err != nil {
		return s, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return s, false
	}
	var seen int
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		name, value, found := strings.Cut(sc.Text(), " ")
		var dst *int64
		switch name {
		case "copydesk_store_statements_total":
			dst = &s.Statements
		case "copydesk_store_transactions_total":
			dst = &s.Transactions
		case "copydesk_store_round_trips_total":
			dst = &s.RoundTrips
		case "go_memstats_mallocs_total":
			dst = &s.Mallocs
		case "go_memstats_alloc_bytes_total":
			dst = &s.AllocBytes
		case "copydesk_ledger_rows_written_total":
			dst = &s.LedgerRows
		}
		if !found || dst == nil {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return s, false
		}
		*dst = int64(f)
		if name == "copydesk_store_statements_total" || name == "copydesk_store_transactions_total" {
			seen++
		}
	}
	return s, sc.Err() == nil && seen == 2
}

// storeFigures adds the store's statements and transactions per operation
// of t to row, when they could be read.
func storeFigures(row *benchRow, t *benchTarget, unit string) {
	if !t.store || !t.stored || t.sample.OK == 0 {
		return
	}
	n := float64(t.sample.OK)
	row.figure("store statements per "+unit, round(float64(t.counts.Statements)/n, 2), "")
	row.figure("store transactions per "+unit, round(float64(t.counts.Transactions)/n, 2), "")
	if t.counts.RoundTrips > 0 {
		row.figure("store round trips per "+unit, round(float64(t.counts.RoundTrips)/n, 2), "")
	}
	// Rows of calls without a budget are committed within 100 ms of the
	// call, so up to that much of a phase's end falls outside it.
	row.figure("ledger rows written per "+unit, round(float64(t.counts.LedgerRows)/n, 3), "")
	if t.counts.Mallocs > 0 {
		row.figure("server heap allocations per "+unit, round(float64(t.counts.Mallocs)/n, 1), "")
		row.figure("server bytes allocated per "+unit, round(float64(t.counts.AllocBytes)/n, 0), "B")
	}
}

// jobModel names what answers the jobs' deep analyses, for the rows' titles.
func (e *benchEnv) jobModel() string {
	if e.cfg.SimulatedJobs {
		return "simulated model at 0 ms inside the server"
	}
	return "the instant upstream as the model"
}
