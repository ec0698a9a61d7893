package main

import (
	"errors"
	"io"

	"github.com/copydesk/copydesk/internal/analyzecli"
)

// runAnalyze analyzes files offline, without a server (internal/analyzecli;
// cmd/copydesk-analyze is the same command in a binary that starts without
// the server's packages).
func runAnalyze(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	err := analyzecli.Run("copydesk analyze", args, stdin, stdout, stderr, getenv)
	var ue *analyzecli.UsageError
	if errors.As(err, &ue) {
		return &UsageError{Message: ue.Message, Hint: ue.Hint}
	}
	return err
}
