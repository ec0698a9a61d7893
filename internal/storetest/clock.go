// Package storetest is the one conformance suite every store runs: the SQLite
// and PostgreSQL stores run TestJobStore and TestCacheStore, and so does any
// other copydesk.CacheStore (the in-process L1 cache, Redis). A store passes
// by behaving as the domain interfaces document, not by its internals.
//
// Every case builds a fresh store through a factory that receives the case's
// clock, so that a store under test reads time only from that clock:
//
//	storetest.TestCacheStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.CacheStore {
//		return mycache.New(mycache.Options{Clock: clock})
//	})
//
// The factory must register its own cleanup (t.Cleanup). Cases run in
// parallel, each with its own store and clock.
package storetest

import (
	"sync"
	"time"
)

// Clock is a settable copydesk.Clock for tests. It starts at Epoch and moves
// only when told. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Epoch returns the time every suite clock starts at: a round UTC time, so
// that stores which keep microseconds (PostgreSQL) or nanoseconds (SQLite)
// give back exactly what they were given.
func Epoch() time.Time { return time.Date(2026, time.March, 14, 9, 26, 53, 0, time.UTC) }

// NewClock returns a clock that reads t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock by d and returns the new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}
