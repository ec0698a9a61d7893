package analyze

import (
	"strings"
	"testing"
)

// TestGrammarLongTokenStaysLinear guards against the punctuation check
// rescanning a huge space-less token at every punctuation mark: 256 KiB of
// "a." took about 40 s before the token bound and takes milliseconds now.
// (No timing is asserted; a regression shows as a test that crawls.)
func TestGrammarLongTokenStaysLinear(t *testing.T) {
	t.Parallel()
	d, err := Parse(Input{Content: strings.Repeat("a.", 128<<10), Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	r := Run(d, TypeGrammar)
	if r.Score < 0 || r.Score > 100 {
		t.Errorf("score %d", r.Score)
	}
}
