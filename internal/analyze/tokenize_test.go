package analyze

import (
	"strings"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "One two. Three four! Five six? Seven", []string{"One two.", "Three four!", "Five six?", "Seven"}},
		{"decimal", "It costs 3.50 euro. Then more.", []string{"It costs 3.50 euro.", "Then more."}},
		{"decimal comma", "Het kost 3,50 euro. Daarna meer.", []string{"Het kost 3,50 euro.", "Daarna meer."}},
		{"url", "Visit https://example.com/a.b?c=d. Then leave.", []string{"Visit https://example.com/a.b?c=d.", "Then leave."}},
		{"bare domain", "Go to example.com. It works.", []string{"Go to example.com.", "It works."}},
		{"email", "Mail jan.de.vries@example.nl. We answer.", []string{"Mail jan.de.vries@example.nl.", "We answer."}},
		{"en abbreviation", "Ask Dr. Smith. He knows.", []string{"Ask Dr. Smith.", "He knows."}},
		{"e.g.", "Use fruit, e.g. Apples are fine. Done.", []string{"Use fruit, e.g. Apples are fine.", "Done."}},
		{"nl abbreviation", "Neem bijv. Appels mee. Klaar.", []string{"Neem bijv. Appels mee.", "Klaar."}},
		{"nl dotted", "Dat is d.w.z. Een test. Klaar.", []string{"Dat is d.w.z. Een test.", "Klaar."}},
		{"de abbreviation", "Nimm z.B. Äpfel mit. Fertig.", []string{"Nimm z.B. Äpfel mit.", "Fertig."}},
		{"initials", "J. R. R. Tolkien wrote it. Read it.", []string{"J. R. R. Tolkien wrote it.", "Read it."}},
		{"de ordinal", "Am 3. 10. kommt er. Gut.", []string{"Am 3. 10. kommt er.", "Gut."}},
		{"ellipsis lower", "Well... maybe not. Yes.", []string{"Well... maybe not.", "Yes."}},
		{"ellipsis upper", "Wait… Now go.", []string{"Wait…", "Now go."}},
		{"quote closer", `He said "Stop." Then he left.`, []string{`He said "Stop."`, "Then he left."}},
		{"bracket closer", "It works (mostly.) Next one.", []string{"It works (mostly.)", "Next one."}},
		{"interrobang", "Really?! Yes.", []string{"Really?!", "Yes."}},
		{"digit start", "It ended. 2024 was good.", []string{"It ended.", "2024 was good."}},
		{"spanish inverted", "Hola. ¿Qué tal? Bien.", []string{"Hola.", "¿Qué tal?", "Bien."}},
		{"no terminator", "A heading without a dot", []string{"A heading without a dot"}},
		{"spaces", "  One.   Two.  ", []string{"One.", "Two."}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range splitSentences(tt.in, nil) {
				got = append(got, tt.in[r[0]:r[1]])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"Don't stop—ever", []string{"Don't", "stop", "ever"}},
		{"e-mail and co-op", []string{"e-mail", "and", "co-op"}},
		{"It's 1,000.50 euro, ok", []string{"It's", "1,000.50", "euro", "ok"}},
		{"a, b", []string{"a", "b"}},
		{"see https://example.com/x?y=1, then", []string{"see", "https://example.com/x?y=1", "then"}},
		{"mail jan@example.com.", []string{"mail", "jan@example.com"}},
		{"www.example.org!", []string{"www.example.org"}},
		{"café naïve coördinatie", []string{"café", "naïve", "coördinatie"}},
		{"l’homme d'abord", []string{"l’homme", "d'abord"}},
		{"e.g. this", []string{"e.g", "this"}},
		{"-- ... !!", nil},
		{"a@b@c", []string{"a", "b", "c"}},
		{"https://e.com/" + strings.Repeat("a", 600) + " x", []string{"https", "e.com/" + strings.Repeat("a", 600), "x"}}, // too long for a URL
		{"GNU/Linux and and/or", []string{"GNU/Linux", "and", "and/or"}},
		{"a / b", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range splitWords(tt.in, 0, len(tt.in), nil) {
				got = append(got, tt.in[r[0]:r[1]])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWordLower(t *testing.T) {
	t.Parallel()
	d := MustParse(t, Input{Content: "Het ÉÉN Ding. Über alles en nog iets.", Language: "nl"})
	var got []string
	for _, s := range d.Blocks[0].Sentences {
		for _, w := range s.Words {
			got = append(got, w.Lower)
		}
	}
	want := "het|één|ding|über|alles|en|nog|iets"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}
