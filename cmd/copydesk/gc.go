package main

import (
	"log/slog"
	"math"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memoryShare is the part of the container's (or machine's) memory the
// automatic memory_limit takes, as automemlimit and Go's GC guide advise:
// the rest is the runtime's and the kernel's slack.
const memoryShare = 0.9

// gcSettings is what tuneGC set, and where each value came from.
type gcSettings struct {
	Percent     int    // -1: off
	PercentFrom string // "GOGC" or "config"
	Limit       int64  // bytes; math.MaxInt64: none
	LimitFrom   string // "GOMEMLIMIT", "config", "cgroup", "machine" or "none"
}

// memoryLimits are the sources of the automatic memory limit; tests
// replace them.
type memoryLimits struct {
	cgroup, machine func() (uint64, error)
}

var hostMemory = memoryLimits{cgroup: memlimit.FromCgroup, machine: memlimit.FromSystem}

// tuneGC applies gc_percent and memory_limit to this process. GOGC and
// GOMEMLIMIT in the environment win, as Go documents them: the runtime
// has already applied them. Only the server calls it; the CLI's short
// commands keep Go's defaults.
func tuneGC(cfg Config, getenv func(string) string, host memoryLimits) gcSettings {
	var s gcSettings
	if getenv("GOGC") != "" {
		s.Percent, s.PercentFrom = debug.SetGCPercent(100), "GOGC"
		debug.SetGCPercent(s.Percent)
	} else {
		s.Percent, s.PercentFrom = cfg.GCPercent, "config"
		debug.SetGCPercent(cfg.GCPercent)
	}
	switch {
	case getenv("GOMEMLIMIT") != "":
		s.Limit, s.LimitFrom = debug.SetMemoryLimit(-1), "GOMEMLIMIT"
		return s
	case cfg.MemoryLimit > 0:
		s.Limit, s.LimitFrom = cfg.MemoryLimit, "config"
	case cfg.MemoryLimit < 0:
		s.Limit, s.LimitFrom = math.MaxInt64, "none"
	default:
		s.Limit, s.LimitFrom = autoMemoryLimit(host)
	}
	debug.SetMemoryLimit(s.Limit)
	return s
}

// autoMemoryLimit is memoryShare of the cgroup's memory limit or, without
// one, of the machine's memory; none when neither is known.
func autoMemoryLimit(host memoryLimits) (int64, string) {
	from := "cgroup"
	n, err := host.cgroup()
	if err != nil || n == 0 {
		from = "machine"
		if n, err = host.machine(); err != nil || n == 0 {
			return math.MaxInt64, "none"
		}
	}
	limit := float64(n) * memoryShare
	if limit >= math.MaxInt64 {
		return math.MaxInt64, "none"
	}
	return int64(limit), from
}

// logValue is the start log's account of the settings.
func (s gcSettings) logValue() slog.Value {
	limit := slog.Int64("memory_limit", s.Limit)
	if s.Limit == math.MaxInt64 {
		limit = slog.String("memory_limit", "none")
	}
	return slog.GroupValue(
		slog.Int("gc_percent", s.Percent), slog.String("gc_percent_from", s.PercentFrom),
		limit, slog.String("memory_limit_from", s.LimitFrom))
}
