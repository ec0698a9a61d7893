package loadtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// ProcStat is what Copydesk's measurements read of /proc/<pid>/stat. CPU
// times are in clock ticks (see ClockTicks).
type ProcStat struct {
	PID  int
	PPID int
	// UTime and STime are the process's user and system CPU time.
	UTime, STime uint64
	// CUTime and CSTime are the CPU time of its children it waited for.
	CUTime, CSTime uint64
}

// ParseStat parses the contents of /proc/<pid>/stat. The command name is
// skipped by its last closing parenthesis, so names with spaces or
// parentheses do not shift the fields.
func ParseStat(b []byte) (ProcStat, error) {
	var st ProcStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return st, fmt.Errorf("stat: no command name in parentheses")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, fmt.Errorf("stat: pid: %w", err)
	}
	st.PID = pid
	// Fields after the name: state (3), ppid (4) … utime (14), stime (15),
	// cutime (16), cstime (17), counted from 1 as in proc(5).
	f := bytes.Fields(b[end+1:])
	if len(f) < 15 {
		return st, fmt.Errorf("stat: %d fields after the command name, want at least 15", len(f))
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return st, fmt.Errorf("stat: ppid: %w", err)
	}
	st.PPID = ppid
	for i, dst := range []*uint64{&st.UTime, &st.STime} {
		if *dst, err = strconv.ParseUint(string(f[11+i]), 10, 64); err != nil {
			return st, fmt.Errorf("stat: field %d: %w", 14+i, err)
		}
	}
	// cutime and cstime are signed in proc(5) (long); negative values do
	// not occur in practice.
	for i, dst := range []*uint64{&st.CUTime, &st.CSTime} {
		v, err := strconv.ParseInt(string(f[13+i]), 10, 64)
		if err != nil {
			return st, fmt.Errorf("stat: field %d: %w", 16+i, err)
		}
		*dst = uint64(max(v, 0))
	}
	return st, nil
}

// ReadStat reads and parses /proc/<pid>/stat.
func ReadStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, err
	}
	return ParseStat(b)
}

// ticksToDuration converts clock ticks to a duration.
func ticksToDuration(ticks uint64) time.Duration {
	hz := ClockTicks()
	return time.Duration(ticks/hz)*time.Second + time.Duration(ticks%hz)*time.Second/time.Duration(hz)
}

// ReadCPU returns the CPU time (user + system) process pid has used so far.
// Its resolution is one clock tick (10 ms on Linux), so measure phases of
// seconds.
func ReadCPU(pid int) (time.Duration, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return 0, err
	}
	return ticksToDuration(st.UTime + st.STime), nil
}

// ReadTreeCPU returns the CPU time of process pid, of its living direct
// children, and of the children it has waited for: for PostgreSQL's
// postmaster, the whole server with its backends. A child that exits
// between two readings moves its time from the children's sum into the
// parent's waited-for time, so differences of two readings stay right.
func ReadTreeCPU(pid int) (time.Duration, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return 0, err
	}
	ticks := st.UTime + st.STime + st.CUTime + st.CSTime
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		cs, err := ReadStat(child)
		if err != nil || cs.PPID != pid {
			continue // gone, or not ours
		}
		ticks += cs.UTime + cs.STime
	}
	return ticksToDuration(ticks), nil
}

// atClkTck is the auxiliary vector entry of the clock tick rate.
const atClkTck = 17

var clockTicks = sync.OnceValue(func() uint64 {
	if b, err := os.ReadFile("/proc/self/auxv"); err == nil {
		if hz := parseAuxvClockTicks(b, strconv.IntSize/8); hz > 0 {
			return hz
		}
	}
	return 100
})

// ClockTicks returns the kernel's USER_HZ, the unit of the CPU times in
// /proc/<pid>/stat: AT_CLKTCK from /proc/self/auxv, or 100 (Linux's value on
// every common architecture) when that cannot be read.
func ClockTicks() uint64 { return clockTicks() }

// parseAuxvClockTicks returns AT_CLKTCK from an auxiliary vector of
// word-sized (4 or 8 byte) native-endian key/value pairs, or 0.
func parseAuxvClockTicks(b []byte, word int) uint64 {
	read := func(p []byte) uint64 {
		if word == 4 {
			return uint64(binary.NativeEndian.Uint32(p))
		}
		return binary.NativeEndian.Uint64(p)
	}
	for i := 0; i+2*word <= len(b); i += 2 * word {
		key, val := read(b[i:]), read(b[i+word:])
		if key == 0 {
			break
		}
		if key == atClkTck {
			return val
		}
	}
	return 0
}

// Memory is what Copydesk's measurements read of /proc/<pid>/status, in
// bytes.
type Memory struct {
	// RSS is the resident set size now (VmRSS).
	RSS int64
	// HWM is the peak resident set size (VmHWM).
	HWM int64
}

// ParseStatus reads VmRSS and VmHWM from the contents of /proc/<pid>/status.
func ParseStatus(b []byte) (Memory, error) {
	var m Memory
	found := 0
	for line := range bytes.Lines(b) {
		var dst *int64
		var rest []byte
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst, rest = &m.RSS, line[len("VmRSS:"):]
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst, rest = &m.HWM, line[len("VmHWM:"):]
		default:
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return m, fmt.Errorf("status: %q is not a size in kB", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return m, fmt.Errorf("status: %q: %w", bytes.TrimSpace(line), err)
		}
		*dst = kb << 10
		found++
	}
	if found != 2 {
		return m, fmt.Errorf("status: VmRSS or VmHWM missing (a kernel thread or a zombie has none)")
	}
	return m, nil
}

// ReadMemory reads and parses /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Memory{}, err
	}
	return ParseStatus(b)
}
