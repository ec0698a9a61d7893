package analyze

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRulesOnPages runs grammar, tone, sentiment and passive-voice
// detection on the pages in testdata/rules and compares every finding (rule
// and span text) and every passive sentence ("passive" and the sentence), in
// order of position, with the hand-checked list in the page's .want file. Pages
// with errors check that each error is found; clean pages check that the
// rules raise nothing on realistic text.
func TestRulesOnPages(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob(filepath.Join("testdata", "rules", "*.want"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no .want files in testdata/rules: %v", err)
	}
	for _, want := range pages {
		page := strings.TrimSuffix(want, ".want")
		t.Run(filepath.Base(page), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			format := FormatText
			switch filepath.Ext(page) {
			case ".md":
				format = FormatMarkdown
			case ".html":
				format = FormatHTML
			}
			d := mustRulesDoc(t, filepath.Base(page)[:2], format, string(src))
			var got []string
			type hit struct {
				at   int
				line string
			}
			var hits []hit
			for _, r := range []Result{analyzeGrammar(d), analyzeTone(d), analyzeSentiment(d)} {
				checkSpans(t, d, r)
				for _, f := range r.Findings {
					for _, sp := range f.Spans {
						hits = append(hits, hit{sp.Start, f.Rule + "\t" + d.Source[sp.Start:sp.End]})
					}
				}
			}
			for bi := range d.Blocks {
				for si := range d.Blocks[bi].Sentences {
					s := &d.Blocks[bi].Sentences[si]
					if passiveVoice(d.Language, s) {
						hits = append(hits, hit{s.Start, "passive\t" + s.Text})
					}
				}
			}
			sort.SliceStable(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
			for _, h := range hits {
				got = append(got, h.line)
			}
			if diff := cmp.Diff(mustWantLines(t, want), got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// mustWantLines reads a .want file: one "rule<TAB>span text" per line, in
// order of position; lines starting with "#" are comments.
func mustWantLines(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
