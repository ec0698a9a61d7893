package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
)

// runAnalyze analyzes files offline, without a server.
func runAnalyze(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "auto", "language (nl, en, de, fr, es, it, pt) or auto")
	keyphrase := fs.String("keyphrase", "", "focus keyphrase for the SEO analysis")
	title := fs.String("title", "", "page title (overrides an HTML <title>)")
	format := fs.String("format", "", "text, markdown or html (default: from the file extension)")
	types := fs.String("types", "", "comma-separated analyses (default: all six)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: copydesk analyze [flags] FILE… (\"-\" reads stdin)")
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
	var reports []*analyze.Report
	for _, name := range fs.Args() {
		content, err := readInput(name, stdin)
		if err != nil {
			return err
		}
		in := analyze.Input{
			Content: content, Format: analyze.Format(*format), Language: *lang,
			Keyphrase: *keyphrase, Title: *title, Types: typeList,
		}
		if in.Format == "" {
			in.Format = formatOf(name, content)
		}
		r, err := analyze.Analyze(in)
		if err != nil {
			return fmt.Errorf("%s: %s", name, errorText(err))
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
