package analyze

import "testing"

func TestTransitionWord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, text string
		want       bool
	}{
		{"en", "However, the price went up.", true},
		{"en", "For example, you can export a report.", true},
		{"en", "On the other hand, it is cheap.", true},
		{"en", "It works, as a result of careful testing.", true},
		{"en", "The price went up last year.", false},
		{"en", "We ordered the other one.", false},        // "the other" without "on ... hand"
		{"en", "The example shows a report.", false},      // "example" alone is no transition
		{"en", "This is a game-changing feature.", false}, // hype, not a transition
		{"nl", "Bovendien is het goedkoper.", true},
		{"nl", "Met andere woorden: het werkt.", true},
		{"nl", "Ten slotte sturen we een factuur.", true},
		{"nl", "Het werkt, dat wil zeggen: meestal.", true},
		{"nl", "De prijs is vorig jaar gestegen.", false},
		{"nl", "Met andere mensen praten helpt.", false},
		{"de", "Außerdem ist es günstiger.", true},
		{"de", "Zum Beispiel kann man Berichte exportieren.", true},
		{"de", "Das Haus ist alt.", false},
		{"fr", "Cependant, le prix a augmenté.", true},
		{"fr", "Par exemple, vous pouvez exporter un rapport.", true},
		{"fr", "Le prix a augmenté.", false},
		{"es", "Sin embargo, el precio subió.", true},
		{"es", "El precio subió.", false},
		{"it", "Tuttavia, il prezzo è salito.", true},
		{"it", "Il prezzo è salito.", false},
		{"pt", "No entanto, o preço subiu.", true},
		{"pt", "O preço subiu.", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			t.Parallel()
			s := mustSentence(t, tt.lang, tt.text)
			if got := transitionWord(tt.lang, s); got != tt.want {
				t.Errorf("transitionWord(%q, %q) = %v, want %v", tt.lang, tt.text, got, tt.want)
			}
		})
	}
	if transitionWord("sv", &Sentence{Words: []Word{{Text: "However", Lower: "however"}}}) {
		t.Error("transitionWord for an unknown language = true, want false")
	}
	if transitionWord("en", nil) {
		t.Error("transitionWord(nil) = true, want false")
	}
}

// TestLexPhrasesLongest checks that the longest phrase wins and that a
// phrase running past the end of the sentence does not match.
func TestLexPhrasesLongest(t *testing.T) {
	t.Parallel()
	p := newLexPhrases("in", "in addition", "in addition to that")
	words := func(ws ...string) []Word {
		out := make([]Word, len(ws))
		for i, w := range ws {
			out[i] = Word{Text: w, Lower: w}
		}
		return out
	}
	tests := []struct {
		words []Word
		want  int
	}{
		{words("in", "addition", "to", "that"), 4},
		{words("in", "addition", "to"), 2},
		{words("in"), 1},
		{words("out"), 0},
	}
	for _, tt := range tests {
		if got := p.matchAt(tt.words, 0); got != tt.want {
			t.Errorf("matchAt(%v) = %d, want %d", tt.words, got, tt.want)
		}
	}
}
