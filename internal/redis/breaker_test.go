package redis_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
)

// freezer is a TCP proxy to Redis that can stop forwarding (a Redis that
// hangs: connections stay open, no answer comes).
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
}

func mustFreezer(tb testing.TB, redisURL string) (*freezer, string) {
	tb.Helper()
	rest := strings.TrimPrefix(redisURL, "redis://")
	hostport, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
		hostport = hostport[at+1:]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	f := &freezer{ln: ln, target: hostport}
	tb.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	go f.serve()
	return f, "redis://" + ln.Addr().String() + "/" + path
}

func (f *freezer) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, up)
		f.mu.Unlock()
		go f.pipe(up, c)
		go f.pipe(c, up)
	}
}

// pipe copies src to dst while not frozen; frozen, it reads and drops.
func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			frozen := f.frozen
			f.mu.Unlock()
			if !frozen {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			return
		}
	}
}

func (f *freezer) freeze(v bool) {
	f.mu.Lock()
	f.frozen = v
	f.mu.Unlock()
}

// TestBreakerHungRedis: once a command has timed out against a Redis that
// does not answer, the following cache reads fail at once (the cache then
// misses) instead of each waiting for its own timeout; when Redis answers
// again, so does the cache.
func TestBreakerHungRedis(t *testing.T) {
	t.Parallel()
	url, prefix := redistest.MustPrefix(t)
	f, proxied := mustFreezer(t, url)
	c, err := redis.Open(context.Background(), proxied, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if _, _, err := c.GetCache(ctx, "k"); err != nil {
		t.Fatalf("before the freeze: %v", err)
	}
	f.freeze(true)
	if _, _, err := c.GetCache(ctx, "k"); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
		t.Fatalf("hung Redis: got %v, want unavailable", err)
	}
	// The breaker is open: the next reads do not reach the proxy at all,
	// which the test sees as the breaker's own error, not a timeout.
	for i := 0; i < 20; i++ {
		_, _, err := c.GetCache(ctx, "k")
		if copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE || !strings.Contains(copydesk.ErrorMessage(err), "cool-down") {
			t.Fatalf("read %d while the breaker is open: got %v, want the breaker's unavailable", i, err)
		}
	}
	// Redis answers again: after the cool-down the cache works.
	f.freeze(false)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, err := c.GetCache(ctx, "k")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis answers again, the cache does not: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRateLimiterCancelledRequest: a decision cut short by its own client
// going away does not make the instance stop using Redis for the others.
func TestRateLimiterCancelledRequest(t *testing.T) {
	t.Parallel()
	c := MustOpen(t, nil)
	l := MustRateLimiter(t, c, ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleUser: {PerMinute: 60, Burst: 5}}}, nil, nil)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	l.Allow(gone, copydesk.Principal{UserID: "usr_gone", CustomerID: "cus_1", Role: copydesk.RoleUser}, copydesk.PriorityHigh)
	before := l.Fallbacks()
	if d := l.Allow(context.Background(), copydesk.Principal{UserID: "usr_other", CustomerID: "cus_1", Role: copydesk.RoleUser}, copydesk.PriorityHigh); !d.Allowed {
		t.Fatalf("another user's request: got %+v, want allowed", d)
	}
	if got := l.Fallbacks(); got != before {
		t.Errorf("after a cancelled request, another user's decision came from the fallback (%d → %d fallbacks); want Redis", before, got)
	}
}
