package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providertest"
)

// TestStreamsAcrossInstances runs three instances on one PostgreSQL
// schema, submits jobs on A, and follows each on A, B and C while it runs
// (on whichever instance's worker took it): all three streams carry the
// same events, ids 1, 2, 3 … without gaps or repeats, ending in done.
func TestStreamsAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.MustSchema(t)
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder, TTFT: 150 * time.Millisecond, Latency: 600 * time.Millisecond})
	configure := func(m *Main) {
		m.Routed = models
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
	}
	ms := []*Main{MustRunMain(t, configure), MustRunMain(t, configure), MustRunMain(t, configure)}
	const jobs = 6
	got := make([][][]sseEvent, jobs) // job → instance → events
	var wg sync.WaitGroup
	for j := range jobs {
		r := postJSON(t, ms[0].HTTP.URL()+"/v1/analyses", map[string]any{
			"content": fmt.Sprintf("%s Pagina %d.", dutchText, j), "language": "nl", "deep": []string{"grammar"}})
		if r.Status != 202 {
			t.Fatalf("job %d: status %d: %s", j, r.Status, r.Body)
		}
		var acc struct {
			StreamURL string `json:"stream_url"`
		}
		r.json(t, &acc)
		got[j] = make([][]sseEvent, len(ms))
		for i, m := range ms {
			wg.Go(func() { got[j][i] = MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0) })
		}
	}
	wg.Wait()
	for j, per := range got {
		for i, evs := range per {
			for k, ev := range evs {
				if ev.ID != int64(k+1) {
					t.Fatalf("job %d on instance %c: event %d has id %d, want %d (a gap or a repeat)", j, 'A'+i, k, ev.ID, k+1)
				}
			}
			if i > 0 && fmt.Sprint(evs) != fmt.Sprint(per[0]) {
				t.Errorf("job %d: instance %c's stream differs from A's:\n%v\n%v", j, 'A'+i, evs, per[0])
			}
		}
		if len(per[0]) < 4 {
			t.Errorf("job %d: %d events, want queued, started, task events and done", j, len(per[0]))
		}
	}
}
