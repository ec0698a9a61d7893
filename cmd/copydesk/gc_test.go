package main

import (
	"errors"
	"math"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// keepGC restores the process's collector settings after a test.
func keepGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(percent)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func fixedMemory(n uint64, err error) func() (uint64, error) {
	return func() (uint64, error) { return n, err }
}

func TestTuneGC(t *testing.T) {
	const gib = 1 << 30
	share := func(n uint64) int64 { return int64(float64(n) * memoryShare) }
	host := memoryLimits{cgroup: fixedMemory(4*gib, nil), machine: fixedMemory(64*gib, nil)}
	noCgroup := memoryLimits{cgroup: fixedMemory(0, memlimit.ErrNoLimit), machine: fixedMemory(64*gib, nil)}
	unknown := memoryLimits{cgroup: fixedMemory(0, memlimit.ErrNoLimit), machine: fixedMemory(0, errors.New("no /proc"))}
	tests := []struct {
		name   string
		cfg    func(*Config)
		env    map[string]string
		host   memoryLimits
		want   gcSettings
		wantGC int // the process's collector target after the call
	}{
		{"defaults in a container", nil, nil, host,
			gcSettings{Percent: 400, PercentFrom: "config", Limit: share(4 * gib), LimitFrom: "cgroup"}, 400},
		{"defaults without a cgroup limit", nil, nil, noCgroup,
			gcSettings{Percent: 400, PercentFrom: "config", Limit: share(64 * gib), LimitFrom: "machine"}, 400},
		{"nothing known", nil, nil, unknown,
			gcSettings{Percent: 400, PercentFrom: "config", Limit: math.MaxInt64, LimitFrom: "none"}, 400},
		{"configured", func(c *Config) { c.GCPercent, c.MemoryLimit = 150, 2*gib }, nil, host,
			gcSettings{Percent: 150, PercentFrom: "config", Limit: 2 * gib, LimitFrom: "config"}, 150},
		{"no limit", func(c *Config) { c.MemoryLimit = -1 }, nil, host,
			gcSettings{Percent: 400, PercentFrom: "config", Limit: math.MaxInt64, LimitFrom: "none"}, 400},
		{"off with a limit", func(c *Config) { c.GCPercent, c.MemoryLimit = -1, gib }, nil, host,
			gcSettings{Percent: -1, PercentFrom: "config", Limit: gib, LimitFrom: "config"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keepGC(t)
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			got := tuneGC(cfg, func(k string) string { return tt.env[k] }, tt.host)
			if got != tt.want {
				t.Errorf("tuneGC = %+v, want %+v", got, tt.want)
			}
			if p := debug.SetGCPercent(100); p != tt.wantGC {
				t.Errorf("the process's GC percent is %d, want %d", p, tt.wantGC)
			}
			if l := debug.SetMemoryLimit(-1); l != tt.want.Limit {
				t.Errorf("the process's memory limit is %d, want %d", l, tt.want.Limit)
			}
		})
	}
}

// TestTuneGCEnvironmentWins: GOGC and GOMEMLIMIT, which the runtime read
// at start, are kept and reported, whatever the configuration says.
func TestTuneGCEnvironmentWins(t *testing.T) {
	keepGC(t)
	// Stand in for what the runtime made of GOGC=250 GOMEMLIMIT=3GiB.
	debug.SetGCPercent(250)
	debug.SetMemoryLimit(3 << 30)
	cfg := DefaultConfig()
	cfg.GCPercent, cfg.MemoryLimit = 800, 1<<30
	env := map[string]string{"GOGC": "250", "GOMEMLIMIT": "3GiB"}
	got := tuneGC(cfg, func(k string) string { return env[k] }, hostMemory)
	want := gcSettings{Percent: 250, PercentFrom: "GOGC", Limit: 3 << 30, LimitFrom: "GOMEMLIMIT"}
	if got != want {
		t.Errorf("tuneGC = %+v, want %+v", got, want)
	}
	if p := debug.SetGCPercent(100); p != 250 {
		t.Errorf("the process's GC percent is %d, want GOGC's 250", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 3<<30 {
		t.Errorf("the process's memory limit is %d, want GOMEMLIMIT's", l)
	}
}
