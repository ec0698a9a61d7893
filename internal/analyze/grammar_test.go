package analyze

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGrammarRules(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 45) + "end."
	tests := []struct {
		name   string
		lang   string
		format Format
		text   string
		rule   string
		want   []string // span texts of the rule's findings; nil: none
	}{
		{"repeated word", "en", FormatText, "We saw the the house.", ruleRepeatedWord, []string{"the the"}},
		{"repeated word, capitalised", "en", FormatText, "The the house is red.", ruleRepeatedWord, []string{"The the"}},
		{"repeated word across markup", "en", FormatMarkdown, "We saw **the** the house.", ruleRepeatedWord, []string{"the** the"}},
		{"repeated word across html markup", "en", FormatHTML, "<p>We saw <b>the</b> the house.</p>", ruleRepeatedWord, []string{"the</b> the"}},
		{"repeated word nl", "nl", FormatText, "Dit is is een test.", ruleRepeatedWord, []string{"is is"}},
		{"that that is fine", "en", FormatText, "I know that that works.", ruleRepeatedWord, nil},
		{"dat dat is fine", "nl", FormatText, "Ik weet dat dat klopt.", ruleRepeatedWord, nil},
		{"vous vous is fine", "fr", FormatText, "Vous vous trompez.", ruleRepeatedWord, nil},
		{"repeat across comma", "en", FormatText, "It was long, long ago.", ruleRepeatedWord, nil},
		{"repeated number", "en", FormatText, "Version 2 2 is out.", ruleRepeatedWord, nil},

		{"inline code markdown", "en", FormatMarkdown, "Use `a,b` or `foo(` or `the the` here.", ruleMissingSpaceAfter, nil},
		{"inline code markdown bracket", "en", FormatMarkdown, "Use `foo(` here.", ruleUnmatchedBracket, nil},
		{"inline code markdown repeat", "en", FormatMarkdown, "Use `the the` here.", ruleRepeatedWord, nil},
		{"inline code html", "en", FormatHTML, "<p>Use <code>a,b</code> or <CODE>foo(</CODE> here.</p>", ruleUnmatchedBracket, nil},
		{"prose after inline code", "en", FormatMarkdown, "Use `x` then,this.", ruleMissingSpaceAfter, []string{"n,t"}},
		{"double space", "en", FormatText, "One  two.", ruleDoubleSpace, []string{"  "}},
		{"double space markdown", "en", FormatMarkdown, "One   two.", ruleDoubleSpace, []string{"   "}},
		{"double space html", "en", FormatHTML, "<p>One  two.</p>", ruleDoubleSpace, []string{"  "}},
		{"html line break and indentation", "en", FormatHTML, "<p>One\n    two.</p>", ruleDoubleSpace, nil},
		{"html spaces around a tag", "en", FormatHTML, "<p>One <b>two</b> three.</p>", ruleDoubleSpace, nil},
		{"newline is no double space", "en", FormatText, "One\ntwo.", ruleDoubleSpace, nil},

		{"space before comma", "en", FormatText, "Yes , we can.", ruleSpaceBeforePunct, []string{" ,"}},
		{"space before full stop", "en", FormatText, "We can .", ruleSpaceBeforePunct, []string{" ."}},
		{"space before question mark", "en", FormatText, "Can we ?", ruleSpaceBeforePunct, []string{" ?"}},
		{"french space before ? is correct", "fr", FormatText, "Pouvons-nous ?", ruleSpaceBeforePunct, nil},
		{"french space before comma", "fr", FormatText, "Oui , nous pouvons.", ruleSpaceBeforePunct, []string{" ,"}},
		{"ellipsis after space", "en", FormatText, "Wait ... what?", ruleSpaceBeforePunct, nil},
		{"emoticon", "en", FormatText, "Thanks :) see you.", ruleSpaceBeforePunct, nil},
		{"dotnet", "en", FormatText, "We use .NET daily.", ruleSpaceBeforePunct, nil},

		{"missing space after comma", "en", FormatText, "Apples,pears and plums.", ruleMissingSpaceAfter, []string{"s,p"}},
		{"missing space after full stop", "en", FormatText, "It ended.Then it began.", ruleMissingSpaceAfter, []string{"d.T"}},
		{"missing space after question mark", "nl", FormatText, "Klaar?Ja hoor.", ruleMissingSpaceAfter, []string{"r?J"}},
		{"decimal comma", "nl", FormatText, "Het kost 3,50 euro.", ruleMissingSpaceAfter, nil},
		{"url", "en", FormatText, "See https://example.com/a?b=c,d for more.", ruleMissingSpaceAfter, nil},
		{"abbreviation", "en", FormatText, "Use e.g. this one. The U.S. economy grew.", ruleMissingSpaceAfter, nil},
		{"domain", "en", FormatText, "Visit example.com today.", ruleMissingSpaceAfter, nil},

		{"doubled comma", "en", FormatText, "Yes,, we can.", ruleRepeatedPunct, []string{",,"}},
		{"two dots", "en", FormatText, "We can.. maybe.", ruleRepeatedPunct, []string{".."}},
		{"ellipsis is fine", "en", FormatText, "We can... maybe.", ruleRepeatedPunct, nil},
		{"path is fine", "en", FormatText, "Open ../docs first.", ruleRepeatedPunct, nil},

		{"lower case after full stop", "en", FormatText, "It works. then it stops.", ruleCapitalAfterEnd, []string{"then"}},
		{"lower case after question mark", "nl", FormatText, "Werkt het? ja, zeker.", ruleCapitalAfterEnd, []string{"ja"}},
		{"abbreviation before lower case", "en", FormatText, "Fruit, e.g. apples, is healthy.", ruleCapitalAfterEnd, nil},
		{"dutch abbreviation", "nl", FormatText, "Fruit, bijv. appels, is gezond.", ruleCapitalAfterEnd, nil},
		{"brand name", "en", FormatText, "It works. iPhone users agree.", ruleCapitalAfterEnd, nil},
		{"ellipsis", "en", FormatText, "Well... maybe not.", ruleCapitalAfterEnd, nil},
		{"capital is fine", "en", FormatText, "It works. Then it stops.", ruleCapitalAfterEnd, nil},
		{"dutch 's avonds", "nl", FormatText, "Het is laat. 's Avonds is het rustig.", ruleCapitalAfterEnd, nil},

		{"unclosed bracket", "en", FormatText, "This (is wrong.", ruleUnmatchedBracket, []string{"("}},
		{"unopened bracket", "en", FormatText, "This is) wrong.", ruleUnmatchedBracket, []string{")"}},
		{"crossed brackets", "en", FormatText, "This [is (wrong].", ruleUnmatchedBracket, []string{"("}},
		{"balanced brackets", "en", FormatText, "This (is [fine]) really.", ruleUnmatchedBracket, nil},
		{"list marker", "en", FormatText, "a) first option and b) second option.", ruleUnmatchedBracket, nil},
		{"smiley", "en", FormatText, "Great job :) and thanks ;-)", ruleUnmatchedBracket, nil},

		{"odd straight quote", "en", FormatText, `He said "hello and left.`, ruleUnmatchedQuote, []string{`"`}},
		{"paired straight quotes", "en", FormatText, `He said "hello" and left.`, ruleUnmatchedQuote, nil},
		{"inches", "en", FormatText, `A 27" screen.`, ruleUnmatchedQuote, nil},
		{"unclosed curly", "en", FormatText, "He said “hello and left.", ruleUnmatchedQuote, []string{"“"}},
		{"closing curly alone", "en", FormatText, "He said hello” and left.", ruleUnmatchedQuote, []string{"”"}},
		{"german quotes", "de", FormatText, "Er sagte „Hallo“ und ging.", ruleUnmatchedQuote, nil},
		{"dutch quotes", "nl", FormatText, "Hij zei „hallo” en ging.", ruleUnmatchedQuote, nil},
		{"guillemets", "fr", FormatText, "Il a dit « bonjour » puis il est parti.", ruleUnmatchedQuote, nil},
		{"unclosed guillemet", "fr", FormatText, "Il a dit « bonjour puis il est parti.", ruleUnmatchedQuote, []string{"«"}},

		{"long sentence", "en", FormatText, long, ruleLongSentence, []string{long}},
		{"short sentence", "en", FormatText, "Short and sweet.", ruleLongSentence, nil},

		{"a before vowel", "en", FormatText, "It is a apple.", ruleArticleAn, []string{"a apple"}},
		{"a before silent h", "en", FormatText, "It took a hour.", ruleArticleAn, []string{"a hour"}},
		{"an before consonant", "en", FormatText, "It is an car.", ruleArticleAn, []string{"an car"}},
		{"an before consonant u", "en", FormatText, "She went to an university.", ruleArticleAn, []string{"an university"}},
		{"a university is fine", "en", FormatText, "She went to a university.", ruleArticleAn, nil},
		{"a european is fine", "en", FormatText, "It is a European law.", ruleArticleAn, nil},
		{"a one-off is fine", "en", FormatText, "It was a one-off.", ruleArticleAn, nil},
		{"an hour is fine", "en", FormatText, "It took an hour.", ruleArticleAn, nil},
		{"an SEO is fine", "en", FormatText, "Hire an SEO expert.", ruleArticleAn, nil},
		{"an umbrella is fine", "en", FormatText, "Bring an umbrella.", ruleArticleAn, nil},
		{"a user is fine", "en", FormatText, "Ask a user.", ruleArticleAn, nil},
		{"plan A", "en", FormatText, "We chose plan A over B.", ruleArticleAn, nil},
		{"option a or b", "en", FormatText, "Pick option a or b.", ruleArticleAn, nil},
		{"a before eight", "en", FormatText, "It was a 8-hour day.", ruleArticleAn, []string{"a 8-hour"}},
		{"a before eleven", "en", FormatText, "It took a 11 days.", ruleArticleAn, []string{"a 11"}},
		{"an before five", "en", FormatText, "It was an 5-star stay.", ruleArticleAn, []string{"an 5-star"}},
		{"a 110 is fine", "en", FormatText, "It is a 110-year-old house.", ruleArticleAn, nil},
		{"an 18 is fine", "en", FormatText, "It is an 18-hole course.", ruleArticleAn, nil},
		{"a 1 is fine", "en", FormatText, "It is a 1-hour drive.", ruleArticleAn, nil},
		{"dutch een", "nl", FormatText, "Het is an appel.", ruleArticleAn, nil},

		{"misspelling en", "en", FormatText, "We will recieve it untill Monday.", ruleMisspelling, []string{"recieve", "untill"}},
		{"misspelling nl", "nl", FormatText, "Dat is opzich prima.", ruleMisspelling, []string{"opzich"}},
		{"misspelling de", "de", FormatText, "Das ist garnicht schlecht.", ruleMisspelling, []string{"garnicht"}},
		{"correct spelling", "en", FormatText, "We will receive it until Monday.", ruleMisspelling, nil},

		{"more then", "en", FormatText, "It costs more then 10 euros.", ruleThanThen, []string{"more then"}},
		{"better then", "en", FormatText, "It works better then the old one.", ruleThanThen, []string{"better then"}},
		{"than is fine", "en", FormatText, "It works better than the old one.", ruleThanThen, nil},
		{"then of time", "en", FormatText, "It was better then, when we started.", ruleThanThen, nil},
		{"younger then", "en", FormatText, "I was younger then and it was fun.", ruleThanThen, nil},
		{"quelque soit", "fr", FormatText, "Quelque soit le prix, nous venons.", ruleMisspelling, []string{"Quelque soit"}},
		{"quel que soit", "fr", FormatText, "Quel que soit le prix, nous venons.", ruleMisspelling, nil},
		{"u ben", "nl", FormatText, "Wat fijn dat u ben gekomen.", ruleVerbForm, []string{"u ben"}},
		{"jij heb", "nl", FormatText, "Jij heb gelijk.", ruleVerbForm, []string{"Jij heb"}},
		{"ben jij is fine", "nl", FormatText, "Ben jij er morgen? Heb jij tijd?", ruleVerbForm, nil},
		{"net als u ben ik", "nl", FormatText, "Net als u ben ik ondernemer.", ruleVerbForm, nil},
		{"meer dan jij heb", "nl", FormatText, "Meer dan jij heb ik gewerkt.", ruleVerbForm, nil},
		{"u bent is fine", "nl", FormatText, "U bent welkom en u hebt gelijk.", ruleVerbForm, nil},
		{"als u klaar ben", "nl", FormatText, "We beginnen als u klaar ben.", ruleVerbForm, []string{"u klaar ben"}},
		{"als u klaar ben at the start", "nl", FormatText, "Als u klaar ben, beginnen we.", ruleVerbForm, []string{"u klaar ben"}},
		{"als u klaar bent is fine", "nl", FormatText, "We beginnen als u klaar bent.", ruleVerbForm, nil},
		{"je je", "nl", FormatText, "Als je je aanmeldt, krijg je een mail.", ruleRepeatedWord, nil},
		{"u u", "nl", FormatText, "Daarna kunt u u aanmelden.", ruleRepeatedWord, nil},
		{"sterker als", "nl", FormatText, "Dit model is sterker als het vorige.", ruleComparativeAls, []string{"sterker als"}},
		{"meer als", "nl", FormatText, "Het kost meer als tien euro.", ruleComparativeAls, []string{"meer als"}},
		{"sterker dan is fine", "nl", FormatText, "Dit model is sterker dan het vorige.", ruleComparativeAls, nil},
		{"even sterk als is fine", "nl", FormatText, "Dit model is even sterk als het vorige.", ruleComparativeAls, nil},
		{"more common then", "en", FormatText, "This is more common then before.", ruleThanThen, []string{"more common then"}},
		{"could of", "en", FormatText, "We could of won.", ruleCouldOf, []string{"could of"}},
		{"could of course", "en", FormatText, "We could of course win.", ruleCouldOf, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mustRulesDoc(t, tt.lang, tt.format, tt.text)
			r := analyzeGrammar(d)
			checkSpans(t, d, r)
			if diff := cmp.Diff(tt.want, spanTexts(d, r, tt.rule)); diff != "" {
				t.Errorf("%q: %s spans (-want +got):\n%s", tt.text, tt.rule, diff)
			}
		})
	}
}

func TestGrammarScoreAndModelNotice(t *testing.T) {
	t.Parallel()
	clean := mustRulesDoc(t, "nl", FormatText, "Dit is een nette zin. Hier is er nog een.")
	r := analyzeGrammar(clean)
	if r.Type != TypeGrammar || r.Score != 100 || r.Label != "good" {
		t.Errorf("clean text: got type %s score %d label %q, want grammar 100 good", r.Type, r.Score, r.Label)
	}
	last := r.Findings[len(r.Findings)-1]
	if last.Rule != ruleModelNeeded || last.Severity != SeverityInfo || !strings.Contains(last.Message, "model") {
		t.Errorf("got last finding %+v, want an info %s mentioning the model", last, ruleModelNeeded)
	}

	// Ten problems (weight 2) in under 100 words: 20 weighted per 100 words.
	bad := mustRulesDoc(t, "en", FormatText, strings.Repeat("The the cat. ", 10))
	r = analyzeGrammar(bad)
	if got, want := r.Figures["weighted_per_100"], 20.0; got != want {
		t.Errorf("got weighted_per_100 %v, want %v", got, want)
	}
	if r.Score != 0 || r.Label != "poor" {
		t.Errorf("got score %d label %q, want 0 poor", r.Score, r.Label)
	}

	// One warning in 200 words: 0.5 per 100 words, score 95.
	text := strings.Repeat("This is a perfectly fine sentence of words. ", 25) + "Yes , indeed."
	r = analyzeGrammar(mustRulesDoc(t, "en", FormatText, text))
	if r.Score != 95 || r.Label != "good" {
		t.Errorf("got score %d label %q (figures %v), want 95 good", r.Score, r.Label, r.Figures)
	}
}
