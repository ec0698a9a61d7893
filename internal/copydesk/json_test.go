package copydesk

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// checkCompact compares CompactJSON and ValidJSON with encoding/json on src: the
// same verdict, and for a valid value the bytes json.Marshal writes for
// it as a json.RawMessage.
func checkCompact(t *testing.T, src []byte) {
	t.Helper()
	valid := json.Valid(src)
	if got := ValidJSON(src); got != valid {
		t.Fatalf("ValidJSON(%q) = %v, json.Valid %v", src, got, valid)
	}
	got, err := CompactJSON([]byte("x"), src)
	if !valid {
		if err == nil || string(got) != "x" {
			t.Fatalf("CompactJSON(%q) = %q, %v; want an error and nothing appended", src, got, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("CompactJSON(%q): %v", src, err)
	}
	want, err := json.Marshal(json.RawMessage(src))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[1:], want) {
		t.Fatalf("CompactJSON(%q) = %q, want %q", src, got[1:], want)
	}
}

func TestCompactJSON(t *testing.T) {
	for _, s := range []string{
		`{"a": [1, 2,  3], "b": "<x> & \u2028 ` + "\u2028\u2029\xe2\x80\xaa" + `"}`,
		" true ", "\t\r\n null \n", `false`, `"x"`, `""`, `{}`, `[]`, `[ ]`, `{ }`,
		`0`, `-0`, `-0.5e+10`, `1E-3`, `123456789012345678901234567890`, `1.0`,
		`{"k<>&":{"n":[{},[],"",0,true,false,null]}}`,
		`"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, "\"invalid \xff utf-8 \xc3\"",
		`"` + strings.Repeat("a", 300) + `"`,
		// Invalid.
		``, ` `, `{`, `}`, `[`, `]`, `{"a":}`, `{"a" 1}`, `{a:1}`, `{"a":1,}`, `[1,]`, `[,1]`,
		`1 2`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `tru`, `nul`, `falsey`, `nan`,
		`"unterminated`, `"bad \x escape"`, `"\u12"`, `"\u12g4"`, "\"ctl \x01\"", "\"tab \t\"",
		`{"a":1}}`, `[1]]`, `[}`, `{]`, `{"a":1 "b":2}`, "\xef\xbb\xbf{}", `"\`,
		strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		strings.Repeat(`{"a":`, maxJSONDepth) + "1" + strings.Repeat("}", maxJSONDepth),
		strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1),
	} {
		checkCompact(t, []byte(s))
	}
	if _, err := CompactJSON(nil, []byte(`{"a":1,}`)); err == nil || !strings.Contains(err.Error(), "offset 7") {
		t.Errorf("the error %v does not give the offset 7", err)
	}
}

func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, -2.5e3, "<&>"], "b": {"c": null}}`, " [true, false] ", `"\u2028"`, "\"\xe2\x80\xa9\"", `{"a":}`, `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkCompact)
}

func BenchmarkCompactJSON(b *testing.B) {
	var report bytes.Buffer
	report.WriteString(`{"findings":[`)
	for i := range 60 {
		if i > 0 {
			report.WriteByte(',')
		}
		report.WriteString(`{"check":"sentence_length","severity":"warning","message":"This sentence has 31 words; keep it under 25 <b>words</b> & split it.","span":{"start":1200,"end":1380},"score":0.75}`)
	}
	report.WriteString(`],"figures":{"words":1000,"flesch":61.2}}`)
	src := report.Bytes()
	b.Run("copydesk", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var dst []byte
		for b.Loop() {
			var err error
			if dst, err = CompactJSON(dst[:0], src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, err := json.Marshal(json.RawMessage(src)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("valid/copydesk", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if !ValidJSON(src) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("valid/encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if !json.Valid(src) {
				b.Fatal("invalid")
			}
		}
	})
}
