//go:build !linux

package main

import (
	"errors"
	"syscall"
)

// benchSupported says why copydesk bench does not run here: it reads the
// server's CPU time and memory from /proc.
func benchSupported() error {
	return errors.New("copydesk bench reads /proc/<pid>/stat and runs on Linux only")
}

func benchSysProcAttr() *syscall.SysProcAttr { return nil }

func raiseFileLimit(uint64) error { return nil }
