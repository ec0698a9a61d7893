// Command copydesk-analyze is "copydesk analyze" on its own: the same flags
// and output, in a binary that links only the analysis engine. A Go program
// initialises every package it links before main runs; the copydesk binary
// links the server (SDKs, SQLite, PostgreSQL, Redis, metrics, sanitizers),
// whose start-up costs more than the whole analysis. Scripts and editors
// that run one analysis per file use this binary.
package main

import (
	"os"

	"github.com/copydesk/copydesk/internal/analyzecli"
)

func main() {
	err := analyzecli.Run("copydesk-analyze", os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	os.Exit(analyzecli.ExitCode(err, os.Stderr, "copydesk-analyze"))
}
