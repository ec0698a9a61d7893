package analyze

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/corpus")

// corpusInputs are the realistic pages of testdata/corpus with the
// keyphrase an editor would set for them.
var corpusInputs = map[string]Input{
	"en-cold-brew.html": {Keyphrase: "cold brew coffee", Synonyms: []string{"cold brew"}},
	"nl-fietsen.html":   {Keyphrase: "fiets onderhouden"},
	"en-landing.md":     {Keyphrase: "project management software", Title: "Project management software for small teams | Example", MetaDescription: "Plan work, share files and track deadlines in one place. Project management software for teams of five to fifty. Free for 30 days.", Slug: "project-management-software"},
	"nl-recept.md":      {Keyphrase: "tomatensoep", Slug: "snelle-tomatensoep"},
}

// MustCorpus reads a corpus page and returns its Input.
func MustCorpus(tb testing.TB, name string) Input {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
	if err != nil {
		tb.Fatal(err)
	}
	in := corpusInputs[name]
	in.Content = string(b)
	in.Format = FormatMarkdown
	if strings.HasSuffix(name, ".html") {
		in.Format = FormatHTML
	}
	return in
}

// golden is what a golden file holds: the parse summary and the report of
// the analyses this package implements itself.
type golden struct {
	Language        string
	Title           string
	MetaDescription string
	Canonical       string
	Blocks          []string
	Links           []Link
	Images          []Image
	Report          *Report
}

func TestGoldenCorpus(t *testing.T) {
	t.Parallel()
	for name := range corpusInputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := MustCorpus(t, name)
			d := MustParse(t, in)
			checkDoc(t, d)
			in.Types = []Type{TypeReadability, TypeSEO, TypeStructure}
			r, err := Analyze(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range r.Results {
				for _, f := range res.Findings {
					for _, s := range f.Spans {
						if s.Start < 0 || s.Start > s.End || s.End > len(in.Content) {
							t.Fatalf("%s: span %v outside input", f.Rule, s)
						}
					}
				}
			}
			stripColleagueFigures(r)
			got := golden{d.Language, d.Title, d.MetaDescription, d.Canonical, blocksOf(d), d.Links, d.Images, r}
			path := filepath.Join("testdata", "corpus", name+".golden.json")
			if *update {
				b, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenCorpus -update to create it)", err)
			}
			var want golden
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			// Round-trip got through JSON so both sides compare alike.
			b, _ = json.Marshal(got)
			var gotRT golden
			_ = json.Unmarshal(b, &gotRT)
			if diff := cmp.Diff(want, gotRT); diff != "" {
				t.Errorf("golden mismatch (-want +got); run with -update if the change is intended:\n%s", diff)
			}
		})
	}
}

// stripColleagueFigures removes from r what passive-voice and
// transition-word detection decide (their word lists evolve on their own
// and have their own tests), so the goldens pin down parsing, the formulas
// and the other assessments.
func stripColleagueFigures(r *Report) {
	r.Score, r.Label = 0, ""
	for i := range r.Results {
		res := &r.Results[i]
		if res.Type != TypeReadability {
			continue
		}
		res.Score, res.Label = 0, ""
		delete(res.Figures, "passive_pct")
		delete(res.Figures, "transition_pct")
		kept := res.Findings[:0]
		for _, f := range res.Findings {
			if f.Rule != "readability.passive_voice" && f.Rule != "readability.transition_words" {
				kept = append(kept, f)
			}
		}
		res.Findings = kept
	}
}

func TestOverall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		results   []Result
		wantScore int
		wantLabel string
	}{
		{"none", nil, 0, LabelNotApplicable},
		{"one", []Result{{Type: TypeSEO, Score: 80, Label: LabelGood}}, 80, LabelGood},
		// (30*90 + 25*40) / 55 = 3700/55 = 67.27 → 67
		{"weighted", []Result{{Type: TypeReadability, Score: 90}, {Type: TypeSEO, Score: 40}}, 67, LabelOK},
		// all six: (30*100+25*0+15*50+20*50+5*100+5*0)/100 = (3000+750+1000+500)/100 = 52.5 → 53
		{"all six", []Result{{Type: TypeReadability, Score: 100}, {Type: TypeSEO, Score: 0}, {Type: TypeStructure, Score: 50}, {Type: TypeGrammar, Score: 50}, {Type: TypeTone, Score: 100}, {Type: TypeSentiment, Score: 0}}, 53, LabelOK},
		{"not applicable skipped", []Result{{Type: TypeReadability, Score: 30}, {Type: TypeSEO, Label: LabelNotApplicable}}, 30, LabelPoor},
		{"boundary 70 is ok", []Result{{Type: TypeSEO, Score: 70}}, 70, LabelOK},
		{"boundary 71 is good", []Result{{Type: TypeSEO, Score: 71}}, 71, LabelGood},
		{"boundary 41 is ok", []Result{{Type: TypeSEO, Score: 41}}, 41, LabelOK},
		{"boundary 40 is poor", []Result{{Type: TypeSEO, Score: 40}}, 40, LabelPoor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			score, label := Overall(tt.results)
			if score != tt.wantScore || label != tt.wantLabel {
				t.Errorf("got %d %q, want %d %q", score, label, tt.wantScore, tt.wantLabel)
			}
		})
	}
}

func TestAssessmentScore(t *testing.T) {
	t.Parallel()
	a := newAssessment()
	a.add("x.a", 9, "", nil)
	a.add("x.b", 6, "", nil)
	a.add("x.c", 3, "", nil)
	a.info("x.d", "", nil)
	// (9+6+3)/(3*9) = 66.7 %
	r := a.result(TypeReadability)
	if r.Score != 67 || r.Label != LabelOK {
		t.Errorf("got %d %q, want 67 ok", r.Score, r.Label)
	}
	sev := []Severity{r.Findings[0].Severity, r.Findings[1].Severity, r.Findings[2].Severity, r.Findings[3].Severity}
	if diff := cmp.Diff([]Severity{SeverityGood, SeverityWarning, SeverityProblem, SeverityInfo}, sev); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
	// Heavy penalties can push the score below zero; it is clamped.
	b := newAssessment()
	b.add("x.a", -50, "", nil)
	b.add("x.b", 9, "", nil)
	if r := b.result(TypeSEO); r.Score != 0 || r.Label != LabelPoor {
		t.Errorf("got %d %q, want 0 poor", r.Score, r.Label)
	}
	if r := newAssessment().result(TypeSEO); r.Label != LabelNotApplicable {
		t.Errorf("got label %q for no assessments, want not_applicable", r.Label)
	}
}

func TestAnalyzeAll(t *testing.T) {
	t.Parallel()
	in := MustCorpus(t, "en-cold-brew.html")
	r, err := Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 6 {
		t.Fatalf("got %d results, want 6", len(r.Results))
	}
	for i, res := range r.Results {
		if res.Type != AllTypes[i] {
			t.Errorf("result %d: got type %q, want %q", i, res.Type, AllTypes[i])
		}
		for _, f := range res.Findings {
			if f.Source != "local" || f.Rule == "" || f.Message == "" {
				t.Errorf("%s: finding %+v lacks source, rule or message", res.Type, f)
			}
		}
	}
	if r.Language != "en" || !r.LanguageDetected || r.Version != Version || r.Words < 900 {
		t.Errorf("got language %q detected %v version %q words %d", r.Language, r.LanguageDetected, r.Version, r.Words)
	}
	if s, l := Overall(r.Results); s != r.Score || l != r.Label {
		t.Errorf("report score %d %q differs from Overall %d %q", r.Score, r.Label, s, l)
	}
}

func TestAnalyzeOptions(t *testing.T) {
	t.Parallel()
	content := "De kat zit op de mat. Het is een mooie dag en de zon schijnt."
	tests := []struct {
		lang         string
		types        []Type
		wantLang     string
		wantDetected bool
		wantTypes    []Type
	}{
		{"", nil, "nl", true, AllTypes},
		{" Auto ", []Type{TypeSEO}, "nl", true, []Type{TypeSEO}},
		{"en", []Type{TypeStructure, TypeReadability, TypeStructure}, "en", false, []Type{TypeStructure, TypeReadability}},
	}
	for _, tt := range tests {
		r, err := Analyze(Input{Content: content, Language: tt.lang, Types: tt.types})
		if err != nil {
			t.Fatal(err)
		}
		var got []Type
		for _, res := range r.Results {
			got = append(got, res.Type)
		}
		if r.Language != tt.wantLang || r.LanguageDetected != tt.wantDetected {
			t.Errorf("language %q: got %q detected %v, want %q detected %v", tt.lang, r.Language, r.LanguageDetected, tt.wantLang, tt.wantDetected)
		}
		if diff := cmp.Diff(tt.wantTypes, got); diff != "" {
			t.Errorf("types (-want +got):\n%s", diff)
		}
	}
	if _, err := Analyze(Input{Content: "x", Language: "klingon"}); err == nil {
		t.Error("got no error for an unsupported language")
	}
	if r := Run(MustParse(t, Input{Content: "x"}), "spelling"); r.Label != LabelNotApplicable {
		t.Errorf("Run of an unknown type: got label %q, want not_applicable", r.Label)
	}
}

func TestWeights(t *testing.T) {
	t.Parallel()
	sum := 0
	for _, typ := range AllTypes {
		if Weight(typ) <= 0 {
			t.Errorf("%s has weight %d, want > 0", typ, Weight(typ))
		}
		sum += Weight(typ)
	}
	if sum != 100 {
		t.Errorf("weights sum to %d, want 100", sum)
	}
	if Weight("spelling") != 0 {
		t.Errorf("unknown type has weight %d, want 0", Weight("spelling"))
	}
}
