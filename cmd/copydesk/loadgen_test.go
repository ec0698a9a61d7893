package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/providertest"
)

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// MustLoadgen runs the loadgen command with args, authenticated with the
// test key of the --url server, and decodes its JSON result; it fails the
// test if the command fails.
func MustLoadgen(tb testing.TB, args ...string) loadResult {
	tb.Helper()
	var out, errOut bytes.Buffer
	for i, a := range args {
		if a == "--url" && i+1 < len(args) {
			args = append(args, "--api-key", testKeyFor(args[i+1]))
			break
		}
	}
	if err := runLoadgen(context.Background(), append(args, "--json"), &out, &errOut, noEnv); err != nil {
		tb.Fatalf("loadgen %v: %v\n%s%s", args, err, out.String(), errOut.String())
	}
	var res loadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		tb.Fatalf("decode %s: %v", out.String(), err)
	}
	return res
}

func TestLoadgenInlineAtRate(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	res := MustLoadgen(t, "--url", m.HTTP.URL(), "--rate", "50", "--duration", "400ms", "--concurrency", "4", "--words", "200")
	if res.Requests != 20 || res.Statuses[200] != 20 || res.Errors != 0 {
		t.Fatalf("got %d requests, statuses %v, %d errors; want 20 answered 200", res.Requests, res.Statuses, res.Errors)
	}
	if res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Errorf("latency percentiles out of order: %+v", res.Latency)
	}
	if res.ServiceTime.Max > res.Latency.Max {
		t.Errorf("service time max %v exceeds latency max %v: latency counts from the due time, which is never later than the send", res.ServiceTime.Max, res.Latency.Max)
	}
}

func TestLoadgenClosedLoop(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	res := MustLoadgen(t, "--url", m.HTTP.URL()+"/", "--rate", "0", "--duration", "200ms", "--concurrency", "2", "--words", "100")
	if res.Requests == 0 || res.Statuses[200] != res.Requests {
		t.Fatalf("got %d requests, statuses %v; want every one answered 200", res.Requests, res.Statuses)
	}
}

func TestLoadgenDeepDistinct(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: benchResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	res := MustLoadgen(t, "--url", m.HTTP.URL(), "--rate", "20", "--duration", "250ms", "--concurrency", "2", "--deep", "grammar", "--distinct")
	if res.Requests != 5 || res.Statuses[202] != 5 {
		t.Fatalf("got %d requests, statuses %v; want 5 answered 202", res.Requests, res.Statuses)
	}
	// Distinct content: each job needs its own model call.
	deadline := time.Now().Add(30 * time.Second)
	for fake.Calls() < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := fake.Calls(); n != 5 {
		t.Errorf("provider calls %d, want 5 (one per distinct request)", n)
	}
}

func TestLoadgenReportsFailures(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	// Deep work on a server without a provider answers 503.
	m := MustRunMain(t)
	err := runLoadgen(context.Background(), []string{"--url", m.HTTP.URL(), "--api-key", testKeyFor(m.HTTP.URL()), "--rate", "20", "--duration", "100ms", "--deep", "grammar"}, &out, &errOut, noEnv)
	if err == nil || !strings.Contains(err.Error(), "2 of 2 requests") {
		t.Fatalf("got error %v, want one counting 2 of 2 failed requests", err)
	}
	if !strings.Contains(out.String(), "503: 2") {
		t.Errorf("report %q does not show the 503 answers", out.String())
	}
	// Nobody listening.
	out.Reset()
	err = runLoadgen(context.Background(), []string{"--url", "http://" + freeAddr(t), "--rate", "20", "--duration", "100ms"}, &out, &errOut, noEnv)
	if err == nil || !strings.Contains(out.String(), "errors 2") || !strings.Contains(out.String(), "first error:") {
		t.Fatalf("got error %v and report %q, want 2 connection errors reported", err, out.String())
	}
}

func TestLoadgenUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad url", []string{"--url", "localhost:8080"}, "--url"},
		{"ftp url", []string{"--url", "ftp://x"}, "--url"},
		{"negative rate", []string{"--rate", "-1"}, "--rate"},
		{"zero duration", []string{"--duration", "0s"}, "--duration"},
		{"too long", []string{"--duration", "2h"}, "--duration"},
		{"no connections", []string{"--concurrency", "0"}, "--concurrency"},
		{"tiny page", []string{"--words", "3"}, "--words"},
		{"empty deep entry", []string{"--deep", "grammar,"}, "--deep"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runLoadgen(context.Background(), tt.args, &bytes.Buffer{}, &stderr, noEnv)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a usage error", err)
			}
			if !strings.Contains(ue.Message, tt.want) {
				t.Errorf("message %q does not name %q", ue.Message, tt.want)
			}
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
		})
	}
}

func TestSamplePageWords(t *testing.T) {
	t.Parallel()
	for _, words := range []int{10, 200, 1000, 5000} {
		if n := pageWords(samplePage(words)); n < words || n > words+100 {
			t.Errorf("samplePage(%d) has %d words, want %d … %d", words, n, words, words+100)
		}
	}
}

// TestLoadgenExternal runs the loadgen command with the arguments in
// COPYDESK_LOADGEN against a server started separately, printing its
// report; a way to run it before the subcommand is wired into main.
func TestLoadgenExternal(t *testing.T) {
	args := os.Getenv("COPYDESK_LOADGEN")
	if args == "" {
		t.Skip(`set COPYDESK_LOADGEN="--url http://127.0.0.1:8080 --rate 500 --duration 10s" to run loadgen against a running server`)
	}
	if err := runLoadgen(context.Background(), strings.Fields(args), os.Stdout, os.Stderr, os.Getenv); err != nil {
		t.Fatal(err)
	}
}

func TestLoadgenSendsAPIKeyWithoutPrintingIt(t *testing.T) {
	t.Parallel()
	const key = "cdk_test_secret_123"
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Authorization")]++
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "COPYDESK_API_KEY" {
			return key
		}
		return ""
	}
	if err := runLoadgen(context.Background(), []string{"--url", srv.URL, "--rate", "20", "--duration", "100ms"}, &out, &errOut, getenv); err != nil {
		t.Fatalf("loadgen: %v\n%s", err, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["Bearer "+key] != 2 || len(seen) != 1 {
		t.Errorf("Authorization headers seen %v, want the key twice", seen)
	}
	if strings.Contains(out.String()+errOut.String(), key) {
		t.Errorf("the output shows the API key: %s", out.String())
	}
}
