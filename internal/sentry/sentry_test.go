package sentry_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sentry"
)

// fakeSentry records the envelopes a Sentry server would receive.
type fakeSentry struct {
	mu    sync.Mutex
	posts []string
	paths []string
}

func (f *fakeSentry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.posts = append(f.posts, string(b))
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (f *fakeSentry) all() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.posts, "\n")
}

// event is what the tests look at in a Sentry event.
type event struct {
	Level       string            `json:"level"`
	Environment string            `json:"environment"`
	Tags        map[string]string `json:"tags"`
	Exception   []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"exception"`
}

// events parses the event items of the envelopes received, waiting up to
// ten seconds for want of them: the SDK's Flush can report success while
// an envelope is still on its way to the server.
func (f *fakeSentry) events(tb testing.TB, want int) []event {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := f.parse(tb)
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fakeSentry) parse(tb testing.TB) []event {
	tb.Helper()
	var out []event
	for _, line := range strings.Split(f.all(), "\n") {
		var probe map[string]json.RawMessage
		if json.Unmarshal([]byte(line), &probe) != nil || probe["exception"] == nil {
			continue
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			tb.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func MustReporter(tb testing.TB) (*sentry.Reporter, *fakeSentry) {
	tb.Helper()
	f := &fakeSentry{}
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	dsn := strings.Replace(srv.URL, "http://", "http://publickey@", 1) + "/42"
	r, err := sentry.Setup(sentry.Config{Getenv: func(k string) string {
		return map[string]string{"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "test"}[k]
	}})
	if err != nil {
		tb.Fatal(err)
	}
	if !r.Enabled() {
		tb.Fatal("reporter disabled although SENTRY_DSN is set")
	}
	return r, f
}

func TestRunRecoversAndReports(t *testing.T) {
	t.Parallel()
	r, f := MustReporter(t)
	err := r.Run(context.Background(), map[string]string{"job_id": "job-7"}, func(ctx context.Context) error {
		panic(errors.New("boom: a handler bug"))
	})
	if copydesk.ErrorCode(err) != copydesk.EINTERNAL || copydesk.ErrorMessage(err) != "internal error" {
		t.Errorf("got %v (code %s), want an internal error", err, copydesk.ErrorCode(err))
	}
	if !strings.Contains(err.Error(), "boom: a handler bug") {
		t.Errorf("error for the log: got %q, want the panic value", err)
	}
	if !r.Flush(10 * time.Second) {
		t.Fatal("events not flushed")
	}
	evs := f.events(t, 1)
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	e := evs[0]
	if len(e.Exception) == 0 || !strings.Contains(e.Exception[0].Value, "boom: a handler bug") {
		t.Errorf("exception: got %+v, want the panic value", e.Exception)
	}
	if e.Tags["job_id"] != "job-7" || e.Environment != "test" || e.Level != "fatal" {
		t.Errorf("event: got tags %v, environment %q, level %q; want job_id job-7, test, fatal", e.Tags, e.Environment, e.Level)
	}
	if !strings.Contains(f.paths[0], "/api/42/") {
		t.Errorf("posted to %s, want the project's API", f.paths[0])
	}
}

func TestCaptureOnlyInternalErrors(t *testing.T) {
	t.Parallel()
	r, f := MustReporter(t)
	ctx := context.Background()
	if r.CaptureError(ctx, copydesk.Errorf(copydesk.EINVALID, "%s-%s", "bad", "field"), nil) {
		t.Error("a caller's error was reported")
	}
	if !r.CaptureError(ctx, errors.New("disk full"), map[string]string{"route": "POST /v1/analyses"}) {
		t.Error("an internal error was not reported")
	}
	r.Flush(10 * time.Second)
	evs := f.events(t, 1)
	if len(evs) != 1 || len(evs[0].Exception) == 0 || evs[0].Exception[0].Value != "disk full" || evs[0].Tags["route"] != "POST /v1/analyses" {
		t.Errorf("events: got %+v, want only the internal error with its route", evs)
	}
}

func TestOffWithoutDSN(t *testing.T) {
	t.Parallel()
	r, err := sentry.Setup(sentry.Config{Getenv: func(string) string { return "" }})
	if err != nil || r.Enabled() {
		t.Fatalf("got %v, enabled %v; want a disabled reporter", err, r.Enabled())
	}
	// Still recovers panics. (Event source context holds the lines around
	// each frame: strings sought in events are built at run time.)
	err = r.Run(context.Background(), nil, func(context.Context) error { panic("x") })
	if copydesk.ErrorCode(err) != copydesk.EINTERNAL {
		t.Errorf("got %v, want an internal error", err)
	}
	var nilR *sentry.Reporter
	nilR.ReportPanic(context.Background(), "x", nil)
	if nilR.CaptureError(context.Background(), errors.New("x"), nil) || !nilR.Flush(time.Second) {
		t.Error("a nil reporter is not inert")
	}
}

func TestBadDSN(t *testing.T) {
	t.Parallel()
	_, err := sentry.Setup(sentry.Config{DSN: "not a dsn with secret-key"})
	if copydesk.ErrorCode(err) != copydesk.EINVALID || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("got %v, want EINVALID without the DSN", err)
	}
}
