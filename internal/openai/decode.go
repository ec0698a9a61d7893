package openai

import (
	"encoding/json"

	"github.com/copydesk/copydesk/internal/jsonread"
)

// The answers Complete and Stream read are decoded with jsonread, exactly
// as encoding/json decodes them into completion and completionChunk, and
// by encoding/json when jsonread does not take them (a key that matches a
// field only without regard to case, a repeated field, a value of another
// type…; FuzzDecodeCompletion and FuzzDecodeChunk compare the two).
// Decoding the answer was 3.5 % of an uncached call's CPU.

// decodeCompletion decodes a chat completion into cc.
func decodeCompletion(b []byte, cc *completion) error {
	r := jsonread.NewReader(b)
	if cc.read(r) && r.End() {
		return nil
	}
	*cc = completion{}
	return json.Unmarshal(b, cc)
}

func (cc *completion) read(r *jsonread.Reader) bool {
	return readAnswer(r, &cc.Model, &cc.Choices, func(ch *completionChoice) bool {
		return r.Fields([]string{"message", "finish_reason"}, func(f int) bool {
			if f == 1 {
				return r.String(&ch.FinishReason)
			}
			return r.Null() || readText(r, &ch.Message.Content, &ch.Message.Refusal)
		})
	}, func() bool { return r.Null() || cc.Usage.read(r) })
}

// UnmarshalJSON decodes a stream chunk (the SDK's stream decodes each
// event's data with json.Unmarshal).
func (ch *completionChunk) UnmarshalJSON(b []byte) error {
	r := jsonread.NewReader(b)
	if ch.read(r) && r.End() {
		return nil
	}
	type plain completionChunk // without this method
	*ch = completionChunk{}
	return json.Unmarshal(b, (*plain)(ch))
}

func (ch *completionChunk) read(r *jsonread.Reader) bool {
	return readAnswer(r, &ch.Model, &ch.Choices, func(c *chunkChoice) bool {
		return r.Fields([]string{"index", "delta", "finish_reason"}, func(f int) bool {
			switch f {
			case 0:
				return r.Null() || r.Int(&c.Index)
			case 1:
				return r.Null() || readText(r, &c.Delta.Content, &c.Delta.Refusal)
			}
			return r.String(&c.FinishReason)
		})
	}, func() bool {
		if r.Null() {
			ch.Usage = nil
			return true
		}
		ch.Usage = &completionUsage{}
		return ch.Usage.read(r)
	})
}

// readAnswer reads what an answer and a chunk share: the model, the
// choices (each read by choice) and the usage (read by usage).
func readAnswer[C any](r *jsonread.Reader, model *string, choices *[]C, choice func(*C) bool, usage func() bool) bool {
	return r.Fields([]string{"model", "choices", "usage"}, func(f int) bool {
		switch f {
		case 0:
			return r.String(model)
		case 1:
			if r.Null() {
				*choices = nil
				return true
			}
			*choices = make([]C, 0, 1)
			return r.Array(func() bool {
				*choices = append(*choices, *new(C))
				return choice(&(*choices)[len(*choices)-1])
			})
		}
		return usage()
	})
}

// readText reads an object's content and refusal (a message or a delta).
func readText(r *jsonread.Reader, content, refusal *string) bool {
	return r.Fields([]string{"content", "refusal"}, func(f int) bool {
		if f == 0 {
			return r.String(content)
		}
		return r.String(refusal)
	})
}

func (u *completionUsage) read(r *jsonread.Reader) bool {
	return r.Fields([]string{"prompt_tokens", "completion_tokens", "prompt_tokens_details"}, func(f int) bool {
		switch f {
		case 0:
			return r.Float(&u.PromptTokens)
		case 1:
			return r.Float(&u.CompletionTokens)
		}
		return r.Null() || r.Fields([]string{"cached_tokens"}, func(int) bool {
			return r.Float(&u.PromptTokensDetails.CachedTokens)
		})
	})
}
