package simulator

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SchemaExample returns a small JSON value that satisfies a JSON schema's
// types, required properties, enums and consts, array bounds (minItems
// items, at least one, at most maxItems) and string lengths (minLength,
// maxLength): what the simulated provider answers when structured output
// is asked for. Every string in it starts with "[simulated]" so that nothing
// it produces passes for real output (unless a maxLength shorter than that
// label forces a cut). The items of an array are told apart by a number
// ("[simulated] title 2"), so uniqueItems holds too. An unreadable schema
// yields "{}".
func SchemaExample(schema json.RawMessage) string {
	var s map[string]any
	if err := json.Unmarshal(schema, &s); err != nil {
		return "{}"
	}
	b, err := json.Marshal(example(s, "value", "", 0))
	if err != nil {
		return "{}"
	}
	return string(b)
}

func example(s map[string]any, name, suffix string, depth int) any {
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if c, ok := s["const"]; ok {
		return c
	}
	typ, _ := s["type"].(string)
	if list, ok := s["type"].([]any); ok && len(list) > 0 {
		typ, _ = list[0].(string)
	}
	if depth > 8 {
		return nil
	}
	switch typ {
	case "object":
		props, _ := s["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		sort.Strings(names)
		out := make(map[string]any, len(names))
		for _, k := range names {
			if ps, ok := props[k].(map[string]any); ok {
				out[k] = example(ps, k, suffix, depth+1)
			}
		}
		return out
	case "array":
		items, _ := s["items"].(map[string]any)
		if items == nil {
			return []any{}
		}
		n := 1
		if m, ok := count(s["minItems"]); ok && m > n {
			n = m
		}
		if m, ok := count(s["maxItems"]); ok && m < n {
			n = m
		}
		n = min(n, 64) // a schema asking for more is not a small example
		out := make([]any, n)
		for i := range out {
			sfx := suffix
			if i > 0 {
				sfx += " " + strconv.Itoa(i+1)
			}
			out[i] = example(items, name, sfx, depth+1)
		}
		return out
	case "integer", "number":
		if m, ok := s["minimum"].(float64); ok {
			return m
		}
		return 0
	case "boolean":
		return false
	case "null":
		return nil
	}
	return sized("[simulated] "+name+suffix, s)
}

// sized fits str to the schema's minLength (padding with dots) and
// maxLength (cutting at a rune boundary); lengths count runes, as JSON
// Schema does (code points).
func sized(str string, s map[string]any) string {
	if m, ok := count(s["minLength"]); ok {
		if short := m - utf8.RuneCountInString(str); short > 0 {
			str += strings.Repeat(".", short)
		}
	}
	if m, ok := count(s["maxLength"]); ok && utf8.RuneCountInString(str) > m {
		r := []rune(str)
		str = string(r[:m])
	}
	return str
}

// count reads a non-negative integer schema keyword (JSON numbers decode
// as float64).
func count(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 {
		return 0, false
	}
	return int(f), true
}
