//go:build linux

package main

import (
	"fmt"
	"syscall"
)

// benchSupported is nil where copydesk bench runs: it reads /proc.
func benchSupported() error { return nil }

// benchSysProcAttr makes the started server receive SIGTERM when the bench
// dies, so that no server outlives an interrupted run.
func benchSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// raiseFileLimit raises the soft limit of open files to at least n (up to
// the hard limit), for this process and the server it starts.
func raiseFileLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	if want := min(n, lim.Max); want > lim.Cur {
		lim.Cur = want
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return err
		}
	}
	if lim.Cur < n {
		return fmt.Errorf("the open file limit is %d (hard limit), below the %d this run may need (raise it with ulimit -Hn)", lim.Max, n)
	}
	return nil
}
