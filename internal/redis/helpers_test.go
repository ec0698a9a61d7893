package redis_test

import (
	"context"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
)

// MustOpen opens a Cache on the test server under a fresh prefix, closed
// when tb ends.
func MustOpen(tb testing.TB, clock copydesk.Clock) *redis.Cache {
	tb.Helper()
	url, prefix := redistest.MustPrefix(tb)
	return MustOpenPrefix(tb, url, prefix, clock)
}

// MustOpenPrefix opens another instance on url and prefix, closed when tb
// ends.
func MustOpenPrefix(tb testing.TB, url, prefix string, clock copydesk.Clock) *redis.Cache {
	tb.Helper()
	c, err := redis.Open(context.Background(), url, redis.Options{Prefix: prefix, Clock: clock})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return c
}
