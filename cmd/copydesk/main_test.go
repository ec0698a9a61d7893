package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/router"
)

// MustRunMain starts the real program on port 0 with a temporary data
// directory and closes it at the end of the test.
func MustRunMain(tb testing.TB, configure ...func(*Main)) *Main {
	tb.Helper()
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = tb.TempDir()
	m.Config.ShutdownGrace = 5 * time.Second
	m.Config.Queue.PollInterval = 50 * time.Millisecond
	for _, f := range configure {
		f(m)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatalf("run main: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	if key, err := adminKey(m); err == nil {
		registerTestKey(tb, m.HTTP.URL(), key)
	}
	return m
}

// testKeys holds the ADMIN key of each running test server by host, so
// that do, postJSON and openStream authenticate without every test
// passing a key.
var testKeys sync.Map

func registerTestKey(tb testing.TB, baseURL, key string) {
	tb.Helper()
	u, err := neturl.Parse(baseURL)
	if err != nil {
		tb.Fatal(err)
	}
	testKeys.Store(u.Host, key)
	tb.Cleanup(func() { testKeys.CompareAndDelete(u.Host, key) })
}

// testKeyFor returns the registered key of the server at rawURL, or "".
func testKeyFor(rawURL string) string {
	u, err := neturl.Parse(rawURL)
	if err != nil {
		return ""
	}
	k, _ := testKeys.Load(u.Host)
	s, _ := k.(string)
	return s
}

// testAuthTransport adds the registered test key of the target server to
// requests that carry no Authorization header.
type testAuthTransport struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t testAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") == "" {
		if k := testKeyFor(req.URL.String()); k != "" {
			req = req.Clone(req.Context())
			req.Header.Set("Authorization", "Bearer "+k)
		}
	}
	return t.next.RoundTrip(req)
}

// MustAdminKey returns the ADMIN key bootstrap wrote to <data>/admin.key,
// or, for a store bootstrapped by another process, a new key of its first
// ADMIN user.
func MustAdminKey(tb testing.TB, m *Main) string {
	tb.Helper()
	key, err := adminKey(m)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

func adminKey(m *Main) (string, error) {
	b, err := os.ReadFile(filepath.Join(m.Config.DataDir, auth.AdminKeyFile))
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	admins, err := m.Store.FindUsers(context.Background(), copydesk.UserFilter{Role: copydesk.RoleAdmin})
	if err != nil {
		return "", err
	}
	if len(admins) == 0 {
		return "", fmt.Errorf("no %s and no ADMIN user in the store", auth.AdminKeyFile)
	}
	key, _, err := auth.CreateAPIKey(context.Background(), m.Store, time.Now(), admins[0].CustomerID, admins[0].ID, auth.KeyOptions{Name: "test"})
	return key, err
}

// MustFakeModels returns the model service the configuration builds for
// a fake OpenAI-format provider (router, limits, pricing and the real
// adapter included), and the fake.
func MustFakeModels(tb testing.TB, opts providertest.Options) (*router.Service, *providertest.Server) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, opts)
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{{Name: "fake", Type: ProviderOpenAICompatible, BaseURL: fake.URL + "/v1/", APIKeys: []string{"test-key"}}}
	cfg.Routing = router.Config{
		Endpoints: map[string]router.EndpointConfig{"fake-mini": {Provider: "fake", Model: "gpt-4o-mini"}},
		Classes:   map[string][]string{"quality": {"fake-mini"}, "fast": {"fake-mini"}, "budget": {"fake-mini"}},
	}
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stop() })
	return svc, fake
}

// findingsResponder answers deep-analysis prompts with one grammar finding
// quoting text that is in the test content.
func findingsResponder(providertest.Request) string {
	return `{"findings":[{"quote":"Hij vind","message":"d/t error: hij vindt","suggestion":"Hij vindt","severity":"problem"}]}`
}

const dutchText = "Hij vind het een mooie dag. De zon schijnt en de vogels zingen in de tuin. Wij gaan vandaag samen wandelen in het bos."

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

func do(tb testing.TB, method, url, contentType string, body []byte, header ...string) response {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if k := testKeyFor(url); k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1]) // "Authorization", "" sends no credentials
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func postJSON(tb testing.TB, url string, v any) response {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return do(tb, "POST", url, "application/json", b)
}

type sseEvent struct {
	ID   int64
	Type string
	Data string
}

// openStream opens a job's event stream, resuming after lastID.
func openStream(tb testing.TB, ctx context.Context, url string, lastID int64) *http.Response {
	tb.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if k := testKeyFor(url); k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("stream status %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		tb.Fatalf("stream content type %q", ct)
	}
	return resp
}

// readEvents reads events until stop returns true or the stream ends.
func readEvents(r io.Reader, stop func(sseEvent) bool) ([]sseEvent, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var evs []sseEvent
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Type != "" {
				evs = append(evs, cur)
				if stop != nil && stop(cur) {
					return evs, nil
				}
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry:"):
		case strings.HasPrefix(line, "id: "):
			cur.ID, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
		case strings.HasPrefix(line, "event: "):
			cur.Type = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.Data = strings.TrimPrefix(line, "data: ")
		}
	}
	return evs, sc.Err()
}

// MustReadToDone reads a whole stream from lastID until its done event.
func MustReadToDone(tb testing.TB, url string, lastID int64) []sseEvent {
	tb.Helper()
	return mustReadToDone(tb, url, lastID, 60*time.Second)
}

// MustReadToDoneWithin is MustReadToDone with its own deadline.
func MustReadToDoneWithin(tb testing.TB, url string, within time.Duration) []sseEvent {
	tb.Helper()
	return mustReadToDone(tb, url, 0, within)
}

func mustReadToDone(tb testing.TB, url string, lastID int64, within time.Duration) []sseEvent {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	resp := openStream(tb, ctx, url, lastID)
	defer resp.Body.Close()
	evs, err := readEvents(resp.Body, nil)
	if err != nil {
		tb.Fatalf("read stream: %v", err)
	}
	if len(evs) == 0 || evs[len(evs)-1].Type != copydesk.EventDone {
		tb.Fatalf("stream ended without done: %v", evs)
	}
	return evs
}

// checkSequence fails unless the events are numbered first, first+1, ….
func checkSequence(tb testing.TB, evs []sseEvent, first int64) {
	tb.Helper()
	for i, ev := range evs {
		if want := first + int64(i); ev.ID != want {
			tb.Fatalf("event %d (%s) has id %d, want %d", i, ev.Type, ev.ID, want)
		}
	}
}

func doneStatus(tb testing.TB, ev sseEvent) string {
	tb.Helper()
	var d struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
		tb.Fatalf("done data %q: %v", ev.Data, err)
	}
	return d.Status
}

func TestAnalysisInline200(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{
		"content": "# Fresh bread\n\nOur bakery bakes fresh bread every morning. You can order online and pick it up at seven.\n",
		"format":  "markdown", "language": "en", "keyphrase": "fresh bread",
	})
	if r.Status != 200 {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
	var got struct {
		Status string `json:"status"`
		JobID  string `json:"job_id"`
		Report struct {
			Language string `json:"language"`
			Results  []struct {
				Type string `json:"type"`
			} `json:"results"`
		} `json:"report"`
	}
	r.json(t, &got)
	if got.Status != "complete" || got.JobID != "" {
		t.Errorf("status %q job %q, want complete and no job", got.Status, got.JobID)
	}
	if len(got.Report.Results) != 6 {
		t.Errorf("got %d results, want 6", len(got.Report.Results))
	}
	if got.Report.Language != "en" {
		t.Errorf("language %q, want en", got.Report.Language)
	}
}

func TestAnalysisDeep202StreamsToDone(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{
		"content": dutchText, "language": "nl", "types": []string{"grammar", "readability"}, "deep": []string{"grammar"},
	})
	if r.Status != 202 {
		t.Fatalf("status %d, want 202: %s", r.Status, r.Body)
	}
	var acc struct {
		Status    string   `json:"status"`
		JobID     string   `json:"job_id"`
		StreamURL string   `json:"stream_url"`
		Pending   []string `json:"pending"`
		Report    struct {
			Results []json.RawMessage `json:"results"`
		} `json:"report"`
	}
	r.json(t, &acc)
	if acc.Status != "pending" || acc.JobID == "" || len(acc.Report.Results) != 2 {
		t.Fatalf("accepted answer %s", r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/v1/jobs/"+acc.JobID {
		t.Errorf("Location %q", loc)
	}
	evs := MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)
	checkSequence(t, evs, 1)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	joined := strings.Join(types, ",")
	for _, want := range []string{"job.queued", "job.started", "task.started", "delta", "task.result", "done"} {
		if !strings.Contains(joined, want) {
			t.Errorf("events %s lack %s", joined, want)
		}
	}
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Errorf("done status %q, want succeeded", s)
	}
	if n := fake.Calls(); n != 1 {
		t.Errorf("provider calls %d, want 1", n)
	}

	j := do(t, "GET", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil)
	var job struct {
		Status string `json:"status"`
		Result struct {
			Results []struct {
				Type     string `json:"type"`
				Findings []struct {
					Rule   string `json:"rule"`
					Source string `json:"source"`
					Spans  []struct{ Start, End int }
				} `json:"findings"`
			} `json:"results"`
		} `json:"result"`
	}
	j.json(t, &job)
	if job.Status != "succeeded" {
		t.Fatalf("job status %q", job.Status)
	}
	found := false
	for _, res := range job.Result.Results {
		for _, f := range res.Findings {
			if f.Rule == "model.finding" {
				found = true
				if res.Type != "grammar" || f.Source != "gpt-4o-mini" || len(f.Spans) != 1 {
					t.Errorf("model finding %+v in %s", f, res.Type)
				} else if got := dutchText[f.Spans[0].Start:f.Spans[0].End]; got != "Hij vind" {
					t.Errorf("model finding span covers %q, want %q", got, "Hij vind")
				}
			}
		}
	}
	if !found {
		t.Errorf("merged result has no model finding: %s", j.Body)
	}
}

func TestStreamResumeLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{
		TTFT: 200 * time.Millisecond, Latency: 1500 * time.Millisecond,
		Responder: func(providertest.Request) string {
			return `{"findings":[{"quote":"mooie dag","message":"a long explanation that streams in many small pieces so that the client can drop in the middle","suggestion":"","severity":"info"}]}`
		},
	})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	if r.Status != 202 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var acc struct {
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	url := m.HTTP.URL() + acc.StreamURL

	// Read until the second delta, then drop the connection.
	ctx, cancel := context.WithCancel(context.Background())
	resp := openStream(t, ctx, url, 0)
	deltas := 0
	first, err := readEvents(resp.Body, func(ev sseEvent) bool {
		if ev.Type == copydesk.EventDelta {
			deltas++
		}
		return deltas == 2
	})
	cancel()
	resp.Body.Close()
	if err != nil || deltas != 2 {
		t.Fatalf("first connection: %d deltas, err %v", deltas, err)
	}
	last := first[len(first)-1].ID
	rest := MustReadToDone(t, url, last)
	all := append(first, rest...)
	checkSequence(t, all, 1)

	// The full log read afterwards is exactly what the two connections saw.
	full := MustReadToDone(t, url, 0)
	if len(full) != len(all) {
		t.Fatalf("full log has %d events, resumed reads %d", len(full), len(all))
	}
	for i := range full {
		if full[i] != all[i] {
			t.Fatalf("event %d differs: full %+v, resumed %+v", i, full[i], all[i])
		}
	}
	// Resuming after done ends at once with nothing.
	after := MustReadAfterDone(t, url, full[len(full)-1].ID)
	if len(after) != 0 {
		t.Errorf("resume after done sent %d events", len(after))
	}
}

// MustReadAfterDone reads a stream that is expected to end immediately.
func MustReadAfterDone(tb testing.TB, url string, lastID int64) []sseEvent {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := openStream(tb, ctx, url, lastID)
	defer resp.Body.Close()
	evs, err := readEvents(resp.Body, nil)
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	return evs
}

func TestCancelJob(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{TTFT: 10 * time.Second, Latency: 20 * time.Second, Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	var acc struct {
		JobID     string `json:"job_id"`
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	url := m.HTTP.URL() + acc.StreamURL

	// Wait until the job runs, then cancel it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp := openStream(t, ctx, url, 0)
	defer resp.Body.Close()
	if _, err := readEvents(resp.Body, func(ev sseEvent) bool { return ev.Type == copydesk.EventTaskStarted }); err != nil {
		t.Fatal(err)
	}
	d := do(t, "DELETE", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil)
	if d.Status != 200 {
		t.Fatalf("cancel status %d: %s", d.Status, d.Body)
	}
	rest, err := readEvents(resp.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) == 0 || rest[len(rest)-1].Type != copydesk.EventDone || doneStatus(t, rest[len(rest)-1]) != "cancelled" {
		t.Fatalf("after cancel the stream sent %+v, want a cancelled done", rest)
	}
	if again := do(t, "DELETE", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil); again.Status != 409 {
		t.Errorf("second cancel status %d, want 409", again.Status)
	}
	var job struct {
		Status string `json:"status"`
	}
	do(t, "GET", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil).json(t, &job)
	if job.Status != "cancelled" {
		t.Errorf("job status %q, want cancelled", job.Status)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t, func(m *Main) { m.Config.BodyLimit = 4096; m.Config.MaxContent = 2048 })
	url := m.HTTP.URL()
	big := `{"content":"` + strings.Repeat("a", 5000) + `"}`
	tests := []struct {
		name, method, path, ctype, body string
		header                          []string
		status                          int
		code                            string
	}{
		{"wrong content type", "POST", "/v1/analyses", "text/plain", `{"content":"x"}`, nil, 415, "unsupported_media"},
		{"no content type", "POST", "/v1/analyses", "", `{"content":"x"}`, nil, 415, "unsupported_media"},
		{"body over limit", "POST", "/v1/analyses", "application/json", big, nil, 413, "too_large"},
		{"content over limit", "POST", "/v1/analyses", "application/json", `{"content":"` + strings.Repeat("a", 3000) + `"}`, nil, 413, "too_large"},
		{"invalid utf-8", "POST", "/v1/analyses", "application/json", "{\"content\":\"caf\xe9\"}", nil, 422, "unprocessable"},
		{"malformed json", "POST", "/v1/analyses", "application/json", `{"content":`, nil, 400, "invalid"},
		{"empty body", "POST", "/v1/analyses", "application/json", ``, nil, 400, "invalid"},
		{"trailing data", "POST", "/v1/analyses", "application/json", `{"content":"x"} {}`, nil, 400, "invalid"},
		{"unknown field", "POST", "/v1/analyses", "application/json", `{"content":"x","colour":"red"}`, nil, 400, "invalid"},
		{"wrong field type", "POST", "/v1/analyses", "application/json", `{"content":5}`, nil, 400, "invalid"},
		{"missing content", "POST", "/v1/analyses", "application/json", `{"format":"text"}`, nil, 400, "invalid"},
		{"unknown type", "POST", "/v1/analyses", "application/json", `{"content":"Hello there.","types":["poetry"]}`, nil, 400, "invalid"},
		{"unknown deep type", "POST", "/v1/analyses", "application/json", `{"content":"Hello there.","deep":["poetry"]}`, nil, 400, "invalid"},
		{"unknown format", "POST", "/v1/analyses", "application/json", `{"content":"Hello there.","format":"pdf"}`, nil, 400, "invalid"},
		{"unknown language", "POST", "/v1/analyses", "application/json", `{"content":"Hello there.","language":"xx"}`, nil, 400, "invalid"},
		{"bad priority", "POST", "/v1/analyses", "application/json", `{"content":"Hello there.","priority":"urgent"}`, nil, 400, "invalid"},
		{"deep without provider", "POST", "/v1/analyses", "application/json", `{"content":"Hello there.","deep":["grammar"]}`, nil, 503, "no_provider"},
		{"unknown job", "GET", "/v1/jobs/job_nope", "", "", nil, 404, "not_found"},
		{"cancel unknown job", "DELETE", "/v1/jobs/job_nope", "", "", nil, 404, "not_found"},
		{"stream of unknown job", "GET", "/v1/jobs/job_nope/events", "", "", nil, 404, "not_found"},
		{"unknown route", "GET", "/v1/nothing", "", "", nil, 404, "not_found"},
		{"wrong method", "PUT", "/v1/analyses", "application/json", `{}`, nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, url+tt.path, tt.ctype, []byte(tt.body), tt.header...)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.code == "" {
				return
			}
			var e struct {
				Error struct {
					Code      string `json:"code"`
					Message   string `json:"message"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			r.json(t, &e)
			if e.Error.Code != tt.code || e.Error.Message == "" || e.Error.RequestID == "" {
				t.Errorf("error %+v, want code %q with a message and request id", e.Error, tt.code)
			}
		})
	}
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
		if r := do(t, "GET", m.HTTP.URL()+path, "", nil); r.Status != 200 {
			t.Errorf("%s: status %d: %s", path, r.Status, r.Body)
		}
	}
}

// TestShutdownMidStream closes the server while a job streams: the stream
// gets a shutdown event, Close returns, and the interrupted job finishes
// after a restart on the same data directory.
func TestShutdownMidStream(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{TTFT: 3 * time.Second, Latency: 4 * time.Second, Responder: findingsResponder})
	dir := t.TempDir()
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.DataDir = dir
		m.Config.ShutdownGrace = 500 * time.Millisecond
	})
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	var acc struct {
		JobID     string `json:"job_id"`
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp := openStream(t, ctx, m.HTTP.URL()+acc.StreamURL, 0)
	defer resp.Body.Close()
	seen, err := readEvents(resp.Body, func(ev sseEvent) bool { return ev.Type == copydesk.EventTaskStarted })
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	rest, err := readEvents(resp.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) == 0 || rest[len(rest)-1].Type != "shutdown" {
		t.Fatalf("stream ended with %+v, want a shutdown event", rest)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}

	m2 := MustRunMain(t, func(m *Main) { m.Routed = models; m.Config.DataDir = dir })
	evs := MustReadToDone(t, m2.HTTP.URL()+acc.StreamURL, seen[len(seen)-1].ID)
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Errorf("after restart the job ended %q, want succeeded", s)
	}
	checkSequence(t, append(seen, evs...), 1)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		field string
	}{
		{"bad addr", map[string]string{"COPYDESK_ADDR": "nonsense"}, "addr"},
		{"bad database", map[string]string{"COPYDESK_DATABASE_URL": "mysql://x"}, "database_url"},
		{"bad log level", map[string]string{"COPYDESK_LOG_LEVEL": "loud"}, "log_level"},
		{"bad body limit", map[string]string{"COPYDESK_BODY_LIMIT": "12"}, "body_limit"},
		{"bad workers", map[string]string{"COPYDESK_QUEUE_WORKERS": "0"}, "queue.workers"},
		{"unparsable duration", map[string]string{"COPYDESK_SHUTDOWN_GRACE": "soon"}, "COPYDESK_SHUTDOWN_GRACE"},
		{"retention too short", map[string]string{"COPYDESK_QUEUE_RETENTION": "5m"}, "queue.retention"},
		{"gc percent too low", map[string]string{"COPYDESK_GC_PERCENT": "5"}, "gc_percent"},
		{"memory limit too low", map[string]string{"COPYDESK_MEMORY_LIMIT": "1000"}, "memory_limit"},
		{"unparsable memory limit", map[string]string{"COPYDESK_MEMORY_LIMIT": "1GiB"}, "COPYDESK_MEMORY_LIMIT"},
		{"no collections and no limit", map[string]string{"COPYDESK_GC_PERCENT": "-1", "COPYDESK_MEMORY_LIMIT": "-1"}, "gc_percent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"serve"}, nil, io.Discard, &stderr, func(k string) string { return tt.env[k] })
			if code := exitCode(err, &stderr); code != 2 {
				t.Fatalf("exit code %d, want 2 (err %v)", code, err)
			}
			if !strings.Contains(stderr.String(), tt.field) {
				t.Errorf("message %q does not name %q", stderr.String(), tt.field)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, &out, io.Discard, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "copydesk ") {
		t.Errorf("version printed %q", out.String())
	}
}

var _ = fmt.Sprint

// TestPostgresMode runs the 202 path, a stream to done and cancel on the
// PostgreSQL store and queue.
func TestPostgresMode(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
	})
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	if r.Status != 202 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var acc struct {
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	evs := MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)
	checkSequence(t, evs, 1)
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Errorf("done status %q", s)
	}
	if fake.Calls() != 1 {
		t.Errorf("provider calls %d, want 1", fake.Calls())
	}
	if r := do(t, "GET", m.HTTP.URL()+"/readyz", "", nil); r.Status != 200 {
		t.Errorf("readyz %d", r.Status)
	}
}

// TestIdenticalWorkOneProviderCall sends the same deep analysis many times
// at once and again afterwards: the provider is called exactly once, every
// job gets the same findings, and later ones are marked cached.
func TestIdenticalWorkOneProviderCall(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{TTFT: 300 * time.Millisecond, Latency: 600 * time.Millisecond, Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	const n = 20
	streams := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "types": []string{"grammar"}, "deep": []string{"grammar"}})
			var acc struct {
				StreamURL string `json:"stream_url"`
			}
			r.json(t, &acc)
			streams[i] = acc.StreamURL
		}()
	}
	wg.Wait()
	results := map[string]int{}
	for _, s := range streams {
		evs := MustReadToDone(t, m.HTTP.URL()+s, 0)
		if st := doneStatus(t, evs[len(evs)-1]); st != "succeeded" {
			t.Fatalf("job ended %q", st)
		}
		for _, ev := range evs {
			if ev.Type == copydesk.EventTaskResult {
				var d struct {
					Findings json.RawMessage `json:"findings"`
					Model    string          `json:"model"`
					Cached   bool            `json:"cached"`
					Score    *int            `json:"score"`
				}
				_ = json.Unmarshal([]byte(ev.Data), &d)
				results[string(d.Findings)]++
				// A result from the cache names its model too, and every
				// result carries its card's score with the findings merged.
				if d.Model == "" || d.Score == nil {
					t.Errorf("task.result (cached %v) has model %q and score %v, want both", d.Cached, d.Model, d.Score)
				}
			}
		}
	}
	if got := fake.Calls(); got != 1 {
		t.Errorf("provider calls %d for %d identical requests, want 1", got, n)
	}
	if len(results) != 1 {
		t.Errorf("jobs got %d different results, want 1: %v", len(results), results)
	}
	// Later: every block is cached, so the answer is complete at once (200,
	// no job) with the model's findings merged into the report.
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "types": []string{"grammar"}, "deep": []string{"grammar"}})
	if r.Status != 200 {
		t.Fatalf("repeat: status %d, want 200 answered from the cache: %s", r.Status, r.Body)
	}
	var rep struct {
		Status     string `json:"status"`
		DeepCached bool   `json:"deep_cached"`
		JobID      string `json:"job_id"`
		Report     struct {
			Results []struct {
				Type     string `json:"type"`
				Findings []struct {
					Rule   string `json:"rule"`
					Source string `json:"source"`
				} `json:"findings"`
			} `json:"results"`
		} `json:"report"`
	}
	r.json(t, &rep)
	model := 0
	for _, res := range rep.Report.Results {
		for _, f := range res.Findings {
			if f.Rule == "model.finding" && res.Type == "grammar" {
				model++
			}
		}
	}
	if rep.Status != "complete" || !rep.DeepCached || rep.JobID != "" || model == 0 || fake.Calls() != 1 {
		t.Errorf("repeat: status %q deep_cached %v job %q, %d model findings, provider calls %d; want complete from the cache with the findings, still 1 call",
			rep.Status, rep.DeepCached, rep.JobID, model, fake.Calls())
	}
	// Another deep analysis of the same content is not cached: a job.
	r = postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "types": []string{"grammar", "tone"}, "deep": []string{"grammar", "tone"}})
	if r.Status != 202 {
		t.Errorf("a deep analysis not cached yet: status %d, want 202", r.Status)
	}
}

// TestHTTPCaching: a local report is content-addressed (same content →
// same key, served with a strong ETag and 304), and a finished job has an
// ETag too.
func TestHTTPCaching(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	body := map[string]any{"content": "Our bakery bakes fresh bread every morning. Order online.", "language": "en"}
	first := postJSON(t, m.HTTP.URL()+"/v1/analyses", body)
	second := postJSON(t, m.HTTP.URL()+"/v1/analyses", body)
	var a, b struct {
		ResultKey string `json:"result_key"`
		ResultURL string `json:"result_url"`
		Cached    bool   `json:"cached"`
	}
	first.json(t, &a)
	second.json(t, &b)
	if a.ResultKey == "" || a.ResultKey != b.ResultKey || a.Cached || !b.Cached {
		t.Fatalf("first %+v second %+v; want one key, the second cached", a, b)
	}
	if got := first.Header.Get("ETag"); got != `"`+a.ResultKey+`"` {
		t.Errorf("POST ETag %q", got)
	}
	r := do(t, "GET", m.HTTP.URL()+a.ResultURL, "", nil)
	if r.Status != 200 || r.Header.Get("ETag") != `"`+a.ResultKey+`"` || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("GET result: %d %v", r.Status, r.Header)
	}
	var report struct {
		Results []json.RawMessage `json:"results"`
	}
	r.json(t, &report)
	if len(report.Results) != 6 {
		t.Errorf("cached report has %d results", len(report.Results))
	}
	if nm := do(t, "GET", m.HTTP.URL()+a.ResultURL, "", nil, "If-None-Match", `"`+a.ResultKey+`"`); nm.Status != 304 || len(nm.Body) != 0 {
		t.Errorf("If-None-Match: status %d body %q, want 304 and no body", nm.Status, nm.Body)
	}
	other := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": "Our bakery bakes fresh bread every morning. Order online!", "language": "en"})
	var c struct {
		ResultKey string `json:"result_key"`
	}
	other.json(t, &c)
	if c.ResultKey == a.ResultKey {
		t.Error("different content got the same key")
	}
	if nf := do(t, "GET", m.HTTP.URL()+"/v1/analyses/"+strings.Repeat("0", 64), "", nil); nf.Status != 404 {
		t.Errorf("unknown key: status %d", nf.Status)
	}
	if bad := do(t, "GET", m.HTTP.URL()+"/v1/analyses/nothex", "", nil); bad.Status != 400 {
		t.Errorf("bad key: status %d", bad.Status)
	}

	// A finished job.
	p := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	var acc struct {
		JobID     string `json:"job_id"`
		StreamURL string `json:"stream_url"`
	}
	p.json(t, &acc)
	MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)
	j := do(t, "GET", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil)
	etag := j.Header.Get("ETag")
	if j.Status != 200 || etag == "" {
		t.Fatalf("finished job: %d etag %q", j.Status, etag)
	}
	if nm := do(t, "GET", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil, "If-None-Match", etag); nm.Status != 304 {
		t.Errorf("job If-None-Match: status %d, want 304", nm.Status)
	}
}

// TestPartialResults: one deep task fails for good, the other succeeds; the
// job ends partial with the successful findings kept and a task.failed
// event naming the failure.
func TestPartialResults(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	// The first call is refused as a bad request (never retried).
	fake.Enqueue(providertest.Behaviour{Kind: providertest.BadRequest})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar", "tone"}})
	var acc struct {
		JobID     string `json:"job_id"`
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	evs := MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)
	failed, results := 0, 0
	for _, ev := range evs {
		switch ev.Type {
		case copydesk.EventTaskFailed:
			failed++
			if !strings.Contains(ev.Data, "provider_bad_request") {
				t.Errorf("task.failed data %s lacks the failure code", ev.Data)
			}
		case copydesk.EventTaskResult:
			results++
		}
	}
	if failed != 1 || results != 1 {
		t.Fatalf("%d failed and %d results, want 1 and 1: %+v", failed, results, evs)
	}
	if s := doneStatus(t, evs[len(evs)-1]); s != "partial" {
		t.Errorf("done status %q, want partial", s)
	}
	var job struct {
		Status string `json:"status"`
		Result struct {
			Results []struct {
				Findings []struct {
					Rule string `json:"rule"`
				} `json:"findings"`
			} `json:"results"`
		} `json:"result"`
	}
	do(t, "GET", m.HTTP.URL()+"/v1/jobs/"+acc.JobID, "", nil).json(t, &job)
	model := 0
	for _, res := range job.Result.Results {
		for _, f := range res.Findings {
			if f.Rule == "model.finding" {
				model++
			}
		}
	}
	if job.Status != "partial" || model != 1 {
		t.Errorf("job %s with %d model findings, want partial with 1", job.Status, model)
	}
}

func TestAnalyzeCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	page := dir + "/page.html"
	if err := os.WriteFile(page, []byte("<html><head><title>Fresh bread daily</title></head><body><h1>Fresh bread</h1><p>Our bakery bakes fresh bread every morning. You can order online.</p></body></html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "--json", "--lang", "en", "--keyphrase", "fresh bread", page}, nil, &out, &errOut, func(string) string { return "" }); err != nil {
		t.Fatalf("analyze: %v %s", err, errOut.String())
	}
	var report struct {
		Language string            `json:"language"`
		Results  []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil || report.Language != "en" || len(report.Results) != 6 {
		t.Fatalf("json output %s (err %v)", out.String(), err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"analyze", "-"}, strings.NewReader("Dit is een korte Nederlandse tekst. Wij schrijven graag duidelijke zinnen voor onze klanten."), &out, &errOut, func(string) string { return "" }); err != nil {
		t.Fatalf("analyze stdin: %v", err)
	}
	if !strings.Contains(out.String(), "nl") || !strings.Contains(out.String(), "readability") {
		t.Errorf("table output lacks the language or an analysis:\n%s", out.String())
	}
	err := run(context.Background(), []string{"analyze"}, nil, &out, &errOut, func(string) string { return "" })
	if code := exitCode(err, &errOut); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	err = run(context.Background(), []string{"analyze", "--lang", "xx", page}, nil, &out, &errOut, func(string) string { return "" })
	if code := exitCode(err, &errOut); code != 1 || !strings.Contains(err.Error(), "xx") {
		t.Errorf("bad language: exit %d err %v", code, err)
	}
}

// TestParagraphEditReRunsOneBlock: a 20-paragraph page is deepened, then
// the same page with one paragraph edited: the second job asks the
// provider about exactly one block.
func TestParagraphEditReRunsOneBlock(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: func(providertest.Request) string { return `{"findings":[]}` }})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	paras := make([]string, 20)
	for i := range paras {
		paras[i] = fmt.Sprintf("Paragraph %d tells the reader about our bakery and the bread we bake every morning before sunrise.", i+1)
	}
	deepen := func(content string) {
		t.Helper()
		r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": content, "format": "markdown", "language": "en", "deep": []string{"grammar"}})
		var acc struct {
			StreamURL string `json:"stream_url"`
		}
		r.json(t, &acc)
		evs := MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)
		if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
			t.Fatalf("job ended %q", s)
		}
	}
	deepen(strings.Join(paras, "\n\n"))
	if fake.Calls() != 1 {
		t.Fatalf("first page: %d provider calls, want 1 (all blocks in one call)", fake.Calls())
	}
	first, _ := fake.LastRequest()
	if !strings.Contains(first.Prompt, "[20]") {
		t.Fatalf("first call does not carry 20 blocks:\n%s", first.Prompt)
	}
	paras[6] = "Paragraph 7 now says something else entirely about cakes."
	deepen(strings.Join(paras, "\n\n"))
	if fake.Calls() != 2 {
		t.Fatalf("after the edit: %d provider calls, want 2", fake.Calls())
	}
	second, _ := fake.LastRequest()
	if !strings.Contains(second.Prompt, "[1] Paragraph 7 now says") || strings.Contains(second.Prompt, "[2]") {
		t.Errorf("the second call should carry only the edited block:\n%s", second.Prompt)
	}
}
