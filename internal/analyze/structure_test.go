package analyze

import (
	"strings"
	"testing"
)

func TestStructureHeadings(t *testing.T) {
	t.Parallel()
	intro := "This introduction tells the reader in a couple of sentences what the page is about and why it matters.\n\n"
	tests := []struct {
		name     string
		md       string
		rule     string
		severity Severity
		spans    []string // the input at the finding's spans
	}{
		{"skipped level", "# Title\n\n" + intro + "## Two\n\nText.\n\n#### Four\n\nText.", "structure.skipped_heading_level", SeverityProblem, []string{"Four"}},
		{"no gaps", "# Title\n\n" + intro + "## Two\n\nText.\n\n### Three\n\nText.", "structure.skipped_heading_level", SeverityGood, nil},
		{"missing h1", intro + "## Two\n\nText.", "structure.missing_h1", SeverityWarning, nil},
		{"several h1", "# One\n\n" + intro + "# Two\n\nText.", "structure.multiple_h1", SeverityProblem, []string{"One", "Two"}},
		{"empty section", "# T\n\n" + intro + "## Empty\n\n## Full\n\nText here.", "structure.empty_section", SeverityWarning, []string{"Empty"}},
		{"introduction", "# T\n\n" + intro + "## Two\n\nText.", "structure.introduction", SeverityGood, []string{strings.TrimSpace(intro)}},
		{"short introduction", "# T\n\nHi there.\n\n## Two\n\nText.", "structure.introduction", SeverityWarning, []string{"Hi there."}},
		{"no introduction", "## Two\n\nText.", "structure.introduction", SeverityProblem, []string{"Two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := MustParse(t, Input{Content: tt.md, Format: FormatMarkdown, Language: "en"})
			f := findingOf(t, Run(d, TypeStructure), tt.rule)
			if f.Severity != tt.severity {
				t.Errorf("got %s (%s), want %s", f.Severity, f.Message, tt.severity)
			}
			var got []string
			for _, s := range f.Spans {
				got = append(got, tt.md[s.Start:s.End])
			}
			if strings.Join(got, "|") != strings.Join(tt.spans, "|") {
				t.Errorf("got spans %q, want %q", got, tt.spans)
			}
		})
	}
}

func TestStructureConclusionListsSections(t *testing.T) {
	t.Parallel()
	para := "A paragraph of ordinary length that says something useful about the topic at hand for readers."
	t.Run("conclusion heading", func(t *testing.T) {
		t.Parallel()
		d := MustParse(t, Input{Content: "# T\n\n" + para + "\n\n## Part\n\n" + para + "\n\n## Conclusion\n\n- done", Format: FormatMarkdown, Language: "en"})
		if f := findingOf(t, Run(d, TypeStructure), "structure.conclusion"); f.Severity != SeverityGood {
			t.Errorf("got %s, want good", f.Severity)
		}
	})
	t.Run("ends in a list", func(t *testing.T) {
		t.Parallel()
		d := MustParse(t, Input{Content: "# T\n\n" + para + "\n\n## Part\n\n" + para + "\n\n## More\n\n- a\n- b", Format: FormatMarkdown, Language: "en"})
		if f := findingOf(t, Run(d, TypeStructure), "structure.conclusion"); f.Severity != SeverityWarning {
			t.Errorf("got %s, want warning", f.Severity)
		}
	})
	t.Run("no list in a long text", func(t *testing.T) {
		t.Parallel()
		d := MustParse(t, Input{Content: textWith(320, 0), Language: "en"})
		r := Run(d, TypeStructure)
		if f := findingOf(t, r, "structure.lists"); f.Severity != SeverityWarning {
			t.Errorf("got %s, want warning", f.Severity)
		}
		if hasFinding(r, "structure.missing_h1") {
			t.Error("plain text was checked for headings")
		}
		// 32 sentences of exactly ten words: monotonous.
		if f := findingOf(t, r, "structure.sentence_variety"); f.Severity != SeverityWarning {
			t.Errorf("got %s, want warning", f.Severity)
		}
	})
	t.Run("long section", func(t *testing.T) {
		t.Parallel()
		src := "# T\n\n" + textWith(360, 0) + "\n\n## Next\n\n" + para
		d := MustParse(t, Input{Content: src, Format: FormatMarkdown, Language: "en"})
		r := Run(d, TypeStructure)
		f := findingOf(t, r, "structure.section_length")
		if f.Severity != SeverityProblem || len(f.Spans) != 1 {
			t.Errorf("got %+v, want one problem (360 > 350 words)", f)
		}
		if r.Figures["longest_section_words"] != 360 {
			t.Errorf("got longest_section_words %v, want 360", r.Figures["longest_section_words"])
		}
	})
}

func TestPercentiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		xs   []int
		p    int
		want float64
	}{
		{nil, 50, 0},
		{[]int{5, 1, 3}, 50, 3},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5},
		{[]int{7}, 90, 7},
	}
	for _, tt := range tests {
		if got := percentile(tt.xs, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %d): got %v, want %v", tt.xs, tt.p, got, tt.want)
		}
	}
	if got := stddev([]int{2, 4, 4, 4, 5, 5, 7, 9}); got != 2 {
		t.Errorf("stddev: got %v, want 2", got)
	}
}
