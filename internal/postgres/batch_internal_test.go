package postgres

import (
	"slices"
	"testing"
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
