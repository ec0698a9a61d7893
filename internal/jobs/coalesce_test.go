package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs/jobstest"
)

func delta(task, text string) map[string]any { return map[string]any{"task": task, "text": text} }

func TestCoalescerGathersDeltas(t *testing.T) {
	t.Parallel()
	rec := &jobstest.Recorder{}
	c := newCoalescer(time.Hour, rec.Emit) // only flushes write
	ctx := context.Background()
	for _, d := range []string{"Fresh ", "bread ", "every ", "morning"} {
		if err := c.emit(ctx, copydesk.EventDelta, delta("block.1.hero", d)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rec.Events()); got != 1 {
		t.Fatalf("before the window ends: got %d events written, want 1 (the first delta at once)", got)
	}
	if err := c.emit(ctx, copydesk.EventTaskResult, map[string]any{"task": "block.1.hero"}); err != nil {
		t.Fatal(err)
	}
	evs := rec.Events()
	want := []string{"delta:Fresh ", "delta:bread every morning", "task.result:"}
	if len(evs) != len(want) {
		t.Fatalf("got %d events %v, want %v", len(evs), evs, want)
	}
	for i, ev := range evs {
		text, _ := ev.Data["text"].(string)
		if got := ev.Type + ":" + text; got != want[i] {
			t.Errorf("event %d: got %q, want %q", i, got, want[i])
		}
		if ev.Data["task"] != "block.1.hero" {
			t.Errorf("event %d lost its task: %v", i, ev.Data)
		}
	}
}

func TestCoalescerKeepsTasksAndAttemptsApart(t *testing.T) {
	t.Parallel()
	rec := &jobstest.Recorder{}
	c := newCoalescer(time.Hour, rec.Emit)
	ctx := context.Background()
	emit := func(data map[string]any) {
		t.Helper()
		if err := c.emit(ctx, copydesk.EventDelta, data); err != nil {
			t.Fatal(err)
		}
	}
	emit(delta("a", "a1"))
	emit(delta("b", "b1"))
	emit(delta("a", "a2"))
	emit(delta("b", "b2"))
	emit(delta("a", "a3"))
	emit(map[string]any{"task": "a", "attempt": 2, "text": "A1"}) // a retry starts its text over
	emit(map[string]any{"task": "a", "attempt": 2, "text": "A2"})
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range rec.Events() {
		got = append(got, fmt.Sprintf("%v/%v:%v", ev.Data["task"], ev.Data["attempt"], ev.Data["text"]))
	}
	want := []string{"a/<nil>:a1", "b/<nil>:b1", "a/2:A1", "a/<nil>:a2a3", "b/<nil>:b2", "a/2:A2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCoalescerWindowFlushes(t *testing.T) {
	t.Parallel()
	rec := &jobstest.Recorder{}
	c := newCoalescer(time.Millisecond, rec.Emit)
	ctx := context.Background()
	for _, d := range []string{"one ", "two ", "three"} {
		if err := c.emit(ctx, copydesk.EventDelta, delta("t", d)); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the window's own flush (a condition, not a duration). The
	// first delta goes out at once; the others are gathered, in one event
	// when they came within the window, in more when the machine was slow
	// between them (a busy machine: seen with -race), never lost.
	rest := func() (string, int) {
		evs := rec.Events()
		if len(evs) == 0 || evs[0].Data["text"] != "one " {
			return "", 0
		}
		var text strings.Builder
		for _, ev := range evs[1:] {
			text.WriteString(ev.Data["text"].(string))
		}
		return text.String(), len(evs) - 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for text, _ := rest(); text != "two three" && time.Now().Before(deadline); text, _ = rest() {
		time.Sleep(time.Millisecond)
	}
	if text, n := rest(); text != "two three" || n < 1 || n > 2 {
		t.Fatalf("after the window: got %v, want \"one \" and then \"two three\" in one or two events", rec.Events())
	}
}

// TestCoalescerConcurrentTasks: tasks emitting in parallel each get their
// whole text, in order, before their result, and nothing after it.
func TestCoalescerConcurrentTasks(t *testing.T) {
	t.Parallel()
	rec := &jobstest.Recorder{}
	c := newCoalescer(200*time.Microsecond, rec.Emit)
	ctx := context.Background()
	const tasks, deltas = 8, 200
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := fmt.Sprintf("task-%d", i)
			for j := range deltas {
				if err := c.emit(ctx, copydesk.EventDelta, delta(task, fmt.Sprintf("%d,", j))); err != nil {
					t.Error(err)
					return
				}
			}
			if err := c.emit(ctx, copydesk.EventTaskResult, map[string]any{"task": task}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	text := map[string]*strings.Builder{}
	done := map[string]bool{}
	writes := 0
	for _, ev := range rec.Events() {
		task := ev.Data["task"].(string)
		switch ev.Type {
		case copydesk.EventDelta:
			writes++
			if done[task] {
				t.Errorf("%s: a delta after its result", task)
			}
			if text[task] == nil {
				text[task] = &strings.Builder{}
			}
			text[task].WriteString(ev.Data["text"].(string))
		case copydesk.EventTaskResult:
			done[task] = true
		}
	}
	var want strings.Builder
	for j := range deltas {
		fmt.Fprintf(&want, "%d,", j)
	}
	for i := range tasks {
		task := fmt.Sprintf("task-%d", i)
		if !done[task] {
			t.Errorf("%s: no result", task)
		}
		if got := text[task].String(); got != want.String() {
			t.Errorf("%s: deltas joined to %q, want %q", task, got, want.String())
		}
	}
	t.Logf("%d deltas written as %d events", tasks*deltas, writes)
	if writes >= tasks*deltas {
		t.Errorf("%d deltas written as %d events: nothing was gathered", tasks*deltas, writes)
	}
}

func TestCoalescerPassesOtherData(t *testing.T) {
	t.Parallel()
	rec := &jobstest.Recorder{}
	c := newCoalescer(time.Hour, rec.Emit)
	// A delta without a string text is written as it is.
	for i := 0; i < 2; i++ {
		if err := c.emit(context.Background(), copydesk.EventDelta, map[string]any{"task": "x", "text": 7}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rec.Events()); got != 2 {
		t.Errorf("got %d events, want 2 written as they came", got)
	}
}
