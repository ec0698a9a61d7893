package analyze

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestFiguresJSON: Figures encode exactly as encoding/json encodes a
// map[string]float64, alone and inside a Result.
func TestFiguresJSON(t *testing.T) {
	for _, f := range []Figures{
		nil,
		{},
		{"flesch": 62.3},
		{"words": 120, "avg_sentence_length": 14.25, "penalty_points": 0, "a": -1},
		{"tiny": 1e-7, "huge": 1e21, "neg_tiny": -3.5e-9, "third": 1.0 / 3},
		{"<script>&": 1, "\u2028": 2, "quote\"back\\slash": 3, "\x00ctl": 4, "é": 5, "\xff": 6},
	} {
		want, err := json.Marshal(map[string]float64(f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(f)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		r := Result{Type: TypeReadability, Figures: f}
		got, _ = json.Marshal(r)
		var back Result
		if err := json.Unmarshal(got, &back); err != nil || len(back.Figures) != len(f) {
			t.Errorf("%s does not decode back into %d figures: %v", got, len(f), err)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := json.Marshal(Figures{"x": bad}); err == nil {
			t.Errorf("%v: encoded, want an error as encoding/json gives", bad)
		}
	}
}

func FuzzFiguresJSON(f *testing.F) {
	f.Add("flesch", 62.3, "words", 120.0)
	f.Add("<a>", 1e-7, "\u2029", -1e21)
	f.Fuzz(func(t *testing.T, k1 string, v1 float64, k2 string, v2 float64) {
		m := map[string]float64{k1: v1, k2: v2}
		want, werr := json.Marshal(m)
		got, gerr := json.Marshal(Figures(m))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: encoding/json %v, Figures %v", werr, gerr)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}
