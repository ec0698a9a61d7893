package analyze

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
)

// plainReport is Report without its methods: what encoding/json writes
// for it by reflection, the reference AppendJSON must equal.
type plainReport Report

func wantReportJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	want, err := json.Marshal((*plainReport)(r))
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// TestReportJSON: a report's JSON is byte for byte what encoding/json
// writes, for random reports (every field of every nested type filled, so
// a field added to a type and not to its encoder fails here) and for the
// edge cases: nil and empty lists, strings to escape, figures in exponent
// form.
func TestReportJSON(t *testing.T) {
	hostile := []string{"", "<script>alert(1)</script>", "a & b", "quote\" back\\ \u2028\u2029", "\x00\x1f\x7f", "\xff\xfe invalid", "é ñ 日本"}
	cases := []*Report{
		{},
		{Results: []Result{}},
		{Results: []Result{{Findings: []Finding{}, Figures: Figures{}}}},
		{Results: []Result{{Findings: []Finding{{Spans: []Span{}}}}}},
		{Language: "nl", LanguageDetected: true, Words: -3, Score: 100, Results: []Result{{
			Type: TypeSEO, Score: 7, Figures: Figures{"tiny": 1e-7, "huge": 1e21, "third": 1.0 / 3, "zero": 0, "neg": -2.5},
			Findings: []Finding{{Rule: "seo.x", Spans: []Span{{0, 1}, {5, 9}}}, {Rule: "seo.y"}},
		}}},
	}
	for i, s := range hostile {
		cases = append(cases, &Report{Language: s, Label: s, LabelText: s, Locale: s, Version: s, Results: []Result{{
			Type: Type(s), Label: s, LabelText: s, Figures: Figures{s: float64(i)},
			Findings: []Finding{{Rule: s, Severity: Severity(s), Message: s, Source: s, Spans: []Span{{i, i + 1}}}},
		}}})
	}
	rnd := rand.New(rand.NewSource(1))
	for range 300 {
		v, ok := quick.Value(reflect.TypeFor[Report](), rnd)
		if !ok {
			t.Fatal("quick.Value cannot make a Report")
		}
		r := v.Interface().(Report)
		cases = append(cases, &r)
	}
	for i, r := range cases {
		want := wantReportJSON(t, r)
		got, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d:\ngot  %s\nwant %s", i, got, want)
		}
		if got, err := json.Marshal(r); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("case %d through encoding/json: %v\ngot  %s\nwant %s", i, err, got, want)
		}
		if got, _ := r.AppendJSON([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("case %d: AppendJSON did not append to what was there", i)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		r := &Report{Results: []Result{{Figures: Figures{"x": bad}}}}
		if _, err := r.MarshalJSON(); err == nil {
			t.Errorf("figure %v: encoded, want an error as encoding/json gives", bad)
		}
	}
}

// BenchmarkReportJSON encodes the report of a 1,000-word page:
// encoding/json by reflection (what was used before) and MarshalJSON.
func BenchmarkReportJSON(b *testing.B) {
	r, err := Analyze(MustCorpus(b, "en-cold-brew.html"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    func() ([]byte, error)
	}{
		{"encoding-json", func() ([]byte, error) { return json.Marshal((*plainReport)(r)) }},
		{"MarshalJSON", r.MarshalJSON},
	} {
		b.Run(c.name, func(b *testing.B) {
			out, err := c.f()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
