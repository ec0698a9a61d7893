package analyze

import (
	"math"
	"strconv"
)

// Result labels, from the score as Yoast colours its overall bullet:
// above 70 good, 41 to 70 ok, 40 and below poor.
const (
	LabelGood          = "good"
	LabelOK            = "ok"
	LabelPoor          = "poor"
	LabelNotApplicable = "not_applicable" // nothing to assess (e.g. empty text); left out of the overall score
)

// Weight returns the weight of an analysis in the overall score, in
// percent (0 for an unknown type).
func Weight(t Type) int { return weights[t] }

// weights of the six analyses in the overall score, in percent. Readability
// and SEO carry the most because they are what editors act on; tone and
// sentiment describe the copy more than they grade it.
var weights = map[Type]int{
	TypeReadability: 30,
	TypeSEO:         25,
	TypeStructure:   15,
	TypeGrammar:     20,
	TypeTone:        5,
	TypeSentiment:   5,
}

// Analyze parses in and runs the requested analyses (all six when in.Types
// is empty), then computes the overall score. It returns the errors of
// Parse: EINVALID or EUNPROCESSABLE.
func Analyze(in Input) (*Report, error) {
	d, err := Parse(in)
	if err != nil {
		return nil, err
	}
	return AnalyzeDoc(in, d), nil
}

// AnalyzeDoc is Analyze on d, the document Parse returned for in: for a
// caller that needs the parsed document too and should not parse twice.
// It only reads d.
func AnalyzeDoc(in Input, d *Doc) *Report {
	types := in.Types
	if len(types) == 0 {
		types = AllTypes
	}
	r := &Report{
		Language:         d.Language,
		LanguageDetected: AutoLanguage(in.Language),
		Words:            wordCount(d),
		Version:          Version,
		Locale:           d.Locale,
		Results:          make([]Result, 0, len(types)),
	}
	seen := map[Type]bool{}
	for _, t := range types {
		if seen[t] {
			continue
		}
		seen[t] = true
		r.Results = append(r.Results, Run(d, t))
	}
	r.Score, r.Label = Overall(r.Results)
	r.LabelText = d.loc.labelText(r.Label)
	return r
}

// Run runs one analysis on a parsed document. An unknown type gives a
// result labelled not_applicable (Parse rejects unknown types first).
func Run(d *Doc, t Type) Result {
	var r Result
	switch t {
	case TypeReadability:
		r = analyzeReadability(d)
	case TypeSEO:
		r = analyzeSEO(d)
	case TypeStructure:
		r = analyzeStructure(d)
	case TypeGrammar:
		r = analyzeGrammar(d)
	case TypeTone:
		r = analyzeTone(d)
	case TypeSentiment:
		r = analyzeSentiment(d)
	default:
		return Result{Type: t, Label: LabelNotApplicable, Figures: map[string]float64{}, Findings: []Finding{}}
	}
	r.Type = t
	if r.Figures == nil {
		r.Figures = map[string]float64{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.LabelText = LabelText(r.Label, d.Locale)
	return r
}

// Overall combines results into one score with their Weight, over the results
// that are applicable, and labels it. No applicable result gives 0 and
// not_applicable.
func Overall(results []Result) (score int, label string) {
	sum, total := 0, 0
	for _, r := range results {
		w := weights[r.Type]
		if w == 0 || r.Label == LabelNotApplicable {
			continue
		}
		sum += w * clampScore(r.Score)
		total += w
	}
	if total == 0 {
		return 0, LabelNotApplicable
	}
	score = (sum + total/2) / total
	return score, scoreLabel(score)
}

// scoreLabel labels a 0-100 score.
func scoreLabel(score int) string {
	switch {
	case score > 70:
		return LabelGood
	case score > 40:
		return LabelOK
	}
	return LabelPoor
}

func clampScore(s int) int {
	return max(0, min(100, s))
}

// wordCount counts the words of all non-code blocks.
func wordCount(d *Doc) int {
	n := 0
	for bi := range d.Blocks {
		for si := range d.Blocks[bi].Sentences {
			n += len(d.Blocks[bi].Sentences[si].Words)
		}
	}
	return n
}

// assessment collects the findings of one analysis and scores them as
// Yoast scores its bullets: each assessment gives 0-9 points (negative for
// heavy penalties); ≤4 is red, 5-7 orange, 8 and up green; the score is
// the sum of points over 9 per assessment, as a percentage.
type assessment struct {
	findings []Finding
	points   int
	n        int
	figures  map[string]float64
}

func newAssessment() *assessment {
	return &assessment{figures: map[string]float64{}}
}

// severityOf maps points to a traffic light.
func severityOf(points int) Severity {
	switch {
	case points >= 8:
		return SeverityGood
	case points >= 5:
		return SeverityWarning
	}
	return SeverityProblem
}

// add records a scored assessment.
func (a *assessment) add(rule string, points int, msg string, spans []Span) {
	a.points += points
	a.n++
	a.findings = append(a.findings, Finding{Rule: rule, Severity: severityOf(points), Message: msg, Spans: spans, Source: "local"})
}

// addCheck records a scored check.
func (a *assessment) addCheck(c Check) {
	a.add(c.Finding.Rule, c.Points, c.Finding.Message, c.Finding.Spans)
}

// silent counts an assessment that has nothing to show and gives no
// points (Yoast counts such results in its SEO score).
func (a *assessment) silent() { a.n++ }

// info records an unscored observation.
func (a *assessment) info(rule, msg string, spans []Span) {
	a.findings = append(a.findings, Finding{Rule: rule, Severity: SeverityInfo, Message: msg, Spans: spans, Source: "local"})
}

// result turns the assessment into a Result.
func (a *assessment) result(t Type) Result {
	r := Result{Type: t, Figures: a.figures, Findings: a.findings}
	if a.n == 0 {
		r.Label = LabelNotApplicable
		return r
	}
	r.Score = clampScore(int(math.Round(float64(a.points) * 100 / float64(9*a.n))))
	r.Label = scoreLabel(r.Score)
	return r
}

// round1 rounds to one decimal, as Yoast's formatNumber does.
func round1(x float64) float64 {
	return math.Round(x*10) / 10
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }
