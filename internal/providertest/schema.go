package providertest

import (
	"encoding/json"
	"sort"
)

// SchemaExample returns a small JSON value that satisfies a JSON schema's
// types, required properties and enums: what the simulated provider answers
// when structured output is asked for. Every string in it starts with
// "[simulated]" so that nothing it produces passes for real output. An
// unreadable schema yields "{}".
func SchemaExample(schema json.RawMessage) string {
	var s map[string]any
	if err := json.Unmarshal(schema, &s); err != nil {
		return "{}"
	}
	b, err := json.Marshal(example(s, "value", 0))
	if err != nil {
		return "{}"
	}
	return string(b)
}

func example(s map[string]any, name string, depth int) any {
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
				out[k] = example(ps, k, depth+1)
			}
		}
		return out
	case "array":
		items, _ := s["items"].(map[string]any)
		if items == nil {
			return []any{}
		}
		return []any{example(items, name, depth+1)}
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
	return "[simulated] " + name
}
