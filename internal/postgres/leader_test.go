package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/storetest"
)

// TestLead: of two instances one leads at a time, and when the leader
// stops the other takes over.
func TestLead(t *testing.T) {
	t.Parallel()
	schema := MustSchema(t)
	clock := storetest.NewClock(storetest.Epoch())
	dbs := []*postgres.DB{MustOpenSchema(t, schema, clock), MustOpenSchema(t, schema, clock)}
	var leading, most atomic.Int32
	led := make(chan int, 10)
	ctxs := make([]context.CancelFunc, 2)
	var wg sync.WaitGroup
	for i := range dbs {
		ctx, cancel := context.WithCancel(context.Background())
		ctxs[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i].Lead(ctx, "test", func(lctx context.Context) {
				n := leading.Add(1)
				for {
					if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				led <- i
				<-lctx.Done()
				leading.Add(-1)
			})
		}()
	}
	defer func() {
		for _, c := range ctxs {
			c()
		}
		wg.Wait()
	}()
	var first int
	select {
	case first = <-led:
	case <-time.After(30 * time.Second):
		t.Fatal("nobody led within 30 s")
	}
	time.Sleep(500 * time.Millisecond) // the other keeps trying meanwhile
	ctxs[first]()                      // the leader stops
	select {
	case second := <-led:
		if second == first {
			t.Errorf("instance %d led again after stopping", first)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no instance took over within 30 s")
	}
	if m := most.Load(); m != 1 {
		t.Errorf("got %d leaders at once, want 1", m)
	}
}
