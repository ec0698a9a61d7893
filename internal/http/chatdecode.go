package http

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/copydesk/copydesk/internal/jsonappend"
)

// fastDecoder is a body type that can decode the common shapes of itself
// without encoding/json.
type fastDecoder interface {
	// decodeFast decodes body (a JSON object, valid UTF-8) and reports
	// true when the result is exactly what json.Unmarshal gives; false
	// leaves the value zero for json.Unmarshal to decode it (and to
	// name what is wrong).
	decodeFast(body []byte) bool
}

// Top-level fields of a chat request that decodeFast reads.
var chatFields = [...]string{"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "n", "tools", "response_format"}

// decodeFast reads a chat request as encoding/json would, for the bodies
// SDKs send: a model, messages of a role and a content, stream flags,
// token limits, a temperature, tools, and fields Copydesk does not read
// (skipped after being checked, as encoding/json skips them). Anything
// else — a null, an escaped name or role, a key that matches a field only
// without regard to case, a repeated field, a response_format, a number
// of the wrong form, invalid JSON — is left to json.Unmarshal. Decoding a
// request was 9 % of a cache hit's CPU, two thirds of it encoding/json's
// validating scan and reflection (TestChatDecodeFast and FuzzChatDecodeFast
// compare the two).
func (c *chatRequest) decodeFast(body []byte) bool {
	if !c.decode(&reader{b: body}) {
		*c = chatRequest{}
		return false
	}
	return true
}

func (c *chatRequest) decode(r *reader) bool {
	var seen [len(chatFields)]bool
	return r.object(func(key []byte) bool {
		f := field(key, chatFields[:])
		if f < 0 {
			return f == -1 && r.skip()
		}
		if seen[f] {
			return false
		}
		seen[f] = true
		switch chatFields[f] {
		case "model":
			return r.str(&c.Model)
		case "messages":
			return c.decodeMessages(r)
		case "stream":
			return r.boolean(&c.Stream)
		case "stream_options":
			c.StreamOptions = &struct {
				IncludeUsage bool `json:"include_usage"`
			}{}
			done := false
			return r.object(func(key []byte) bool {
				switch field(key, []string{"include_usage"}) {
				case -1:
					return r.skip()
				case 0:
					if done {
						return false
					}
					done = true
					return r.boolean(&c.StreamOptions.IncludeUsage)
				}
				return false
			})
		case "max_tokens":
			return r.intPtr(&c.MaxTokens)
		case "max_completion_tokens":
			return r.intPtr(&c.MaxCompletionTokens)
		case "n":
			return r.intPtr(&c.N)
		case "temperature":
			return r.floatPtr(&c.Temperature)
		case "tools":
			return r.raw(&c.Tools)
		}
		return false // response_format: encoding/json's
	})
}

func (c *chatRequest) decodeMessages(r *reader) bool {
	r.ws()
	if !r.byte('[') {
		return false
	}
	c.Messages = make([]chatMessage, 0, 4)
	r.ws()
	if r.byte(']') {
		return true
	}
	for {
		var m chatMessage
		var role, content bool
		if !r.object(func(key []byte) bool {
			switch field(key, []string{"role", "content"}) {
			case -1:
				return r.skip()
			case 0:
				if role {
					return false
				}
				role = true
				return r.str(&m.Role)
			case 1:
				if content {
					return false
				}
				content = true
				return r.raw(&m.Content)
			}
			return false
		}) {
			return false
		}
		c.Messages = append(c.Messages, m)
		r.ws()
		if r.byte(']') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

// field returns the index of key in names, -1 when encoding/json would
// ignore it (it matches no name, even without regard to case), and -2
// when it is left to encoding/json (escaped, or a match only without
// regard to case).
func field(key []byte, names []string) int {
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

// reader reads JSON from b at i. Its methods report false for anything
// decodeFast leaves to encoding/json.
type reader struct {
	b []byte
	i int
}

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (r *reader) byte(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object, calling member with each key (unquoted, escapes
// left in) when its value is next; the whole body must be this object
// when it is the top level.
func (r *reader) object(member func(key []byte) bool) bool {
	top := r.i == 0
	r.ws()
	if !r.byte('{') {
		return false
	}
	r.ws()
	if !r.byte('}') {
		for {
			r.ws()
			key, ok := r.quoted()
			if !ok {
				return false
			}
			r.ws()
			if !r.byte(':') {
				return false
			}
			r.ws()
			if !member(key) {
				return false
			}
			r.ws()
			if r.byte('}') {
				break
			}
			if !r.byte(',') {
				return false
			}
		}
	}
	if top {
		r.ws()
		return r.i == len(r.b)
	}
	return true
}

// quoted reads a string and returns its bytes between the quotes.
func (r *reader) quoted() ([]byte, bool) {
	if !r.byte('"') {
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
			r.i += 2 // the escape is checked by whoever reads it
		case c < 0x20:
			return nil, false
		default:
			r.i++
		}
	}
	return nil, false
}

// str reads a string without escapes (the body is valid UTF-8).
func (r *reader) str(dst *string) bool {
	s, ok := r.quoted()
	if !ok || bytes.IndexByte(s, '\\') >= 0 {
		return false
	}
	*dst = string(s)
	return true
}

func (r *reader) boolean(dst *bool) bool {
	switch {
	case bytes.HasPrefix(r.b[r.i:], []byte("true")):
		*dst, r.i = true, r.i+4
	case bytes.HasPrefix(r.b[r.i:], []byte("false")):
		*dst, r.i = false, r.i+5
	default:
		return false
	}
	return r.i == len(r.b) || !isLetter(r.b[r.i])
}

// number reads a JSON number and returns it.
func (r *reader) number() ([]byte, bool) {
	start := r.i
	r.byte('-')
	digits := func() bool {
		j := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		return r.i > j
	}
	if r.byte('0') {
		if r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			return nil, false
		}
	} else if !digits() {
		return nil, false
	}
	if r.byte('.') && !digits() {
		return nil, false
	}
	if r.byte('e') || r.byte('E') {
		if !r.byte('+') {
			r.byte('-')
		}
		if !digits() {
			return nil, false
		}
	}
	if r.i < len(r.b) && (isLetter(r.b[r.i]) || r.b[r.i] == '.' || r.b[r.i] == '"') {
		return nil, false
	}
	return r.b[start:r.i], true
}

func (r *reader) intPtr(dst **int) bool {
	lit, ok := r.number()
	if !ok {
		return false
	}
	n, err := strconv.Atoi(string(lit)) // a fraction or an exponent fails: encoding/json's
	if err != nil {
		return false
	}
	*dst = &n
	return true
}

func (r *reader) floatPtr(dst **float64) bool {
	lit, ok := r.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return false
	}
	*dst = &f
	return true
}

// raw reads a value other than null, checked, as a copy.
func (r *reader) raw(dst *json.RawMessage) bool {
	start := r.i
	if bytes.HasPrefix(r.b[r.i:], []byte("null")) || !r.skip() {
		return false
	}
	*dst = bytes.Clone(r.b[start:r.i])
	return true
}

// skip passes one value, checked as json.Valid checks it.
func (r *reader) skip() bool {
	start, depth := r.i, 0
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
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
		if depth == 0 && r.i > start && (r.b[r.i-1] == '"' || r.b[r.i-1] == '}' || r.b[r.i-1] == ']') {
			return jsonappend.Valid(r.b[start:r.i])
		}
	}
	return depth == 0 && jsonappend.Valid(r.b[start:r.i])
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
