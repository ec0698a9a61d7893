package analyze

import (
	"errors"
	"strings"
	"testing"
)

func TestWriteTable(t *testing.T) {
	t.Parallel()
	r := &Report{
		Language: "nl", LanguageDetected: true, Words: 321, Score: 64, Label: LabelOK, Version: Version,
		Results: []Result{
			{Type: TypeReadability, Score: 80, Label: LabelGood, Findings: []Finding{
				{Rule: "readability.sentence_length", Severity: SeverityWarning, Message: "Split the\nhighlighted sentences.", Spans: []Span{{10, 42}, {50, 90}}},
				{Rule: "readability.flesch_reading_ease", Severity: SeverityGood, Message: "Easy to read."},
			}},
			{Type: TypeSEO, Score: 40, Label: LabelPoor, Findings: []Finding{{Rule: "seo.images", Severity: SeverityProblem, Message: "Add an image."}}},
		},
	}
	var sb strings.Builder
	if err := WriteTable(&sb, r); err != nil {
		t.Fatal(err)
	}
	got := sb.String()
	for _, want := range []string{
		"Language: nl (detected)", "Words: 321", "Overall: 64/100 ok", "Analyzer: " + Version,
		"readability  80     good   1", "seo          40     poor   1",
		"WARN  readability.sentence_length", "Split the highlighted sentences.", "@10-42 (+1 more)",
		"FAIL  seo.images",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q; got:\n%s", want, got)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTableError(t *testing.T) {
	t.Parallel()
	if err := WriteTable(failWriter{}, &Report{}); err == nil {
		t.Error("got nil error from a failing writer, want one")
	}
}
