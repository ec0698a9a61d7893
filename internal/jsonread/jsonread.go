// Package jsonread decodes the common shapes of a few hot JSON documents
// (a chat request, a provider's answer and its stream chunks) without
// encoding/json's validating pre-scan and reflection, giving exactly what
// encoding/json gives. A Reader's methods report false for anything they
// do not take — a shape the caller did not expect, a key that matches a
// field only without regard to case, invalid JSON — and the caller then
// decodes the whole document with encoding/json, which names what is
// wrong. Fuzz tests in the callers compare the two decodings.
package jsonread

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/jsonappend"
)

// Reader reads a JSON document from its start.
type Reader struct {
	b []byte
	i int
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// WS passes blanks.
func (r *Reader) WS() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// Byte consumes c if it comes next.
func (r *Reader) Byte(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// End reports whether only blanks are left.
func (r *Reader) End() bool {
	r.WS()
	return r.i == len(r.b)
}

// Null consumes null if it comes next (after blanks).
func (r *Reader) Null() bool {
	r.WS()
	if bytes.HasPrefix(r.b[r.i:], []byte("null")) && (r.i+4 == len(r.b) || !identByte(r.b[r.i+4])) {
		r.i += 4
		return true
	}
	return false
}

// Object reads an object, calling member with each key (as written,
// escapes included; see Field) when its value comes next.
func (r *Reader) Object(member func(key []byte) bool) bool {
	r.WS()
	if !r.Byte('{') {
		return false
	}
	r.WS()
	if r.Byte('}') {
		return true
	}
	for {
		r.WS()
		key, ok := r.quoted()
		if !ok {
			return false
		}
		r.WS()
		if !r.Byte(':') {
			return false
		}
		r.WS()
		if !member(key) {
			return false
		}
		r.WS()
		if r.Byte('}') {
			return true
		}
		if !r.Byte(',') {
			return false
		}
	}
}

// Fields reads an object whose keys of interest are names (at most 64),
// calling read with a key's index in names when its value comes next.
// Other keys are skipped, their values checked; a key given twice, or one
// that matches a name only without regard to case, is not taken (see
// Field).
func (r *Reader) Fields(names []string, read func(i int) bool) bool {
	var seen uint64
	return r.Object(func(key []byte) bool {
		f := Field(key, names...)
		if f < 0 {
			return f == -1 && r.Skip()
		}
		if seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		return read(f)
	})
}

// Array reads an array, calling elem when each element comes next.
func (r *Reader) Array(elem func() bool) bool {
	r.WS()
	if !r.Byte('[') {
		return false
	}
	r.WS()
	if r.Byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		r.WS()
		if r.Byte(']') {
			return true
		}
		if !r.Byte(',') {
			return false
		}
	}
}

// Field returns the index of key among names, -1 when encoding/json would
// ignore the key (it matches no name, even without regard to case), and
// -2 when the document is left to encoding/json (an escaped key, or one
// that matches a name only without regard to case, as encoding/json
// matches them).
func Field(key []byte, names ...string) int {
	if bytes.IndexByte(key, '\\') >= 0 {
		return -2
	}
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return -2
		}
	}
	return -1
}

// quoted reads a string and returns its bytes between the quotes, escapes
// as written (checked only for their shape).
func (r *Reader) quoted() ([]byte, bool) {
	if !r.Byte('"') {
		return nil, false
	}
	start := r.i
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			return r.b[start : r.i-1], true
		case c == '\\':
			if r.i+1 >= len(r.b) {
				return nil, false
			}
			r.i += 2
		case c < 0x20:
			return nil, false
		default:
			r.i++
		}
	}
	return nil, false
}

// String reads a string as encoding/json decodes it into a string:
// escapes resolved, a lone surrogate and each byte of invalid UTF-8 as
// U+FFFD. A null leaves dst as it is, as encoding/json does.
func (r *Reader) String(dst *string) bool {
	if r.Null() {
		return true
	}
	s, ok := r.quoted()
	if !ok {
		return false
	}
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		*dst = string(s)
		return true
	}
	return unquote(s, dst)
}

// unquote resolves the escapes of s (a string's bytes between its quotes).
func unquote(s []byte, dst *string) bool {
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i += 2
			case 'b':
				b, i = append(b, '\b'), i+2
			case 'f':
				b, i = append(b, '\f'), i+2
			case 'n':
				b, i = append(b, '\n'), i+2
			case 'r':
				b, i = append(b, '\r'), i+2
			case 't':
				b, i = append(b, '\t'), i+2
			case 'u':
				rr := hex4(s[i+2:])
				if rr < 0 {
					return false
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if rr1 := hex4(s[i+2:]); rr1 >= 0 {
							if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
								b, i = utf8.AppendRune(b, dec), i+6
								break
							}
						}
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
			default:
				return false
			}
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			b, i = append(b, c), i+1
		default:
			rr, size := utf8.DecodeRune(s[i:])
			if rr == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	*dst = string(b)
	return true
}

// hex4 is the rune of the four hex digits at the start of s, or -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// Bool reads true or false.
func (r *Reader) Bool(dst *bool) bool {
	r.WS()
	switch {
	case bytes.HasPrefix(r.b[r.i:], []byte("true")):
		*dst, r.i = true, r.i+4
	case bytes.HasPrefix(r.b[r.i:], []byte("false")):
		*dst, r.i = false, r.i+5
	default:
		return false
	}
	return r.i == len(r.b) || !identByte(r.b[r.i])
}

// number reads a JSON number and returns it as written.
func (r *Reader) number() ([]byte, bool) {
	r.WS()
	start := r.i
	r.Byte('-')
	digits := func() bool {
		j := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		return r.i > j
	}
	if r.Byte('0') {
		if r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			return nil, false
		}
	} else if !digits() {
		return nil, false
	}
	if r.Byte('.') && !digits() {
		return nil, false
	}
	if r.Byte('e') || r.Byte('E') {
		if !r.Byte('+') {
			r.Byte('-')
		}
		if !digits() {
			return nil, false
		}
	}
	if r.i < len(r.b) && (identByte(r.b[r.i]) || r.b[r.i] == '.' || r.b[r.i] == '"') {
		return nil, false
	}
	return r.b[start:r.i], true
}

// Int reads an integer into an int, as encoding/json does (a fraction,
// an exponent or an overflow is not taken).
func (r *Reader) Int(dst *int) bool {
	lit, ok := r.number()
	if !ok {
		return false
	}
	n, err := strconv.Atoi(string(lit))
	if err != nil {
		return false
	}
	*dst = n
	return true
}

// Float reads a number into a float64, as encoding/json does (one out of
// range is not taken). A null leaves dst as it is.
func (r *Reader) Float(dst *float64) bool {
	if r.Null() {
		return true
	}
	lit, ok := r.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return false
	}
	*dst = f
	return true
}

// Raw reads a value other than null, checked, as a copy.
func (r *Reader) Raw(dst *json.RawMessage) bool {
	r.WS()
	start := r.i
	if r.Null() || !r.Skip() {
		return false
	}
	*dst = bytes.Clone(r.b[start:r.i])
	return true
}

// Skip passes one value, checked as json.Valid checks it.
func (r *Reader) Skip() bool {
	r.WS()
	start, depth := r.i, 0
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case '"':
			if _, ok := r.quoted(); !ok {
				return false
			}
		case '{', '[':
			depth++
			r.i++
		case '}', ']':
			if depth == 0 {
				return jsonappend.Valid(r.b[start:r.i])
			}
			depth--
			r.i++
		case ',':
			if depth == 0 {
				return jsonappend.Valid(r.b[start:r.i])
			}
			r.i++
		default:
			r.i++
		}
		if depth == 0 && r.i > start {
			if c := r.b[r.i-1]; c == '"' || c == '}' || c == ']' {
				return jsonappend.Valid(r.b[start:r.i])
			}
		}
	}
	return depth == 0 && jsonappend.Valid(r.b[start:r.i])
}

func identByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
