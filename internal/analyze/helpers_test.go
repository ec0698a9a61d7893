package analyze

import "testing"

// MustParse parses in or fails the test.
func MustParse(tb testing.TB, in Input) *Doc {
	tb.Helper()
	d, err := Parse(in)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return d
}
