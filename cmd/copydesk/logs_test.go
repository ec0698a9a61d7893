package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/redis"
	"github.com/copydesk/copydesk/internal/redistest"
)

// cutProxy forwards TCP connections to target until cut, then closes them
// and refuses new ones: Redis going away under a running server.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func mustCutProxy(tb testing.TB, target string) *cutProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	tb.Cleanup(func() { p.Cut(); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

// Cut closes every connection and refuses the next.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestLogsUnderRedisOutage: while Redis is gone, every request's cache
// lookup fails the same way; the log stays JSON, line for line (go-redis's
// own lines included), and each repeated warning is written once per
// interval, with the count of the held-back ones on the next.
func TestLogsUnderRedisOutage(t *testing.T) {
	t.Parallel()
	rawURL, prefix := redistest.MustPrefix(t)
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := mustCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	var logs syncBuffer
	m := MustRunMain(t, func(m *Main) {
		m.Config.RedisURL = u.String()
		m.redisPrefix = prefix
		m.Config.LogRepeatInterval = time.Hour // nothing repeats twice in this test
		m.Logger = newLogger(&logs, m.Config)
	})
	redis.SetLogger(m.Logger.With("component", "redis")) // process-wide, as serve does
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	proxy.Cut()
	const n = 40
	for i := range n {
		r := call(t, base, "POST", "/v1/analyses", admin, map[string]any{"content": fmt.Sprintf("Text number %d for the outage.", i), "language": "en"})
		MustStatus(t, r, 200, "analysis while Redis is gone")
	}
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct {
			Level, Msg string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if l.Level == "WARN" || l.Level == "ERROR" {
			counts[l.Level+" "+l.Msg]++
		}
	}
	if len(counts) == 0 {
		t.Fatalf("no warning during the outage; log:\n%s", logs.String())
	}
	for msg, c := range counts {
		if c > 1 {
			t.Errorf("%q written %d times during %d requests, want once per interval", msg, c, n)
		}
	}
	t.Logf("warnings during the outage: %v", counts)
}
