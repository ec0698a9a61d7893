package postgres_test

import (
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

func BenchmarkCreateJob(b *testing.B) {
	storetest.BenchmarkCreateJob(b, MustOpen(b, nil))
}

func BenchmarkAppendEvent(b *testing.B) {
	storetest.BenchmarkAppendEvent(b, MustOpen(b, nil))
}

func BenchmarkFindEvents(b *testing.B) {
	storetest.BenchmarkFindEvents(b, MustOpen(b, nil))
}

func BenchmarkGetCache(b *testing.B) {
	clock := copydesk.SystemClock{}
	storetest.BenchmarkGetCache(b, MustOpen(b, clock), clock)
}

func BenchmarkLookupTM(b *testing.B) {
	storetest.BenchmarkLookupTM(b, MustOpen(b, nil))
}

func BenchmarkPutTM(b *testing.B) {
	storetest.BenchmarkPutTM(b, MustOpen(b, nil))
}
