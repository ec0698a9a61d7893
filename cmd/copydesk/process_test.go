package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// MustBuildBinary builds the copydesk command once per test run.
func MustBuildBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "copydesk-bin")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "copydesk")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildPath
}

type child struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncWriter
	done   chan struct{} // closed when the process exited
	err    error         // its exit error, set before done closes
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startChild runs `copydesk serve` as a separate process and waits until it
// is ready.
func startChild(tb testing.TB, bin, dataDir, addr string, env ...string) *child {
	tb.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dataDir, "--simulate")
	cmd.Env = append(os.Environ(), env...)
	stderr := &syncWriter{w: &bytes.Buffer{}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, url: "http://" + addr, stderr: stderr, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(c.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				key, err := os.ReadFile(filepath.Join(dataDir, auth.AdminKeyFile))
				if err != nil {
					tb.Fatalf("read the bootstrapped admin key: %v", err)
				}
				registerTestKey(tb, c.url, strings.TrimSpace(string(key)))
				return c
			}
		}
		select {
		case <-c.done:
			tb.Fatalf("child exited early: %v\n%s", c.err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Fatalf("child not ready in time:\n%s", stderr.String())
	return nil
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestCrashAndSignals kills a process mid-job with SIGKILL, checks that a
// new process finishes the job with a complete, ordered event log, then
// stops that process with SIGTERM mid-stream: the stream gets its shutdown
// event and the process exits 0.
func TestCrashAndSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	t.Parallel()
	bin := MustBuildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	slow := []string{"COPYDESK_SIMULATE_TTFT=2s", "COPYDESK_SIMULATE_LATENCY=3s", "COPYDESK_QUEUE_POLL_INTERVAL=50ms"}

	first := startChild(t, bin, dir, addr, slow...)
	r := postJSON(t, first.url+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	if r.Status != 202 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var acc struct {
		JobID     string `json:"job_id"`
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp := openStream(t, ctx, first.url+acc.StreamURL, 0)
	if _, err := readEvents(resp.Body, func(ev sseEvent) bool { return ev.Type == copydesk.EventTaskStarted }); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done

	second := startChild(t, bin, dir, addr, slow...)
	evs := MustReadToDone(t, second.url+acc.StreamURL, 0)
	checkSequence(t, evs, 1)
	started, results := 0, 0
	for _, ev := range evs {
		switch ev.Type {
		case "job.started":
			started++
		case copydesk.EventTaskResult:
			results++
			if !strings.Contains(ev.Data, `"simulated":true`) {
				t.Errorf("simulated result not labelled simulated: %s", ev.Data)
			}
		}
	}
	if started != 2 || results != 1 {
		t.Errorf("job.started %d times and %d task results, want 2 and 1: %+v", started, results, evs)
	}
	if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
		t.Errorf("job ended %q, want succeeded", s)
	}

	// SIGTERM while a stream is open.
	r = postJSON(t, second.url+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"tone"}})
	r.json(t, &acc)
	resp = openStream(t, ctx, second.url+acc.StreamURL, 0)
	defer resp.Body.Close()
	if _, err := readEvents(resp.Body, func(ev sseEvent) bool { return ev.Type == "job.started" }); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := readEvents(resp.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) == 0 || rest[len(rest)-1].Type != "shutdown" {
		t.Errorf("stream ended with %+v, want a shutdown event", rest)
	}
	select {
	case <-second.done:
		if second.err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", second.err, second.stderr.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
