package sqlite_test

import (
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

var time0 time.Time

func BenchmarkCreateJob(b *testing.B) {
	storetest.BenchmarkCreateJob(b, MustOpen(b, nil))
}

func BenchmarkAppendEvent(b *testing.B) {
	storetest.BenchmarkAppendEvent(b, MustOpen(b, nil))
}

func BenchmarkGetCache(b *testing.B) {
	clock := copydesk.SystemClock{}
	storetest.BenchmarkGetCache(b, MustOpen(b, clock), clock)
}
