package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
)

// TestClusterCrashRecovery kills -9 the instance running ten jobs: the
// surviving instance finishes all ten within rescue_after plus River's
// rescue interval, each with a complete, ordered event log in which the
// re-run restarts its task's text (task.restarted).
func TestClusterCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	t.Parallel()
	bin := MustBuildBinary(t)
	dsn, schema := pgtest.MustSchema(t)
	dir := t.TempDir() // shared: the instances share the JWT key file too
	env := []string{
		"COPYDESK_DATABASE_URL=" + dsn, "COPYDESK_DATABASE_SCHEMA=" + schema,
		"COPYDESK_SIMULATE_TTFT=1s", "COPYDESK_SIMULATE_LATENCY=2500ms",
		"COPYDESK_QUEUE_JOB_TIMEOUT=8s", "COPYDESK_QUEUE_RESCUE_AFTER=9s",
	}
	a := startChild(t, bin, dir, freeAddr(t), env...)
	const n = 10
	ids := make([]string, n)
	for i := range ids {
		r := postJSON(t, a.url+"/v1/analyses", map[string]any{
			"content": fmt.Sprintf("%s Pagina %d van de test.", dutchText, i), "language": "nl", "deep": []string{"grammar"}})
		if r.Status != 202 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var acc struct {
			JobID string `json:"job_id"`
		}
		r.json(t, &acc)
		ids[i] = acc.JobID
	}
	// Every job has started on A (the only instance) before it dies.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range ids {
		resp := openStream(t, ctx, a.url+"/v1/jobs/"+id+"/events", 0)
		if _, err := readEvents(resp.Body, func(ev sseEvent) bool { return ev.Type == copydesk.EventTaskStarted }); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	b := startChild(t, bin, dir, freeAddr(t), env...)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
	killed := time.Now()

	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := MustReadToDoneWithin(t, b.url+"/v1/jobs/"+id+"/events", 90*time.Second)
			checkSequence(t, evs, 1)
			if s := doneStatus(t, evs[len(evs)-1]); s != "succeeded" {
				t.Errorf("job %s ended %q, want succeeded", id, s)
			}
			var types []string
			for _, ev := range evs {
				types = append(types, ev.Type)
			}
			joined := strings.Join(types, " ")
			if !strings.Contains(joined, copydesk.EventTaskRestarted+" "+copydesk.EventTaskStarted) {
				t.Errorf("job %s: events %v; want the re-run's task.restarted before its task.started", id, types)
			}
		}()
	}
	wg.Wait()
	t.Logf("ten jobs of the killed instance finished %s after the kill (rescue_after 9 s)", time.Since(killed).Round(time.Second))
}
