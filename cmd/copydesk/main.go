// Command copydesk is the Copydesk server and its tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	os.Exit(exitCode(err, os.Stderr))
}

// UsageError is a command-line mistake; Hint says what to do instead.
type UsageError struct {
	Message string
	Hint    string
}

func (e *UsageError) Error() string { return e.Message }

func exitCode(err error, stderr io.Writer) int {
	var ue *UsageError
	var ce *ConfigError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "copydesk:", ue.Message)
		if ue.Hint != "" {
			fmt.Fprintln(stderr, ue.Hint)
		}
		return 2
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "copydesk:", ce.Error())
		return 2
	default:
		fmt.Fprintln(stderr, "copydesk:", cliMessage(err))
		return 1
	}
}

// cliMessage is err for a person at a terminal: a domain error inside it
// reads as its message, not as "copydesk error: code=… message=…".
func cliMessage(err error) string {
	msg := err.Error()
	var de *copydesk.Error
	if errors.As(err, &de) {
		msg = strings.Replace(msg, de.Error(), de.Message, 1)
	}
	return msg
}

const usage = `Copydesk: AI content engine.

Usage:
  copydesk serve [flags]          run the HTTP API (embedded SQLite by default)
  copydesk analyze [flags] FILE…  analyze files offline ("-" reads stdin)
  copydesk migrate [flags]        apply database migrations and exit
  copydesk admin SUBCOMMAND       create customers, users, API keys and budgets in the store
  copydesk models [flags]         print the model catalogue: every model by name, prices, limits
  copydesk loadgen [flags]        send analysis load to a running server and report latency
  copydesk bench [flags]          measure the hot paths against an instant upstream and a bare server (issue #12's table)
  copydesk fake-provider [flags]  run the simulated model provider (OpenAI, Anthropic and Gemini wire formats)
  copydesk healthcheck [flags]    exit 0 if the server on this machine answers /healthz (container HEALTHCHECK)
  copydesk version                print the version

Run "copydesk COMMAND -h" for a command's flags.`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return &UsageError{Message: "no command given"}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr, getenv)
	case "analyze":
		return runAnalyze(args[1:], stdin, stdout, stderr, getenv)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr, getenv)
	case "admin":
		return runAdmin(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "loadgen":
		return runLoadgen(ctx, args[1:], stdout, stderr, getenv)
	case "models":
		return runModels(ctx, args[1:], stdout, stderr, getenv)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr, getenv)
	case "fake-provider":
		return runFakeProvider(ctx, args[1:], stderr)
	case benchProxyCommand: // started by copydesk bench; not listed
		return runBenchProxy(ctx, args[1:], stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "copydesk", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return &UsageError{Message: fmt.Sprintf("unknown command %q", args[0]), Hint: usage}
}
