//go:build unix

package analyze

import "syscall"

// processCPU returns the CPU time the process has used, user and system,
// in nanoseconds. Benchmarks report it per operation so their figure holds
// on a machine shared with other work, where wall-clock time per operation
// swings with the load.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
