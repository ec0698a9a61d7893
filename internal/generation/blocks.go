package generation

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// MaxFieldRunes caps one string of a generated block, in characters. The
// cap is checked here rather than with maxLength in the schema, which
// OpenAI's strict structured output does not accept.
const MaxFieldRunes = 1500

// spec is what Copydesk knows of one block type: the schema asked of the
// model, its output cap and the string fields that may stay empty.
type spec struct {
	Type      string
	MaxTokens int
	// Schema is the JSON schema sent to the model and checked on its answer.
	Schema json.RawMessage
	// MinItems and MaxItems bound the block's list, for the prompt.
	MinItems, MaxItems int
	// Optional are the string fields (by property name) that may be empty.
	Optional []string
	compiled *jsonschema.Schema
}

// Schema builders: strict objects (additionalProperties false, every
// property required), as OpenAI's strict mode wants them.

type prop struct {
	name   string
	schema map[string]any
}

func str() map[string]any { return map[string]any{"type": "string"} }

func list(items map[string]any, minItems, maxItems int) map[string]any {
	return map[string]any{"type": "array", "items": items, "minItems": minItems, "maxItems": maxItems}
}

func obj(props ...prop) map[string]any {
	p := make(map[string]any, len(props))
	req := make([]string, len(props))
	for i, pr := range props {
		p[pr.name] = pr.schema
		req[i] = pr.name
	}
	return map[string]any{"type": "object", "additionalProperties": false, "required": req, "properties": p}
}

func field(name string) prop                     { return prop{name, str()} }
func fieldOf(name string, s map[string]any) prop { return prop{name, s} }

// specs are the block types, built and compiled on first use (not at
// package initialisation: "copydesk analyze" links this package too).
var specs = sync.OnceValue(buildSpecs)

func buildSpecs() map[string]*spec {
	type def struct {
		maxTokens          int
		schema             map[string]any
		minItems, maxItems int
		optional           []string
	}
	defs := map[string]def{
		"hero":         {300, obj(field("headline"), field("subheadline"), field("cta_label"), field("cta_url")), 0, 0, nil},
		"features":     {600, obj(field("title"), fieldOf("items", list(obj(field("title"), field("description")), 3, 6))), 3, 6, nil},
		"about":        {500, obj(field("title"), field("text"), fieldOf("highlights", list(str(), 2, 4))), 2, 4, nil},
		"services":     {700, obj(field("title"), field("intro"), fieldOf("items", list(obj(field("name"), field("description")), 2, 6))), 2, 6, nil},
		"testimonials": {600, obj(field("title"), fieldOf("items", list(obj(field("quote"), field("author"), field("role")), 2, 4))), 2, 4, nil},
		"faq":          {700, obj(field("title"), fieldOf("items", list(obj(field("question"), field("answer")), 3, 6))), 3, 6, nil},
		"cta":          {250, obj(field("headline"), field("text"), field("button_label"), field("button_url")), 0, 0, nil},
		"pricing": {900, obj(field("title"), fieldOf("plans", list(obj(
			field("name"), field("price"), field("period"), fieldOf("features", list(str(), 2, 6)),
			field("cta_label"), field("cta_url")), 1, 4))), 1, 4, nil},
		"contact": {300, obj(field("title"), field("text"), field("email"), field("phone"), field("address")), 0, 0,
			[]string{"email", "phone", "address"}},
	}
	out := make(map[string]*spec, len(defs))
	for _, t := range BlockTypes {
		d, ok := defs[t]
		if !ok {
			panic("generation: no spec for block type " + t)
		}
		raw, err := json.Marshal(d.schema)
		if err != nil {
			panic(err)
		}
		c := jsonschema.NewCompiler()
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		if err != nil {
			panic(err)
		}
		url := "copydesk:/generation/" + t + ".json"
		if err := c.AddResource(url, doc); err != nil {
			panic(err)
		}
		out[t] = &spec{
			Type: t, MaxTokens: d.maxTokens, Schema: raw, MinItems: d.minItems, MaxItems: d.maxItems,
			Optional: d.optional, compiled: c.MustCompile(url),
		}
	}
	return out
}

// block is a validated, sanitized block: its data as a JSON tree
// (map[string]any, []any, string) and its encoding.
type block struct {
	Type string
	Data map[string]any
	JSON json.RawMessage
}

// invalid is a model answer that is not a usable block: a ProviderInvalid
// error, which the cache layer never caches and RunJob retries once.
func invalid(provider, format string, args ...any) *copydesk.ProviderError {
	return &copydesk.ProviderError{Provider: provider, Kind: copydesk.ProviderInvalid, Message: fmt.Sprintf(format, args...)}
}

// errCapped marks the ProviderInvalid error of an answer that is not a
// usable block because the model stopped at the output cap: asking again
// with the same cap would be cut again.
var errCapped = errors.New("the answer was cut at the output cap")

// lengthStop reports a finish reason that means the output cap was
// reached: "length" (OpenAI), "max_tokens" (Anthropic), "MAX_TOKENS"
// (Gemini).
func lengthStop(reason string) bool {
	switch reason {
	case "length", "max_tokens", "MAX_TOKENS":
		return true
	}
	return false
}

// check decodes a model response as a block of this type, as decode; an
// answer that does not decode and stopped at the output cap is an invalid
// error wrapping errCapped. An answer that decodes is accepted whatever its
// finish reason: a cut answer is not valid JSON.
func (sp *spec) check(r *copydesk.ModelResponse, provider string, maxTokens int) error {
	_, err := sp.decodeResponse(r, provider, maxTokens)
	return err
}

// decodeResponse is check, returning the block.
func (sp *spec) decodeResponse(r *copydesk.ModelResponse, provider string, maxTokens int) (*block, error) {
	blk, err := sp.decode(r.Text, provider)
	if err != nil && lengthStop(r.FinishReason) {
		return nil, &copydesk.ProviderError{
			Provider: provider, Kind: copydesk.ProviderInvalid, Err: errCapped,
			Message: fmt.Sprintf("the %s block was cut at its cap of %d output tokens", sp.Type, maxTokens),
		}
	}
	return blk, err
}

// isCapped reports an answer cut at the output cap (see errCapped).
func isCapped(err error) bool { return errors.Is(err, errCapped) }

// stripFence removes a Markdown code fence (```json … ```) around an answer.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 && !strings.ContainsAny(s[:i], "{[") {
		s = s[i+1:] // the info string: json, JSON, …
	}
	s = strings.TrimSpace(s)
	return strings.TrimSpace(strings.TrimSuffix(s, "```"))
}

// decode reads a model's answer as a block of this type: JSON (a code
// fence around it tolerated) valid against the type's schema, every string
// sanitized to plain text (URLs to safe URLs), every required string
// non-empty after sanitizing and none longer than MaxFieldRunes. Errors are
// *copydesk.ProviderError of kind ProviderInvalid naming provider.
func (sp *spec) decode(answer, provider string) (*block, error) {
	text := stripFence(answer)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, invalid(provider, "the answer is not the JSON of a %s block", sp.Type)
	}
	if err := sp.compiled.Validate(inst); err != nil {
		msg := err.Error()
		if ve, ok := err.(*jsonschema.ValidationError); ok {
			msg = firstCause(ve)
		}
		return nil, invalid(provider, "the answer is not a valid %s block: %s", sp.Type, truncate(msg, 300))
	}
	data, ok := inst.(map[string]any)
	if !ok {
		return nil, invalid(provider, "the answer is not a JSON object")
	}
	if err := sp.clean(data, ""); err != nil {
		return nil, invalid(provider, "the answer is not a valid %s block: %s", sp.Type, err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, invalid(provider, "the answer cannot be encoded: %v", err)
	}
	return &block{Type: sp.Type, Data: data, JSON: raw}, nil
}

// firstCause returns the message of the innermost first cause of a
// validation error, with its location.
func firstCause(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := "/" + strings.Join(ve.InstanceLocation, "/")
	return loc + ": " + ve.ErrorKind.LocalizedString(printer())
}

// clean sanitizes every string of v in place and checks lengths and
// emptiness; path names the place for errors.
func (sp *spec) clean(v any, path string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := path + "/" + k
			if s, ok := e.(string); ok {
				if utf8.RuneCountInString(s) > MaxFieldRunes {
					return fmt.Errorf("%s is longer than %d characters", p, MaxFieldRunes)
				}
				c := cleanField(k, s)
				if c == "" && !slices.Contains(sp.Optional, k) {
					return fmt.Errorf("%s is empty", p)
				}
				x[k] = c
				continue
			}
			if err := sp.clean(e, p); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			p := fmt.Sprintf("%s/%d", path, i)
			if s, ok := e.(string); ok {
				if utf8.RuneCountInString(s) > MaxFieldRunes {
					return fmt.Errorf("%s is longer than %d characters", p, MaxFieldRunes)
				}
				if x[i] = plainText(s); x[i] == "" {
					return fmt.Errorf("%s is empty", p)
				}
				continue
			}
			if err := sp.clean(e, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanField sanitizes one named string field.
func cleanField(name, s string) string {
	switch {
	case isURLField(name):
		return safeURL(s)
	case name == "email":
		return safeEmail(s)
	case name == "phone":
		return safePhone(s)
	}
	return plainText(s)
}

// isURLField reports whether a property holds a link target.
func isURLField(name string) bool { return name == "url" || strings.HasSuffix(name, "_url") }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// printer renders schema validation messages.
var printer = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })
