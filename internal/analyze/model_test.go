package analyze

import "testing"

func TestMergeModelFindings(t *testing.T) {
	t.Parallel()
	problem := Finding{Rule: "model.finding", Severity: SeverityProblem, Message: "d/t", Source: "gpt-4o-mini"}
	warning := Finding{Rule: "model.finding", Severity: SeverityWarning, Message: "comma", Source: "gpt-4o-mini"}
	info := Finding{Rule: "model.finding", Severity: SeverityInfo, Message: "note", Source: "gpt-4o-mini"}
	tests := []struct {
		name      string
		res       Result
		words     int
		findings  []Finding
		wantScore int
		wantLabel string
	}{
		{"grammar problem in a short text", Result{Type: TypeGrammar, Score: 100, Label: "good"}, 40, []Finding{problem}, 80, "good"},
		{"grammar relabelled", Result{Type: TypeGrammar, Score: 85, Label: "good"}, 50, []Finding{problem, warning}, 55, "fair"},
		{"per 100 words", Result{Type: TypeGrammar, Score: 100, Label: "good"}, 400, []Finding{problem, problem}, 90, "good"},
		{"floor at zero", Result{Type: TypeGrammar, Score: 30, Label: "poor"}, 10, []Finding{problem, problem}, 0, "poor"},
		{"info costs nothing", Result{Type: TypeGrammar, Score: 90, Label: "good"}, 10, []Finding{info}, 90, "good"},
		{"tone keeps its label", Result{Type: TypeTone, Score: 100, Label: "professional"}, 100, []Finding{warning}, 90, "professional"},
		{"not applicable stays unscored", Result{Type: TypeGrammar, Score: 0, Label: LabelNotApplicable}, 0, []Finding{problem}, 0, LabelNotApplicable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MergeModelFindings(tc.res, tc.words, "en", tc.findings)
			if got.Score != tc.wantScore || got.Label != tc.wantLabel {
				t.Errorf("got score %d label %q, want %d %q", got.Score, got.Label, tc.wantScore, tc.wantLabel)
			}
			if len(got.Findings) != len(tc.res.Findings)+len(tc.findings) {
				t.Errorf("got %d findings, want %d", len(got.Findings), len(tc.res.Findings)+len(tc.findings))
			}
			if got.Figures["model_findings"] != float64(len(tc.findings)) {
				t.Errorf("model_findings %v, want %d", got.Figures["model_findings"], len(tc.findings))
			}
			if len(tc.res.Findings) != 0 || tc.res.Figures != nil {
				t.Errorf("the input result was changed")
			}
		})
	}
}

func TestReportMergeModelFindings(t *testing.T) {
	t.Parallel()
	r, err := Analyze(Input{Content: "Hij vind het brood lekker. Wij bakken elke ochtend vers brood.", Language: "nl"})
	if err != nil {
		t.Fatal(err)
	}
	before := r.Score
	var grammarBefore int
	for _, res := range r.Results {
		if res.Type == TypeGrammar {
			grammarBefore = res.Score
		}
	}
	r.MergeModelFindings(TypeGrammar, []Finding{{Rule: "model.finding", Severity: SeverityProblem, Message: "hij vindt", Source: "m"}})
	for _, res := range r.Results {
		if res.Type == TypeGrammar && res.Score != max(0, grammarBefore-20) {
			t.Errorf("grammar score %d, want %d", res.Score, max(0, grammarBefore-20))
		}
	}
	if want, _ := Overall(r.Results); r.Score != want || r.Score >= before {
		t.Errorf("overall %d (before %d), want the recomputed %d, lower than before", r.Score, before, want)
	}
}
