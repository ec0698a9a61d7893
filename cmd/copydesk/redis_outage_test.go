package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pgtest"
	"github.com/copydesk/copydesk/internal/providerlimit"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/ratelimit"
	"github.com/copydesk/copydesk/internal/redistest"
	"github.com/copydesk/copydesk/internal/router"
)

// tcpProxy forwards connections to a server. Stop closes its listener and
// every connection (the server is gone, as when Redis stops), Start listens
// again on the same address. Hang keeps every connection open but answers
// nothing (the server hangs, or the network drops its packets), Resume
// closes the held connections and forwards new ones again.
type tcpProxy struct {
	tb     testing.TB
	addr   string // host:port it listens on
	target string
	hung   atomic.Bool

	mu      sync.Mutex
	ln      net.Listener
	clients map[net.Conn]bool
	ups     map[net.Conn]bool
	wg      sync.WaitGroup
}

// MustTCPProxy starts a proxy to target on a free loopback port.
func MustTCPProxy(tb testing.TB, target string) *tcpProxy {
	tb.Helper()
	p := &tcpProxy{tb: tb, target: target, clients: map[net.Conn]bool{}, ups: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	tb.Cleanup(p.Stop)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.hung.Load() { // hold it: read everything, answer nothing
				p.mu.Lock()
				p.clients[c] = true
				p.mu.Unlock()
				go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
				continue
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln { // stopped meanwhile
				p.mu.Unlock()
				c.Close()
				up.Close()
				continue
			}
			p.clients[c], p.ups[up] = true, true
			p.mu.Unlock()
			go func() { // client to server
				_, _ = io.Copy(up, c)
				if p.hung.Load() {
					_, _ = io.Copy(io.Discard, c)
				}
				c.Close()
				up.Close()
			}()
			go func() { // server to client
				_, _ = io.Copy(c, up)
				if !p.hung.Load() {
					c.Close()
				}
				up.Close()
			}()
		}
	})
}

// Stop closes the listener and every connection.
func (p *tcpProxy) Stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, set := range []map[net.Conn]bool{p.clients, p.ups} {
		for c := range set {
			c.Close()
		}
		clear(set)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Start listens again on the proxy's address.
func (p *tcpProxy) Start() {
	p.tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.tb.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// Hang stops answering: connections to the server are cut, those of the
// clients held open.
func (p *tcpProxy) Hang() {
	p.hung.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.ups {
		c.Close()
	}
	clear(p.ups)
}

// Resume closes the held connections; new ones are forwarded again.
func (p *tcpProxy) Resume() {
	p.hung.Store(false)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.clients {
		c.Close()
	}
	clear(p.clients)
}

// TestRedisOutageDegradedNotDown runs two instances on one PostgreSQL
// schema whose Redis (cache, claims, rate limits, provider limits) is
// reached through a proxy, under a steady load of analyses, report reads
// by key on the other instance and chat completions (each a provider call).
// Under the load, Redis stops (the proxy is closed, then opened again) or
// hangs (connections held open without an answer, then released): no
// request fails, /readyz stays 200 and says degraded naming redis while
// Redis is gone, reports made before and during the outage are served by
// key on the instance that did not make them (from the store), and after
// Redis is back /readyz is ready again and new answers reach Redis.
func TestRedisOutageDegradedNotDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		outage, recovery func(*tcpProxy)
	}{
		{"redis stopped", (*tcpProxy).Stop, (*tcpProxy).Start},
		{"redis hung", (*tcpProxy).Hang, (*tcpProxy).Resume},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testRedisOutage(t, tc.outage, tc.recovery)
		})
	}
}

func testRedisOutage(t *testing.T, outage, recovery func(*tcpProxy)) {
	dsn, schema := pgtest.MustSchema(t)
	redisURL, prefix := redistest.MustPrefix(t)
	u, err := neturl.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := MustTCPProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = proxy.addr
	fake := providertest.NewTestServer(t, providertest.Options{Responder: func(r providertest.Request) string { return "Echo: " + r.Prompt }})
	configure := func(m *Main) {
		// Models built from the configuration as serve builds them: the
		// provider limits are shared in Redis too.
		m.Config.Providers = []ProviderConfig{{Name: "fake", Type: ProviderOpenAICompatible, BaseURL: fake.URL + "/v1/", APIKeys: []string{"test-key"}}}
		m.Config.Routing = router.Config{
			Endpoints: map[string]router.EndpointConfig{"fake-mini": {Provider: "fake", Model: "gpt-4o-mini", Limits: providerlimit.Config{RequestsPerMinute: 100_000}}},
			Classes:   map[string][]string{"quality": {"fake-mini"}, "fast": {"fake-mini"}, "budget": {"fake-mini"}},
		}
		m.Config.DatabaseURL = dsn
		m.Config.DatabaseSchema = schema
		m.Config.RedisURL = viaProxy.String()
		m.redisPrefix = prefix
		// Limits far above the load: the test is about serving on without
		// Redis, not about refusals (without -race the load passes the
		// default customer limit of 1,200 a minute).
		m.Config.Access.RateLimits = ratelimit.Config{Roles: map[copydesk.Role]ratelimit.Rate{copydesk.RoleAdmin: {PerMinute: 1_000_000, Burst: 1_000_000}},
			Customer: ratelimit.Rate{PerMinute: 1_000_000, Burst: 1_000_000}}
	}
	a := MustRunMain(t, configure)
	b := MustRunMain(t, configure)
	key := MustAdminKey(t, a)
	instances := []*Main{a, b}

	// send makes one request as the ADMIN; a transport error is an error
	// like a bad status (the load goroutines must not call t.Fatal).
	send := func(method, url string, body any) ([]byte, error) {
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				return nil, err
			}
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, url, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("%s %s: %d %s", method, req.URL.Path, resp.StatusCode, b)
		}
		return b, err
	}
	analyze := func(on *Main, content string) (string, error) {
		b, err := send("POST", on.HTTP.URL()+"/v1/analyses", map[string]any{"content": content, "language": "en"})
		if err != nil {
			return "", err
		}
		var out struct {
			ResultKey string `json:"result_key"`
		}
		if err := json.Unmarshal(b, &out); err != nil || out.ResultKey == "" {
			return "", fmt.Errorf("POST /v1/analyses: no result_key in %s (%v)", b, err)
		}
		return out.ResultKey, nil
	}
	readReport := func(on *Main, resultKey string) error {
		_, err := send("GET", on.HTTP.URL()+"/v1/analyses/"+resultKey, nil)
		return err
	}
	chat := func(on *Main, prompt string) error {
		_, err := send("POST", on.HTTP.URL()+"/v1/chat/completions", map[string]any{
			"model": "auto", "messages": []map[string]string{{"role": "user", "content": prompt}},
		})
		return err
	}
	readyz := func(on *Main) (int, string) {
		r := do(t, "GET", on.HTTP.URL()+"/readyz", "", nil)
		return r.Status, string(r.Body)
	}

	// Reports made while Redis is up, read later by key on the other
	// instance.
	var before []string
	for i := range 5 {
		k, err := analyze(a, fmt.Sprintf("Fresh bread number %d is baked every morning before dawn.", i))
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, k)
	}

	// The load: each worker repeats analyze (on one instance), read by key
	// (on the other), chat, until stopped.
	var (
		down     atomic.Bool
		sent     atomic.Int64 // requests sent
		whenDown atomic.Int64 // requests answered while Redis was gone
		failed   atomic.Int64
		errMu    sync.Mutex
		firstErr error
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	record := func(err error) {
		sent.Add(1)
		if down.Load() {
			whenDown.Add(1)
		}
		if err != nil {
			failed.Add(1)
			errMu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			errMu.Unlock()
		}
	}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				on, other := instances[(w+i)%2], instances[(w+i+1)%2]
				k, err := analyze(on, fmt.Sprintf("Worker %d writes page %d about sourdough and rye.", w, i))
				record(err)
				if err == nil {
					record(readReport(other, k))
				}
				record(readReport(other, before[i%len(before)]))
				record(chat(on, fmt.Sprintf("worker %d prompt %d", w, i)))
			}
		})
	}
	// waitFor waits until cond holds, checking every 20 ms; the limit only
	// keeps a broken build from hanging.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("gave up waiting for %s", what)
			}
		}
	}
	waitFor("load before the outage", func() bool { return sent.Load() >= 100 })

	outage(proxy)
	down.Store(true)
	for i, m := range instances {
		status, body := readyz(m)
		if status != 200 || body != `{"status":"degraded","degraded":["redis"]}`+"\n" {
			t.Errorf("instance %d: /readyz with Redis gone: %d %s, want 200 degraded naming redis", i, status, body)
		}
	}
	redisUp := func(m *Main) string {
		b, err := send("GET", m.HTTP.URL()+"/metrics", nil)
		if err != nil {
			t.Errorf("metrics: %v", err)
		}
		return regexp.MustCompile(`(?m)^copydesk_redis_up .*$`).FindString(string(b))
	}
	if got := redisUp(a); got != "copydesk_redis_up 0" {
		t.Errorf("metrics with Redis gone: %q, want copydesk_redis_up 0", got)
	}
	waitFor("load during the outage", func() bool { return whenDown.Load() >= 300 })
	// Reports made during the outage, read by key on the other instance.
	for i := range 3 {
		k, err := analyze(a, fmt.Sprintf("Made while Redis is gone, page %d.", i))
		if err != nil {
			t.Error(err)
			continue
		}
		if err := readReport(b, k); err != nil {
			t.Errorf("a report made during the outage: %v", err)
		}
	}

	recovery(proxy)
	down.Store(false)
	for i, m := range instances {
		waitFor(fmt.Sprintf("instance %d ready again", i), func() bool {
			status, body := readyz(m)
			return status == 200 && body == `{"status":"ready"}`+"\n"
		})
	}
	// Connections the outage left in the pool fail once each, so the figure
	// may read 0 a little longer than /readyz.
	waitFor("copydesk_redis_up 1", func() bool { return redisUp(a) == "copydesk_redis_up 1" })
	n0 := redistest.CountPrefix(t, redisURL, prefix+"e:")
	attempt := 0
	waitFor("answers reaching Redis again", func() bool {
		attempt++
		if _, err := analyze(b, fmt.Sprintf("After the outage, page %d.", attempt)); err != nil {
			t.Error(err)
		}
		return redistest.CountPrefix(t, redisURL, prefix+"e:") > n0
	})
	close(stop)
	wg.Wait()

	if n := failed.Load(); n != 0 {
		t.Errorf("failed requests: %d of %d (first: %v), want 0", n, sent.Load(), firstErr)
	}
	t.Logf("%d requests, %d of them answered while Redis was gone", sent.Load(), whenDown.Load())
	// Provider calls were made while Redis was gone: their limits were
	// decided by each instance alone.
	if a.providerLimits.Fallbacks()+b.providerLimits.Fallbacks() == 0 {
		t.Errorf("provider limits decided without Redis: 0, want some")
	}
	for i, m := range instances {
		if n := m.sharedLimiter.Fallbacks(); n == 0 {
			t.Errorf("instance %d: rate limits decided without Redis: 0, want some", i)
		}
	}
	for i, k := range before {
		if err := readReport(b, k); err != nil {
			t.Errorf("report %d made before the outage, after it: %v", i, err)
		}
	}
}
