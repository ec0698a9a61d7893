package analyze

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as a readable text table: a summary line, one row per
// analysis, then each analysis' findings with their severity, rule id,
// the byte offsets they concern and message. It returns the first write
// error.
func WriteTable(w io.Writer, r *Report) error {
	detected := ""
	if r.LanguageDetected {
		detected = " (detected)"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Language: %s%s\tWords: %d\tOverall: %d/100 %s\tAnalyzer: %s\n\n", r.Language, detected, r.Words, r.Score, labelShown(r.Label, r.LabelText), r.Version)
	fmt.Fprintln(tw, "ANALYSIS\tSCORE\tLABEL\tFINDINGS")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", res.Type, res.Score, labelShown(res.Label, res.LabelText), countProblems(res))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range r.Results {
		if len(res.Findings) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "\n%s — %d/100 %s\n", res.Type, res.Score, labelShown(res.Label, res.LabelText)); err != nil {
			return err
		}
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range res.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", severityMark(f.Severity), f.Rule, spansText(f.Spans), oneLine(f.Message))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// countProblems counts the warnings and problems of a result.
func countProblems(res Result) int {
	n := 0
	for _, f := range res.Findings {
		if f.Severity == SeverityWarning || f.Severity == SeverityProblem {
			n++
		}
	}
	return n
}

func severityMark(s Severity) string {
	switch s {
	case SeverityGood:
		return "ok"
	case SeverityWarning:
		return "WARN"
	case SeverityProblem:
		return "FAIL"
	}
	return "info"
}

// oneLine keeps a table row on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// spansText shows where a finding is, as "@start-end" with a count of the
// further spans.
func spansText(spans []Span) string {
	if len(spans) == 0 {
		return ""
	}
	s := "@" + strconv.Itoa(spans[0].Start) + "-" + strconv.Itoa(spans[0].End)
	if len(spans) > 1 {
		s += " (+" + strconv.Itoa(len(spans)-1) + " more)"
	}
	return s
}

// labelShown is the label text in the report's locale, or the label.
func labelShown(label, text string) string {
	if text != "" {
		return text
	}
	return label
}
