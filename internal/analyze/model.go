package analyze

// Model-backed findings (grammar, tone… from a language model) count in the
// scores as local findings do: MergeModelFindings adds them to a result and
// lowers its score, and Report.MergeModelFindings does it for one type of a
// report and recomputes the overall score.

// ModelPenaltyPer100Words is the points a result loses per weighted model
// finding per 100 words (a problem weighs 2, a warning 1, info and good
// nothing; texts under 100 words count as 100 words) — the grammar
// analysis's own rule, applied to every analysis a model deepens.
const ModelPenaltyPer100Words = 10

// MergeModelFindings returns res with findings appended and its score
// lowered by ModelPenaltyPer100Words per weighted finding per 100 of words.
// A grammar result is labelled again from its new score (good from 80, fair
// from 50); the labels of the other analyses describe the copy (tone,
// sentiment) or follow their own points and stay. Figures["model_findings"]
// counts the findings merged so far. A not_applicable result gets the
// findings but no score.
func MergeModelFindings(res Result, words int, locale string, findings []Finding) Result {
	out := res
	out.Findings = append(append([]Finding(nil), res.Findings...), findings...)
	out.Figures = make(map[string]float64, len(res.Figures)+1)
	for k, v := range res.Figures {
		out.Figures[k] = v
	}
	out.Figures["model_findings"] = res.Figures["model_findings"] + float64(len(findings))
	if res.Label == LabelNotApplicable {
		return out
	}
	weighted := 0
	for _, f := range findings {
		switch f.Severity {
		case SeverityProblem:
			weighted += 2
		case SeverityWarning:
			weighted++
		}
	}
	if weighted == 0 {
		return out
	}
	per100 := float64(weighted) * 100 / float64(max(words, 100))
	out.Score = ruleClamp(float64(res.Score) - ModelPenaltyPer100Words*per100)
	if res.Type == TypeGrammar {
		out.Label = "poor"
		switch {
		case out.Score >= 80:
			out.Label = "good"
		case out.Score >= 50:
			out.Label = "fair"
		}
		out.LabelText = LabelText(out.Label, locale)
	}
	return out
}

// MergeModelFindings merges findings into the report's result of type t
// (see the function of that name) and recomputes the overall score. A
// report without a result of type t is left as it is.
func (r *Report) MergeModelFindings(t Type, findings []Finding) {
	for i := range r.Results {
		if r.Results[i].Type == t {
			r.Results[i] = MergeModelFindings(r.Results[i], r.Words, r.Locale, findings)
		}
	}
	r.Score, r.Label = Overall(r.Results)
	r.LabelText = LabelText(r.Label, r.Locale)
}
