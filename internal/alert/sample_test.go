package alert_test

import (
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/alert"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestMinimumSample: a fresh install's light use (a cold cache, few work
// items) never fires the default cache hit rate rule, while the reading
// shows the window's figure as not judged; the same hit rate over a real
// sample fires.
func TestMinimumSample(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		perMinute  int64 // work items, 40 % of them hits
		wantAlerts int
	}{
		{"light use", 10, 0},
		{"busy", 40, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock(t0)
			e := MustEngine(t, alert.Config{Clock: clock})
			var s copydesk.HealthSample
			for range 20 { // minutes
				for range 4 { // a sample every 15 s
					clock.Add(15 * time.Second)
					e.Observe(s)
				}
				s.CacheSaved += tc.perMinute * 4 / 10
				s.CacheComputed += tc.perMinute - tc.perMinute*4/10
			}
			clock.Add(15 * time.Second)
			e.Observe(s)
			var fired int
			for _, a := range e.Recent(0) {
				if a.Rule == "cache_hit_rate" {
					fired++
				}
			}
			if fired != tc.wantAlerts {
				t.Errorf("cache_hit_rate announced %d times, want %d: %+v", fired, tc.wantAlerts, e.Recent(0))
			}
			var rd *alert.Reading
			for _, r := range e.Readings() {
				if r.Rule == "cache_hit_rate" {
					rd = &r
				}
			}
			if rd == nil {
				t.Fatal("no cache_hit_rate reading")
			}
			wantEvents := tc.perMinute * 15 // the 15-minute window
			judged := wantEvents >= alert.CacheHitRateMinEvents
			if rd.Value != 0.4 || rd.Events != wantEvents || rd.Judged != judged || rd.MinEvents != alert.CacheHitRateMinEvents || rd.Window != 900 {
				t.Errorf("reading %+v, want value 0.4 over %d events (judged %v, min %d, window 900 s)", *rd, wantEvents, judged, alert.CacheHitRateMinEvents)
			}
			if judged && rd.Level != alert.SeverityCritical {
				t.Errorf("judged reading at level %v, want critical", rd.Level)
			}
		})
	}
}
