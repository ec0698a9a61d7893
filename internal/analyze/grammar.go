package analyze

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Grammar rule ids. They are stable: clients may filter on them.
const (
	ruleRepeatedWord        = "grammar.repeated_word"
	ruleDoubleSpace         = "grammar.double_space"
	ruleSpaceBeforePunct    = "grammar.space_before_punctuation"
	ruleMissingSpaceAfter   = "grammar.missing_space_after_punctuation"
	ruleRepeatedPunct       = "grammar.repeated_punctuation"
	ruleCapitalAfterEnd     = "grammar.capital_after_sentence_end"
	ruleUnmatchedBracket    = "grammar.unmatched_bracket"
	ruleUnmatchedQuote      = "grammar.unmatched_quote"
	ruleLongSentence        = "grammar.long_sentence"
	ruleArticleAn           = "grammar.article_a_an"
	ruleMisspelling         = "grammar.misspelling"
	ruleCouldOf             = "grammar.could_of"
	ruleThanThen            = "grammar.than_then"
	ruleVerbForm            = "grammar.verb_form"
	ruleModelNeeded         = "grammar.model_needed"
	ruleComparativeAls      = "grammar.comparative_als"
	grammarLongSentenceSize = 40 // words; a sentence longer than this is hard to follow in any language
)

// analyzeGrammar runs the rule-based checks that hold without a language
// model: repeated words, spacing and punctuation, a capital after a sentence
// end, unmatched brackets and quotes, very long sentences, and a few
// unambiguous per-language rules (English a/an, "could of", "more then";
// French "quelque soit"; Dutch "u ben", "jij heb"; misspellings that are wrong in every context in
// all seven languages). Text inside inline code is not checked. Checks that need a model, such as Dutch d/t verb endings, are
// left to model-backed analysis, which a document-level info finding says.
//
// Score: 100 minus 10 points per weighted issue per 100 words (a problem
// weighs 2, a warning 1; texts under 100 words count as 100 words).
// Label: "good" (score >= 80), "fair" (>= 50) or "poor".
func analyzeGrammar(d *Doc) Result {
	g := grammarRun{d: d, lang: d.Language, code: grammarCodeRanges(d)}
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockCode {
			continue
		}
		g.scanText(b)
		for si := range b.Sentences {
			g.scanWords(&b.Sentences[si])
		}
	}
	words := ruleWordCount(d)
	weighted := 2*g.problems + g.warnings
	per100 := float64(weighted) * 100 / float64(max(words, 100))
	score := ruleClamp(100 - 10*per100)
	label := "poor"
	switch {
	case score >= 80:
		label = "good"
	case score >= 50:
		label = "fair"
	}
	g.findings = append(g.findings, Finding{
		Rule:     ruleModelNeeded,
		Severity: SeverityInfo,
		Message:  d.loc.msg(mGramModelNeeded),
		Source:   "local",
	})
	figures := map[string]float64{
		"issues":               float64(g.problems + g.warnings),
		"problems":             float64(g.problems),
		"warnings":             float64(g.warnings),
		"weighted_per_100":     per100,
		"long_sentences":       float64(g.count[ruleLongSentence]),
		"repeated_words":       float64(g.count[ruleRepeatedWord]),
		"spacing_issues":       float64(g.count[ruleDoubleSpace] + g.count[ruleSpaceBeforePunct] + g.count[ruleMissingSpaceAfter]),
		"punctuation_issues":   float64(g.count[ruleRepeatedPunct] + g.count[ruleCapitalAfterEnd]),
		"unmatched_brackets":   float64(g.count[ruleUnmatchedBracket]),
		"unmatched_quotes":     float64(g.count[ruleUnmatchedQuote]),
		"language_rule_issues": float64(g.count[ruleArticleAn] + g.count[ruleMisspelling] + g.count[ruleCouldOf] + g.count[ruleThanThen] + g.count[ruleVerbForm]),
	}
	figures["words"] = float64(words)
	return Result{Type: TypeGrammar, Score: score, Label: label, Figures: figures, Findings: g.findings}
}

// grammarRun collects the findings of one document.
type grammarRun struct {
	d                  *Doc
	lang               string
	findings           []Finding
	problems, warnings int
	count              map[string]int // findings per rule id
	code               []Span         // inline code in the source: not prose, not checked
}

// inCode reports whether source offset off lies in inline code.
func (g *grammarRun) inCode(off int) bool {
	if len(g.code) == 0 {
		return false
	}
	k := sort.Search(len(g.code), func(k int) bool { return g.code[k].End > off })
	return k < len(g.code) && g.code[k].Start <= off
}

// blockHasCode reports whether inline code overlaps the block.
func (g *grammarRun) blockHasCode(b *Block) bool {
	if len(g.code) == 0 {
		return false
	}
	k := sort.Search(len(g.code), func(k int) bool { return g.code[k].End > b.Start })
	return k < len(g.code) && g.code[k].Start < b.End
}

// grammarCodeRanges finds inline code in the source, in order: Markdown
// code spans (a run of n backticks up to the next run of exactly n) and
// HTML <code>, <kbd> and <samp> elements. Code is not prose: "a,b" or
// "foo(" in it are not errors.
func grammarCodeRanges(d *Doc) []Span {
	src := d.Source
	var out []Span
	switch d.Format {
	case FormatMarkdown:
		for i := 0; i < len(src); {
			j := strings.IndexByte(src[i:], '`')
			if j < 0 {
				break
			}
			open := i + j
			n := 0
			for open+n < len(src) && src[open+n] == '`' {
				n++
			}
			closeAt := -1
			for k := open + n; k < len(src); {
				m := strings.IndexByte(src[k:], '`')
				if m < 0 {
					break
				}
				k += m
				r := 0
				for k+r < len(src) && src[k+r] == '`' {
					r++
				}
				if r == n {
					closeAt = k + r
					break
				}
				k += r
			}
			if closeAt < 0 {
				i = open + n
				continue
			}
			out = append(out, Span{open, closeAt})
			i = closeAt
		}
	case FormatHTML:
		for i := 0; i < len(src); {
			j := strings.IndexByte(src[i:], '<')
			if j < 0 {
				break
			}
			at := i + j
			i = at + 1
			if at+1 >= len(src) {
				break
			}
			switch src[at+1] | 0x20 { // first letter, lower-cased
			case 'c', 'k', 's':
			default:
				continue
			}
			for _, tag := range [...]string{"code", "kbd", "samp"} {
				if !grammarTagAt(src, at+1, tag) {
					continue
				}
				end := len(src)
				for k := at + 1; k < len(src); k++ {
					if src[k] == '<' && k+1 < len(src) && src[k+1] == '/' && grammarTagAt(src, k+2, tag) {
						end = k
						break
					}
				}
				out = append(out, Span{at, end})
				i = end
				break
			}
		}
	}
	return out
}

// grammarTagAt reports whether src[i:] starts with tag (any case) followed
// by ">", white space or "/".
func grammarTagAt(src string, i int, tag string) bool {
	if i+len(tag) >= len(src) || !strings.EqualFold(src[i:i+len(tag)], tag) {
		return false
	}
	switch src[i+len(tag)] {
	case '>', ' ', '\t', '\n', '\r', '/':
		return true
	}
	return false
}

func (g *grammarRun) add(rule string, sev Severity, msg string, spans ...Span) {
	switch sev {
	case SeverityProblem:
		g.problems++
	case SeverityWarning:
		g.warnings++
	}
	if g.count == nil {
		g.count = make(map[string]int, 8)
	}
	g.count[rule]++
	g.findings = append(g.findings, Finding{Rule: rule, Severity: sev, Message: msg, Spans: spans, Source: "local"})
}

// quote returns a short excerpt of the source for a message.
func (g *grammarRun) quote(sp Span) string {
	return strconv.Quote(truncate(g.d.Source[sp.Start:sp.End], 40))
}

// scanText checks the block's markup-free text character by character:
// spacing, punctuation, brackets, quotes and capitals after a sentence end.
func (g *grammarRun) scanText(b *Block) {
	t := b.Text
	if len(b.Offsets) != len(t) {
		return // a block without a byte map cannot be located; skip it
	}
	french := g.lang == "fr"
	code := g.blockHasCode(b)
	var brackets []int // indexes of open brackets
	straight := -1     // index of an open straight double quote
	var curly []int    // indexes of open curly quotes and guillemets
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !grammarActs[c] || code && g.inCode(b.Offsets[i]) {
			continue
		}
		switch c {
		case ' ':
			g.checkSpace(b, i, french)
		case ',', ';', ':', '!', '?', '.':
			g.checkPunct(b, i)
		case '(', '[', '{':
			if c == '(' && grammarEmoticonAt(t, i) {
				continue
			}
			brackets = append(brackets, i)
		case ')', ']', '}':
			if c == ')' && (grammarEmoticonAt(t, i) || grammarListMarker(t, i) && len(brackets) == 0) {
				continue
			}
			brackets = g.closeBracket(b, brackets, i)
		case '"':
			if i > 0 && t[i-1] >= '0' && t[i-1] <= '9' {
				continue // inches: 27"
			}
			if straight < 0 {
				straight = i
			} else {
				straight = -1
			}
		case 0xE2, 0xC2: // “ ” „ (E2 80 9C/9D/9E), « » (C2 AB/BB)
			curly = g.curlyQuote(b, curly, i)
		}
	}
	for _, i := range brackets {
		sp := g.d.Span(b, i, i+1)
		g.add(ruleUnmatchedBracket, SeverityProblem,
			g.d.loc.msg(mGramBracketUnclosed, strconv.Quote(t[i:i+1])), sp)
	}
	if straight >= 0 {
		sp := g.d.Span(b, straight, straight+1)
		g.add(ruleUnmatchedQuote, SeverityWarning,
			g.d.loc.msg(mGramQuoteAlone), sp)
	}
	for _, i := range curly {
		_, n := utf8.DecodeRuneInString(t[i:])
		sp := g.d.Span(b, i, i+n)
		g.add(ruleUnmatchedQuote, SeverityWarning,
			g.d.loc.msg(mGramQuoteUnclosed, t[i:i+n]), sp)
	}
}

// grammarActs marks the bytes scanText acts on; every other byte is
// skipped with one table lookup.
var grammarActs = func() (t [256]bool) {
	for _, c := range []byte(" ,;:!?.([{)]}\"\xE2\xC2") {
		t[c] = true
	}
	return t
}()

// checkSpace looks at the (collapsed) space at t[i]: several spaces in the
// source, or a space before punctuation.
func (g *grammarRun) checkSpace(b *Block, i int, french bool) {
	t := b.Text
	if i == 0 || i+1 >= len(t) {
		return
	}
	// Double space: the source between this space and the next text byte
	// holds only spaces (or no-break spaces), at least two, on one line. In
	// HTML a browser collapses them, but they are still a typing slip an
	// editor wants to see (and "&nbsp; " survives as two spaces); line
	// breaks and indentation between words are not flagged.
	from, to := b.Offsets[i], b.Offsets[i+1]
	if to-from >= 2 && to <= len(g.d.Source) && grammarAllSpaces(g.d.Source[from:to]) {
		g.add(ruleDoubleSpace, SeverityWarning, g.d.loc.msg(mGramDoubleSpace), Span{from, to})
	}
	// A space before punctuation that ends a clause; not where inline code
	// was left out of the text ("the newsgroup <code>comp.os</code>, see").
	if strings.Contains(g.d.Source[min(b.Offsets[i], len(g.d.Source)):min(b.Offsets[i+1], len(g.d.Source))], "code>") {
		return
	}
	p := t[i+1]
	if !grammarClausePunct(p) || french && p != ',' && p != '.' {
		return
	}
	if !grammarWordByteBefore(t, i) {
		return
	}
	after := i + 2
	if after < len(t) && !grammarSpaceOrCloser(t, after) {
		return // ".NET", " .5", " ...", ":)"
	}
	sp := g.d.Span(b, i, i+2)
	g.add(ruleSpaceBeforePunct, SeverityWarning,
		g.d.loc.msg(mGramSpaceBefore, strconv.Quote(string(p))), sp)
}

// checkPunct looks at punctuation at t[i]: a missing space after it, a
// doubled mark, and a lower-case letter after a sentence end.
func (g *grammarRun) checkPunct(b *Block, i int) {
	t := b.Text
	c := t[i]
	// Doubled ",," ";;" or exactly two dots.
	if i+1 < len(t) && t[i+1] == c && (c == ',' || c == ';' || c == '.') && (i == 0 || t[i-1] != c) {
		if c != '.' || (i+2 >= len(t) || t[i+2] != '.') && !grammarInURL(t, i) {
			sp := g.d.Span(b, i, i+2)
			g.add(ruleRepeatedPunct, SeverityWarning,
				g.d.loc.msg(mGramRepeatedPunct, strconv.Quote(t[i:i+2])), sp)
			return
		}
	}
	if i+1 >= len(t) || i == 0 {
		return
	}
	next, n := utf8.DecodeRuneInString(t[i+1:])
	prev, pn := utf8.DecodeLastRuneInString(t[:i])
	// Missing space: "word,word", "end.Next".
	if unicode.IsLetter(next) && unicode.IsLetter(prev) && !grammarInURL(t, i) {
		prev2, _ := utf8.DecodeLastRuneInString(t[:i-pn])
		next2, _ := utf8.DecodeRuneInString(t[i+1+n:])
		missing := false
		switch c {
		case ',', ';', '!', '?':
			missing = true
		case ':':
			missing = unicode.IsLetter(prev2)
		case '.':
			// Only "lower.Upper lower": avoids "U.S.", "e.g.", "ASP.NET", file names.
			missing = unicode.IsUpper(next) && unicode.IsLower(prev) && unicode.IsLower(prev2) && unicode.IsLower(next2)
		}
		if missing {
			sp := g.d.Span(b, i-pn, i+1+n)
			g.add(ruleMissingSpaceAfter, SeverityWarning,
				g.d.loc.msg(mGramMissingSpace, strconv.Quote(string(c)), g.quote(sp)), sp)
		}
		return
	}
	// A capital after a sentence end: ". word" where the word is all lower case.
	if c != '.' && c != '!' && c != '?' || t[i+1] != ' ' {
		return
	}
	if c == '.' && (t[i-1] == '.' || grammarAbbreviationBefore(t, i)) {
		return
	}
	j := i + 2
	if j >= len(t) {
		return
	}
	r, _ := utf8.DecodeRuneInString(t[j:])
	if !unicode.IsLower(r) {
		return
	}
	k := j
	for k < len(t) {
		r2, n2 := utf8.DecodeRuneInString(t[k:])
		if !unicode.IsLetter(r2) {
			break
		}
		if unicode.IsUpper(r2) {
			return // "iPhone", "eBay"
		}
		k += n2
	}
	if k < len(t) && (t[k] == '\'' || t[k] == '.' || t[k] == '-' && k+1 < len(t) && t[k+1] != ' ') {
		return // "'s avonds", "e.g." style tokens, "e-mail"
	}
	sp := g.d.Span(b, j, k)
	g.add(ruleCapitalAfterEnd, SeverityWarning,
		g.d.loc.msg(mGramCapital, g.quote(sp), strconv.Quote(string(c))), sp)
}

// closeBracket pops the matching opener of the closer at t[i], reporting
// openers skipped over and a closer without an opener.
func (g *grammarRun) closeBracket(b *Block, stack []int, i int) []int {
	t := b.Text
	open := map[byte]byte{')': '(', ']': '[', '}': '{'}[t[i]]
	for k := len(stack) - 1; k >= 0; k-- {
		if t[stack[k]] == open {
			for _, skipped := range stack[k+1:] {
				sp := g.d.Span(b, skipped, skipped+1)
				g.add(ruleUnmatchedBracket, SeverityProblem,
					g.d.loc.msg(mGramBracketUnclosedBefore, strconv.Quote(t[skipped:skipped+1]), strconv.Quote(t[i:i+1])), sp)
			}
			return stack[:k]
		}
	}
	sp := g.d.Span(b, i, i+1)
	g.add(ruleUnmatchedBracket, SeverityProblem,
		g.d.loc.msg(mGramBracketUnopened, strconv.Quote(t[i:i+1]), strconv.Quote(string(open))), sp)
	return stack
}

// curlyQuote pairs typographic quotes: “…” (en), „…“ (de), „…” (nl),
// «…» (fr, es, it, pt) and »…« (de).
func (g *grammarRun) curlyQuote(b *Block, stack []int, i int) []int {
	t := b.Text
	r, _ := utf8.DecodeRuneInString(t[i:])
	top := rune(0)
	if len(stack) > 0 {
		top, _ = utf8.DecodeRuneInString(t[stack[len(stack)-1]:])
	}
	switch r {
	case '„':
		return append(stack, i)
	case '“':
		if top == '„' {
			return stack[:len(stack)-1]
		}
		return append(stack, i)
	case '”':
		if top == '“' || top == '„' {
			return stack[:len(stack)-1]
		}
	case '«':
		if top == '»' {
			return stack[:len(stack)-1]
		}
		return append(stack, i)
	case '»':
		if top == '«' {
			return stack[:len(stack)-1]
		}
		return append(stack, i)
	default:
		return stack
	}
	// A closing ” without an opener.
	_, n := utf8.DecodeRuneInString(t[i:])
	sp := g.d.Span(b, i, i+n)
	g.add(ruleUnmatchedQuote, SeverityWarning,
		g.d.loc.msg(mGramQuoteUnopened), sp)
	return stack
}

// scanWords checks one sentence's words.
func (g *grammarRun) scanWords(s *Sentence) {
	words := s.Words
	if limit := recommendedSentenceLength(g.lang); len(words) > 2*limit {
		g.add(ruleLongSentence, SeverityWarning, g.d.loc.msg(mGramLongSentence, itoa(len(words)), itoa(limit)), Span{s.Start, s.End})
	}
	misspell := grammarMisspellings[g.lang]
	prefixes := grammarMisspellingPrefixes()[g.lang]
	code := len(g.code) > 0
	for k := range words {
		w := &words[k]
		if code && (g.inCode(w.Start) || k > 0 && g.inCode(words[k-1].Start)) {
			continue
		}
		if prefixes.mayHave(w.Lower) { // most words skip the map lookup
			if fix, ok := misspell[w.Lower]; ok {
				sp := Span{w.Start, w.End}
				g.add(ruleMisspelling, SeverityProblem, g.d.loc.msg(mGramMisspelling, g.quote(sp), strconv.Quote(fix)), sp)
			}
		}
		if k == 0 {
			continue
		}
		p := &words[k-1]
		if w.Lower == p.Lower && grammarHasLetter(w.Lower) && !grammarRepeatOK(g.lang, w.Lower) && g.onlySpaceBetween(p, w) {
			sp := Span{p.Start, w.End}
			g.add(ruleRepeatedWord, SeverityProblem, g.d.loc.msg(mGramRepeatedWord, strconv.Quote(w.Text)), sp)
			continue
		}
		switch g.lang {
		case "en":
			g.checkEnglishPair(p, w, words, k)
		case "nl":
			// "u ben", "jij heb": the subject needs "bent"/"hebt" (or "heeft");
			// only the first-person forms directly after the subject, which are
			// never right ("ben jij" is fine: inversion drops the t).
			// "Net als u ben ik ...": "ik" after the verb is its subject.
			if fix := grammarNLVerbForm(p.Lower, w.Lower); fix != "" && g.onlySpaceBetween(p, w) &&
				(k+1 >= len(words) || words[k+1].Lower != "ik") {
				sp := Span{p.Start, w.End}
				g.add(ruleVerbForm, SeverityProblem, g.d.loc.msg(mGramVerbForm, strconv.Quote(p.Text+" "+fix), g.quote(sp)), sp)
			} else {
				g.checkDutchClauseVerb(words, k)
			}
			g.checkDutchComparative(p, w)
		case "fr":
			if p.Lower == "quelque" && (w.Lower == "soit" || w.Lower == "soient") && g.onlySpaceBetween(p, w) {
				fix := "quel que soit"
				if w.Lower == "soient" {
					fix = "quels que soient"
				}
				sp := Span{p.Start, w.End}
				g.add(ruleMisspelling, SeverityProblem, g.d.loc.msg(mGramMisspellingQuel, g.quote(sp), strconv.Quote(fix)), sp)
			}
		}
	}
}

// checkEnglishPair: "a" before a clear vowel sound, "an" before a clear
// consonant sound, and "could of".
func (g *grammarRun) checkEnglishPair(p, w *Word, words []Word, k int) {
	switch p.Lower {
	case "a":
		if p.Text == "A" && k >= 2 || !g.onlySpaceBetween(p, w) || ruleFirstUpper(w.Text) {
			return // "plan A", capitalised names and acronyms
		}
		if grammarNeedsAn(w.Lower) {
			sp := Span{p.Start, w.End}
			g.add(ruleArticleAn, SeverityProblem, g.d.loc.msg(mGramArticleAn, strconv.Quote("an "+w.Text), strconv.Quote(w.Text)), sp)
		}
	case "an":
		if !g.onlySpaceBetween(p, w) || ruleFirstUpper(w.Text) {
			return
		}
		if grammarNeedsA(w.Lower) {
			sp := Span{p.Start, w.End}
			g.add(ruleArticleAn, SeverityProblem, g.d.loc.msg(mGramArticleA, strconv.Quote("a "+w.Text), strconv.Quote(w.Text)), sp)
		}
	case "then":
		if !g.onlySpaceBetween(p, w) || !grammarThanObject(w.Lower) || k < 2 {
			return
		}
		// "better then 10", and "more common then before": more/less and
		// an adjective.
		c := &words[k-2]
		comparative := grammarComparatives.has(c.Lower) && g.onlySpaceBetween(c, p)
		if !comparative && k >= 3 && grammarMoreLess.has(words[k-3].Lower) && g.onlySpaceBetween(&words[k-3], c) && g.onlySpaceBetween(c, p) &&
			!grammarThanObject(c.Lower) {
			comparative = true
			c = &words[k-3]
		}
		if comparative {
			sp := Span{c.Start, p.End}
			g.add(ruleThanThen, SeverityProblem, g.d.loc.msg(mGramThanThen, strconv.Quote(g.d.Source[c.Start:p.Start]+"than")), sp)
		}
	case "could", "would", "should", "must", "might":
		if w.Lower == "of" && g.onlySpaceBetween(p, w) && (k+1 >= len(words) || words[k+1].Lower != "course") {
			sp := Span{p.Start, w.End}
			g.add(ruleCouldOf, SeverityProblem, g.d.loc.msg(mGramCouldOf, strconv.Quote(p.Text+" have"), g.quote(sp)), sp)
		}
	}
}

// checkDutchClauseVerb: in a subordinate clause the verb comes last, so
// "als u klaar ben" has "u" and "ben" apart: a subordinator, then "u" or
// "jij", then up to five words without punctuation, then "ben"/"heb" that
// is not followed by "ik" ("Net als u ben ik ...").
func (g *grammarRun) checkDutchClauseVerb(words []Word, k int) {
	w := &words[k]
	if w.Lower != "ben" && w.Lower != "heb" || k+1 < len(words) && words[k+1].Lower == "ik" {
		return
	}
	for j := k - 2; j >= 1 && j >= k-6; j-- {
		s := words[j].Lower
		if s != "u" && s != "jij" {
			continue
		}
		if !grammarNLSubordinators.has(words[j-1].Lower) || strings.ContainsAny(g.d.Source[words[j].End:w.Start], ",;:()!?") {
			return
		}
		fix := grammarNLVerbForm(s, w.Lower)
		sp := Span{words[j].Start, w.End}
		g.add(ruleVerbForm, SeverityProblem, g.d.loc.msg(mGramVerbForm, strconv.Quote(g.d.Source[words[j].Start:w.Start]+fix), g.quote(sp)), sp)
		return
	}
}

// checkDutchComparative: "sterker als", "meer als 10": after a comparative
// Dutch uses "dan" ("groter dan"); "als" is for equality ("even groot als").
func (g *grammarRun) checkDutchComparative(p, w *Word) {
	if w.Lower != "als" || !grammarNLComparatives.has(p.Lower) || !g.onlySpaceBetween(p, w) {
		return
	}
	sp := Span{p.Start, w.End}
	g.add(ruleComparativeAls, SeverityProblem, g.d.loc.msg(mGramComparativeAls, strconv.Quote(p.Text+" dan")), sp)
}

// grammarNLVerbForm returns the correct form for Dutch "u"/"jij" followed
// by the first-person "ben" or "heb", or "".
func grammarNLVerbForm(subject, verb string) string {
	if subject != "u" && subject != "jij" {
		return ""
	}
	switch verb {
	case "ben":
		return "bent"
	case "heb":
		return "hebt"
	}
	return ""
}

// grammarThanObject reports whether w can start what follows "than" in a
// comparison ("more then 10", "better then the old one", "faster then
// you") and not what follows a "then" of time ("better then, when").
func grammarThanObject(w string) bool {
	if w != "" && w[0] >= '0' && w[0] <= '9' {
		return true
	}
	return grammarThanObjects.has(w)
}

// grammarNeedsAn reports whether "a" before w is clearly wrong.
func grammarNeedsAn(w string) bool {
	if grammarSilentH.has(w) {
		return true
	}
	if w == "" || grammarANFunctionWords.has(w) {
		return false
	}
	if w[0] >= '0' && w[0] <= '9' {
		return grammarNumberVowelSound(w)
	}
	switch w[0] {
	case 'a', 'i':
		return grammarIsWord(w)
	case 'e':
		return !strings.HasPrefix(w, "eu") && !strings.HasPrefix(w, "ewe") && grammarIsWord(w)
	case 'o':
		return !strings.HasPrefix(w, "one") && !strings.HasPrefix(w, "once") && !strings.HasPrefix(w, "oui") && grammarIsWord(w)
	}
	return false
}

// grammarNeedsA reports whether "an" before w is clearly wrong.
func grammarNeedsA(w string) bool {
	if w != "" && w[0] >= '1' && w[0] <= '9' {
		return !grammarNumberVowelSound(w)
	}
	if w == "" || !grammarIsWord(w) {
		return false
	}
	if grammarConsonantU.has(w) || strings.HasPrefix(w, "eu") {
		return true
	}
	switch w[0] {
	case 'b', 'c', 'd', 'f', 'g', 'j', 'k', 'l', 'm', 'n', 'p', 'q', 'r', 's', 't', 'v', 'w', 'y', 'z':
		return len(w) > 1 // single letters are read as letter names: "an s"
	}
	return false
}

// grammarNumberVowelSound reports whether a number written in digits is
// read with a vowel sound: 8, 80, 800, 8-hour ("eight…"), 11 and 18
// ("eleven", "eighteen"), also with a unit or hyphen ("11-year", "18th").
func grammarNumberVowelSound(w string) bool {
	if w[0] == '8' {
		return true
	}
	n := 0
	for n < len(w) && w[n] >= '0' && w[n] <= '9' {
		n++
	}
	if n == 2 && (w[:2] == "11" || w[:2] == "18") {
		return n == len(w) || w[n] == '-' || w[n] == 't' || w[n] == '%'
	}
	return false
}

// grammarIsWord: at least two ASCII letters and nothing but letters,
// apostrophes and hyphens (no numbers, no acronyms with digits).
func grammarIsWord(w string) bool {
	if len(w) < 2 {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c == '\'' || c == '-') {
			return false
		}
	}
	return true
}

// onlySpaceBetween reports whether only whitespace and inline markup
// (HTML tags, Markdown emphasis) separate two words in the source.
func (g *grammarRun) onlySpaceBetween(a, b *Word) bool {
	if a.End > b.Start || b.Start > len(g.d.Source) {
		return false
	}
	gap := g.d.Source[a.End:b.Start]
	if gap == "" {
		return false
	}
	inTag := false
	for i := 0; i < len(gap); i++ {
		c := gap[i]
		switch {
		case inTag:
			inTag = c != '>'
		case c == '<' && g.d.Format == FormatHTML:
			inTag = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case (c == '*' || c == '_') && g.d.Format == FormatMarkdown:
		default:
			return false
		}
	}
	return !inTag
}

func grammarRepeatOK(lang, w string) bool {
	ok := grammarRepeatAllowed[lang]
	return ok != nil && ok.has(w)
}

func grammarHasLetter(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func grammarAllSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			return false
		}
	}
	return true
}

func grammarClausePunct(c byte) bool {
	return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?'
}

// grammarWordByteBefore reports whether a letter or digit precedes t[i].
func grammarWordByteBefore(t string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// grammarSpaceOrCloser: a space, or a closing quote or bracket.
func grammarSpaceOrCloser(t string, i int) bool {
	switch t[i] {
	case ' ', '"', '\'':
		return true
	}
	r, _ := utf8.DecodeRuneInString(t[i:])
	return r == '”' || r == '’' || r == '»'
}

// grammarMaxToken bounds the token grammarInURL looks at, in bytes.
const grammarMaxToken = 256

// grammarInURL reports whether t[i] lies in a whitespace-delimited chunk
// that looks like a URL, path, e-mail address or code.
func grammarInURL(t string, i int) bool {
	// A token longer than grammarMaxToken is not prose (a URL, a hash, a
	// run without spaces): treat it like a URL. The bound keeps the scan
	// linear in the text, not quadratic in one huge token.
	a, z := i, i
	for a > 0 && t[a-1] != ' ' {
		if a--; i-a > grammarMaxToken {
			return true
		}
	}
	for z < len(t) && t[z] != ' ' {
		if z++; z-i > grammarMaxToken {
			return true
		}
	}
	chunk := t[a:z]
	return strings.ContainsAny(chunk, "/@=\\#&_<>") || strings.Contains(chunk, "www.") || strings.Contains(chunk, "::")
}

// grammarEmoticonAt reports whether the bracket at t[i] belongs to ":)",
// ";-(", ":D"-style emoticons.
func grammarEmoticonAt(t string, i int) bool {
	k := i - 1
	if k >= 0 && (t[k] == '-' || t[k] == '\'') {
		k--
	}
	return k >= 0 && (t[k] == ':' || t[k] == ';' || t[k] == '=')
}

// grammarListMarker reports whether the ")" at t[i] ends a list marker such
// as "a)" or "12)": one letter or one or two digits, at the start of the
// text or after a space.
func grammarListMarker(t string, i int) bool {
	k := i
	for k > 0 && t[k-1] != ' ' && i-k < 3 {
		k--
	}
	if k > 0 && t[k-1] != ' ' {
		return false
	}
	tok := t[k:i]
	switch len(tok) {
	case 1:
		c := tok[0]
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	case 2:
		return tok[0] >= '0' && tok[0] <= '9' && tok[1] >= '0' && tok[1] <= '9'
	}
	return false
}

// grammarAbbreviationBefore reports whether the "." at t[dot] ends an
// abbreviation, an initial or a number rather than a sentence.
func grammarAbbreviationBefore(t string, dot int) bool {
	k := dot
	for k > 0 && t[k-1] != ' ' && t[k-1] != '(' {
		k--
	}
	tok := t[k:dot]
	if tok == "" {
		return true
	}
	if utf8.RuneCountInString(tok) == 1 || strings.IndexByte(tok, '.') >= 0 {
		return true // "J.", "e.g.", "d.w.z."
	}
	var buf [12]byte
	if len(tok) > len(buf) {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return grammarAbbreviations.has(string(buf[:len(tok)]))
}
