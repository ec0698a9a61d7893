package jsonappend

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// hostileStrings are the strings every escaping test runs on: each kind of
// character encoding/json escapes, alone and between plain text.
var hostileStrings = []string{
	"", "plain", `quote " and \ backslash`, "<script>alert(1)</script> & more",
	"tab\there\nnew line\r\x00\x01\x1f\b\f", "line\u2028para\u2029end", "bad \xff utf8 \xc3",
	"naïve café 日本語 🙂", "\x7f delete", "\xed\xa0\x80 surrogate half", "ends in \\",
}

func marshal(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkString(t *testing.T, s string) {
	t.Helper()
	if got, want := String(nil, s), marshal(t, s); !bytes.Equal(got, want) {
		t.Errorf("String(%q) = %s, want %s", s, got, want)
	}
}

func TestString(t *testing.T) {
	for _, s := range hostileStrings {
		checkString(t, s)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

var floats = []float64{0, math.Copysign(0, -1), 1, -1, 0.7, 2, 1e-6, 9.99e-7, 1e-7, -1e-9, 1e20, 1e21, 123456789e15,
	math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1 + 0.2, 1.5e-300, 3e100}

func checkFloat(t *testing.T, f float64) {
	t.Helper()
	got, ok := Float(nil, f)
	want, err := json.Marshal(f)
	if ok != (err == nil) {
		t.Fatalf("Float(%v): ok %v, encoding/json's error %v", f, ok, err)
	}
	if ok && !bytes.Equal(got, want) {
		t.Errorf("Float(%v) = %s, want %s", f, got, want)
	}
}

func TestFloat(t *testing.T) {
	for _, f := range append(floats, math.NaN(), math.Inf(1), math.Inf(-1)) {
		checkFloat(t, f)
	}
}

func FuzzFloat(f *testing.F) {
	for _, v := range floats {
		f.Add(v)
	}
	f.Fuzz(checkFloat)
}

func TestRaw(t *testing.T) {
	for _, raw := range []string{`{"a": [1, 2,  3], "b": "<x> & \u2028"}`, " true ", `"x"`, `{"type":"object"}`} {
		got, err := Raw([]byte("x"), []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if want := append([]byte("x"), marshal(t, json.RawMessage(raw))...); !bytes.Equal(got, want) {
			t.Errorf("Raw(%q) = %s, want %s", raw, got, want)
		}
	}
	if got, err := Raw([]byte("x"), nil); err != nil || string(got) != "xnull" {
		t.Errorf("Raw(nil) = %q, %v; want null as json.RawMessage(nil) is written", got, err)
	}
	for _, bad := range []string{`{`, `{"a":}`, ``, `1 2`} {
		if got, err := Raw([]byte("x"), []byte(bad)); err == nil || string(got) != "x" {
			t.Errorf("Raw(%q) = %q, %v; want an error and nothing appended", bad, got, err)
		}
	}
}

func TestStrings(t *testing.T) {
	for _, ss := range [][]string{{}, {"a"}, {"<b>", "\u2028", "\xff", `"q"`}} {
		if got, want := Strings([]byte("x"), ss), append([]byte("x"), marshal(t, ss)...); !bytes.Equal(got, want) {
			t.Errorf("Strings(%q) = %s, want %s", ss, got, want)
		}
	}
}
