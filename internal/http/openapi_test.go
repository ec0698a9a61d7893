package http

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes keeps the OpenAPI document true: every
// registered route is documented and every documented operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	s := &Server{mux: http.NewServeMux(), MetricsHandler: http.NotFoundHandler(), Alerts: func() any { return nil }, DailyReport: func(context.Context) (any, error) { return nil, nil },
		Prices: func(context.Context) (any, error) { return nil, nil }, Cache: CacheOps{Stats: func(context.Context) any { return nil }}}
	s.registerRoutes()
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		// A ServeMux wildcard matching the rest of the path, {id...}, is
		// an ordinary path parameter in OpenAPI.
		pattern := strings.ReplaceAll(r.Pattern, "...}", "}")
		key := strings.ToLower(r.Method) + " " + pattern
		registered[key] = true
		ops, ok := doc.Paths[pattern]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, r.Pattern)
			continue
		}
		if _, ok := ops[strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s: openapi.json has the path but not the method", r.Method, r.Pattern)
		}
	}
	methods := []string{"get", "post", "put", "patch", "delete"}
	for path, ops := range doc.Paths {
		for m := range ops {
			if !slices.Contains(methods, m) {
				continue // parameters, summary…
			}
			if !registered[m+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not registered", strings.ToUpper(m), path)
			}
		}
	}
}
