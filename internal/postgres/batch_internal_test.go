package postgres

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestQueueOrder: a batch locks claim rows first and in key order, so that
// two instances' batches cannot deadlock on them; other ops keep the order
// they came in.
func TestQueueOrder(t *testing.T) {
	ops := []*pgOp{{}, {claim: "k2"}, {}, {claim: "k1"}, {}, {claim: "k3"}, {claim: "k1"}}
	want := []int{3, 6, 1, 5, 0, 2, 4}
	if got := queueOrder(ops); !slices.Equal(got, want) {
		t.Errorf("queueOrder = %v, want %v", got, want)
	}
	if got := queueOrder(nil); len(got) != 0 {
		t.Errorf("queueOrder(nil) = %v", got)
	}
}

// TestQueueNotify: a batch tells the other instances of all the jobs it
// stored events of in one notification, each job once, in more when the
// ids outgrow a payload, and of every job ("") for an id with a comma.
func TestQueueNotify(t *testing.T) {
	db := &DB{instance: "inst"}
	payloads := func(results []opResult) []string {
		var b pgx.Batch
		db.queueNotify(&b, results)
		var out []string
		for _, q := range b.QueuedQueries {
			if q.SQL != `SELECT pg_notify($1, $2)` || q.Arguments[0] != notifyChannel {
				t.Fatalf("queued %q %v, want a pg_notify on %s", q.SQL, q.Arguments, notifyChannel)
			}
			out = append(out, q.Arguments[1].(string))
		}
		return out
	}
	if got := payloads([]opResult{{}, {}}); len(got) != 0 {
		t.Errorf("no events: got %q, want no notification", got)
	}
	if got, want := payloads([]opResult{{notify: "job_a"}, {notify: "job_b"}, {}, {notify: "job_a"}}), []string{"inst:job_a,job_b"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := payloads([]opResult{{notify: "job_a"}, {notify: "odd,id"}}), []string{"inst:"}; !slices.Equal(got, want) {
		t.Errorf("an id with a comma: got %q, want %q", got, want)
	}
	var many []opResult
	var ids []string
	for i := range 500 {
		id := fmt.Sprintf("job_%026d", i)
		many = append(many, opResult{notify: id})
		ids = append(ids, id)
	}
	got := payloads(many)
	if len(got) < 2 {
		t.Fatalf("500 ids in %d notification(s), want them split", len(got))
	}
	var heard []string
	for _, p := range got {
		if len(p) > notifyPayloadMax+len("inst:") {
			t.Errorf("a payload of %d bytes, over %d", len(p), notifyPayloadMax)
		}
		jobs, ok := strings.CutPrefix(p, "inst:")
		if !ok {
			t.Fatalf("payload %q lacks the instance", p)
		}
		heard = append(heard, strings.Split(jobs, ",")...)
	}
	if !slices.Equal(heard, ids) {
		t.Errorf("the split payloads name %d ids, want the 500 in order", len(heard))
	}
}
