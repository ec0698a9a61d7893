// Package analyzecli is the "analyze" command: it runs the local analysis
// engine on files or stdin and prints a table or JSON. It imports only the
// engine and the standard library, so that a binary built around it
// (cmd/copydesk-analyze) starts without initialising any server package.
package analyzecli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// UsageError is a command-line mistake; Hint says what to do instead.
type UsageError struct {
	Message string
	Hint    string
}

func (e *UsageError) Error() string { return e.Message }

// ExitCode prints err for a person and returns the process exit code:
// 0 for success and -h, 2 for usage errors, 1 otherwise.
func ExitCode(err error, stderr io.Writer, prog string) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, prog+":", ue.Message)
		if ue.Hint != "" {
			fmt.Fprintln(stderr, ue.Hint)
		}
		return 2
	}
	fmt.Fprintln(stderr, prog+":", err)
	return 1
}

// errorText is the message of a domain error, or the error's text.
func errorText(err error) string {
	var e *copydesk.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Run analyzes files offline, without a server: the "analyze" command of
// the copydesk binary and of copydesk-analyze. prog is the command as the
// usage line shows it ("copydesk analyze"). It returns a *UsageError for
// command-line mistakes (and empty input, which the API rejects with 400
// too), flag.ErrHelp for -h, and other errors for unreadable files or
// content the engine rejects.
func Run(prog string, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "auto", "language (nl, en, de, fr, es, it, pt) or auto")
	keyphrase := fs.String("keyphrase", "", "focus keyphrase for the SEO analysis")
	title := fs.String("title", "", "page title (overrides an HTML <title>)")
	format := fs.String("format", "", "text, markdown or html (default: from the file extension)")
	types := fs.String("types", "", "comma-separated analyses (default: all six)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	locale := fs.String("locale", "", "language of the messages (nl, en, de, fr, es, it, pt; default: from LC_ALL, LC_MESSAGES or LANG, else en)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: "+prog+" [flags] FILE… (\"-\" reads stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &UsageError{Message: "analyze needs at least one file", Hint: `give a path, or "-" to read stdin`}
	}
	var typeList []analyze.Type
	if *types != "" {
		for _, t := range strings.Split(*types, ",") {
			typeList = append(typeList, analyze.Type(strings.TrimSpace(t)))
		}
	}
	if *locale == "" {
		*locale = localeFromEnv(getenv)
	}
	var reports []*analyze.Report
	for _, name := range fs.Args() {
		content, err := readInput(name, stdin)
		if err != nil {
			return err
		}
		if strings.TrimSpace(content) == "" {
			// As the API answers 400 for empty content: a usage error, exit 2.
			return &UsageError{Message: fmt.Sprintf("%s: content is empty", displayName(name)), Hint: "give a file with text to analyze"}
		}
		in := analyze.Input{
			Content: content, Format: analyze.Format(*format), Language: *lang,
			Keyphrase: *keyphrase, Title: *title, Types: typeList, Locale: *locale,
		}
		if in.Format == "" {
			in.Format = formatOf(name, content)
		}
		r, err := analyze.Analyze(in)
		if err != nil {
			return fmt.Errorf("%s: %s", displayName(name), errorText(err))
		}
		if *asJSON {
			reports = append(reports, r)
			continue
		}
		if fs.NArg() > 1 {
			fmt.Fprintf(stdout, "== %s\n", name)
		}
		if err := analyze.WriteTable(stdout, r); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if len(reports) == 1 {
			return enc.Encode(reports[0])
		}
		return enc.Encode(reports)
	}
	return nil
}

func readInput(name string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 64<<20))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return string(b), nil
}

// formatOf guesses the format from the file name, or from the content for stdin.
func formatOf(name, content string) analyze.Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".html", ".htm":
		return analyze.FormatHTML
	case ".md", ".markdown":
		return analyze.FormatMarkdown
	case ".txt":
		return analyze.FormatText
	}
	if strings.HasPrefix(strings.TrimSpace(content), "<") {
		return analyze.FormatHTML
	}
	return analyze.FormatText
}

// localeFromEnv is the message language the POSIX locale variables ask
// for ("nl_NL.UTF-8" gives nl), or "" when none names a supported one.
func localeFromEnv(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" || v == "C" || v == "POSIX" {
			continue
		}
		if l := analyze.ResolveLocale(v); l != "en" || strings.HasPrefix(strings.ToLower(v), "en") {
			return l
		}
		return ""
	}
	return ""
}

func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}
