package http

import (
	"github.com/copydesk/copydesk/internal/jsonread"
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
// else — a null, a key that matches a field only without regard to case,
// a repeated field, a response_format, a number of the wrong form,
// invalid JSON — is left to json.Unmarshal. Decoding a
// request was 9 % of a cache hit's CPU, two thirds of it encoding/json's
// validating scan and reflection (TestChatDecodeFast and FuzzChatDecodeFast
// compare the two).
func (c *chatRequest) decodeFast(body []byte) bool {
	r := jsonread.NewReader(body)
	if !c.decode(r) || !r.End() {
		*c = chatRequest{}
		return false
	}
	return true
}

func (c *chatRequest) decode(r *jsonread.Reader) bool {
	return r.Fields(chatFields[:], func(f int) bool {
		if r.Null() {
			return false
		}
		switch chatFields[f] {
		case "model":
			return r.String(&c.Model)
		case "messages":
			return c.decodeMessages(r)
		case "stream":
			return r.Bool(&c.Stream)
		case "stream_options":
			c.StreamOptions = &struct {
				IncludeUsage bool `json:"include_usage"`
			}{}
			return r.Fields([]string{"include_usage"}, func(int) bool {
				return !r.Null() && r.Bool(&c.StreamOptions.IncludeUsage)
			})
		case "max_tokens":
			return intPtr(r, &c.MaxTokens)
		case "max_completion_tokens":
			return intPtr(r, &c.MaxCompletionTokens)
		case "n":
			return intPtr(r, &c.N)
		case "temperature":
			var f float64
			if !r.Float(&f) {
				return false
			}
			c.Temperature = &f
			return true
		case "tools":
			return r.Raw(&c.Tools)
		}
		return false // response_format: encoding/json's
	})
}

func intPtr(r *jsonread.Reader, dst **int) bool {
	var n int
	if !r.Int(&n) {
		return false
	}
	*dst = &n
	return true
}

func (c *chatRequest) decodeMessages(r *jsonread.Reader) bool {
	c.Messages = make([]chatMessage, 0, 4)
	return r.Array(func() bool {
		c.Messages = append(c.Messages, chatMessage{})
		m := &c.Messages[len(c.Messages)-1]
		return r.Fields([]string{"role", "content"}, func(f int) bool {
			if f == 0 {
				return !r.Null() && r.String(&m.Role)
			}
			return r.Raw(&m.Content)
		})
	})
}
