package loadtest

import (
	"encoding/binary"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// Fields 3 … 17 after the name: state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime, then more.
	tail := " S 41 42 42 0 -1 4194560 5000 0 3 0 1234 567 89 10 20 0 12 0 100 200000 300"
	for _, tt := range []struct {
		name, in string
		want     ProcStat
		wantErr  bool
	}{
		{"plain name", "4242 (copydesk)" + tail, ProcStat{PID: 4242, PPID: 41, UTime: 1234, STime: 567, CUTime: 89, CSTime: 10}, false},
		{"name with spaces and parentheses", "7 (a (b) c))" + tail, ProcStat{PID: 7, PPID: 41, UTime: 1234, STime: 567, CUTime: 89, CSTime: 10}, false},
		{"name with digits like fields", "8 (1 2 3 4 5)" + tail, ProcStat{PID: 8, PPID: 41, UTime: 1234, STime: 567, CUTime: 89, CSTime: 10}, false},
		{"negative cutime reads as 0", "9 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 -1 -2 20", ProcStat{PID: 9, PPID: 1, UTime: 5, STime: 6}, false},
		{"no name", "4242 copydesk S 1", ProcStat{}, true},
		{"too few fields", "4242 (copydesk) S 1 2 3", ProcStat{}, true},
		{"utime not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 6 0 0 20", ProcStat{}, true},
		{"empty", "", ProcStat{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	status := "Name:\tcopydesk\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 2000000 kB\nVmHWM:\t  812340 kB\nVmRSS:\t  51200 kB\nThreads:\t9\n"
	got, err := ParseStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Memory{RSS: 51200 << 10, HWM: 812340 << 10}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{
		"Name:\tkthreadd\nState:\tS\n",        // a kernel thread has no VmRSS
		"VmRSS:\t12 MB\nVmHWM:\t12 kB\n",      // not kB
		"VmRSS:\tlots kB\nVmHWM:\t12 kB\n",    // not a number
		"VmRSS:\t12 kB\n",                     // no VmHWM
		"VmRSS:\t12 kB extra\nVmHWM:\t1 kB\n", // extra field
	} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%q): got no error", bad)
		}
	}
}

func TestParseAuxvClockTicks(t *testing.T) {
	t.Parallel()
	for _, word := range []int{4, 8} {
		var b []byte
		put := func(v uint64) {
			if word == 4 {
				b = binary.NativeEndian.AppendUint32(b, uint32(v))
			} else {
				b = binary.NativeEndian.AppendUint64(b, v)
			}
		}
		put(6) // AT_PAGESZ
		put(4096)
		put(atClkTck)
		put(250)
		put(0) // AT_NULL
		put(0)
		if got := parseAuxvClockTicks(b, word); got != 250 {
			t.Errorf("word %d: got %d, want 250", word, got)
		}
		if got := parseAuxvClockTicks(b[:2*word], word); got != 0 {
			t.Errorf("word %d without AT_CLKTCK: got %d, want 0", word, got)
		}
	}
}

// TestReadOwnProcess reads this process's own /proc files: the parsers
// agree with the running kernel, and CPU time grows with work.
func TestReadOwnProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	pid := os.Getpid()
	st, err := ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != pid || st.PPID != os.Getppid() {
		t.Errorf("got pid %d ppid %d, want %d %d", st.PID, st.PPID, pid, os.Getppid())
	}
	if hz := ClockTicks(); hz < 10 || hz > 10000 {
		t.Errorf("ClockTicks: got %d", hz)
	}
	c0, err := ReadCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least two ticks.
	x := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for i := range 1_000_000 {
			x += i
		}
		if c, _ := ReadCPU(pid); c-c0 >= 20*time.Millisecond {
			break
		}
	}
	c1, err := ReadCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if c1 <= c0 {
		t.Errorf("CPU time did not grow while spinning: %v then %v (%d)", c0, c1, x)
	}
	tree, err := ReadTreeCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if tree < c1 {
		t.Errorf("tree CPU %v is below the process's own %v", tree, c1)
	}
	m, err := ReadMemory(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("got %+v, want RSS > 0 and HWM >= RSS", m)
	}
	if _, err := ReadCPU(1 << 30); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("ReadCPU of a missing process: got %v, want a missing file error", err)
	}
}
