package alert_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// BenchmarkObserve evaluates the default rules on a sample with 1,000
// customer budgets and 10 endpoints, with a 15-minute history at 15 s.
func BenchmarkObserve(b *testing.B) {
	clock := NewClock(t0)
	e := MustEngine(b, alert.Config{Clock: clock})
	s := copydesk.HealthSample{QueueDepth: 10}
	for i := range 1000 {
		s.Budgets = append(s.Budgets, copydesk.BudgetUse{CustomerID: fmt.Sprint("c", i), Spent: copydesk.Micros(i), Limit: 10_000})
	}
	for i := range 10 {
		s.Endpoints = append(s.Endpoints, copydesk.EndpointHealth{Name: fmt.Sprint("ep", i)})
	}
	b.ReportAllocs()
	for b.Loop() {
		clock.Add(15 * time.Second)
		s.CacheSaved += 95
		s.CacheComputed += 5
		s.Requests += 100
		s.RequestSeconds += 1
		e.Observe(s)
	}
}
