// Package redistest gives tests of the scale-out mode a Redis server and a
// fresh key prefix. The server is named by COPYDESK_TEST_REDIS: when it is
// not set the test is skipped with a message saying how to run it; when it
// is set and the server is unreachable the test fails — it never skips
// silently.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// URLEnv names the environment variable with the test server's URL.
const URLEnv = "COPYDESK_TEST_REDIS"

// MustURL returns the test server's URL after checking it answers.
func MustURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(URLEnv)
	if u == "" {
		tb.Skip(URLEnv + " not set: set it to e.g. redis://127.0.0.1:6379/0 to run the Redis tests")
	}
	c := mustClient(tb, u)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("%s is set but Redis is unreachable: %v", URLEnv, err)
	}
	return u
}

// MustPrefix returns the server's URL and a new random key prefix; every key
// under the prefix is deleted when tb ends.
func MustPrefix(tb testing.TB) (url, prefix string) {
	tb.Helper()
	url = MustURL(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix = "copydesk_test_" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		c := mustClient(tb, url)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DeletePrefix(ctx, c, prefix); err != nil {
			tb.Errorf("delete keys %s*: %v", prefix, err)
		}
	})
	return url, prefix
}

// CountPrefix returns how many keys start with prefix (a prefix of letters,
// digits, '_' and ':' as MustPrefix makes them).
func CountPrefix(tb testing.TB, url, prefix string) int {
	tb.Helper()
	c := mustClient(tb, url)
	defer c.Close()
	n := 0
	var cursor uint64
	for {
		keys, next, err := c.Scan(context.Background(), cursor, prefix+"*", 1000).Result()
		if err != nil {
			tb.Fatalf("scan %s*: %v", prefix, err)
		}
		n += len(keys)
		if cursor = next; cursor == 0 {
			return n
		}
	}
}

// DeletePrefix unlinks every key starting with prefix (a prefix of letters,
// digits, '_' and ':' as MustPrefix makes them).
func DeletePrefix(ctx context.Context, c *goredis.Client, prefix string) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

func mustClient(tb testing.TB, url string) *goredis.Client {
	tb.Helper()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		tb.Fatalf("%s: %v", URLEnv, err)
	}
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return goredis.NewClient(opts)
}
