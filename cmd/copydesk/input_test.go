package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// TestBodiesMustBeObjects sends null, an array, a string, a number and a
// boolean to every route that reads a JSON body, as the ADMIN (who may
// call them all), and wants 400 invalid from each, with nothing changed: a
// null glossary does not empty the glossary, a null key request creates no
// key. A registered POST, PUT or PATCH route missing from the table fails
// the test, so that a new route is checked too.
func TestBodiesMustBeObjects(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)
	u := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner@bodies.example")
	MustStatus(t, call(t, base, "PUT", "/v1/glossary", u.Key, map[string]any{"terms": []any{map[string]any{"term": "Copydesk", "do_not_translate": true}}}), 200, "glossary")

	r := call(t, base, "POST", "/v1/keys", admin, map[string]any{"user_id": u.UserID, "name": "patched"})
	MustStatus(t, r, 201, "a key to patch")
	var pk createdKey
	r.json(t, &pk)
	routes := map[string]string{ // pattern → path
		"POST /v1/auth/login":                           "/v1/auth/login",
		"POST /v1/analyses":                             "/v1/analyses",
		"POST /v1/chat/completions":                     "/v1/chat/completions",
		"POST /v1/messages":                             "/v1/messages",
		"POST /v1/messages/count_tokens":                "/v1/messages/count_tokens",
		"POST /v1/embeddings":                           "/v1/embeddings",
		"POST /v1/generations":                          "/v1/generations",
		"POST /v1/translations":                         "/v1/translations",
		"POST /v1/seo/suggestions":                      "/v1/seo/suggestions",
		"PUT /v1/glossary":                              "/v1/glossary?customer_id=" + u.CustomerID,
		"POST /v1/cache/purge":                          "/v1/cache/purge",
		"POST /v1/cache/warm":                           "/v1/cache/warm",
		"POST /v1/customers":                            "/v1/customers",
		"POST /v1/users":                                "/v1/users",
		"PATCH /v1/users/{id}":                          "/v1/users/" + u.UserID,
		"POST /v1/keys":                                 "/v1/keys",
		"PATCH /v1/keys/{id}":                           "/v1/keys/" + pk.APIKey.ID,
		"PUT /v1/budgets/{customer_id}":                 "/v1/budgets/" + u.CustomerID,
		"PUT /v1/budgets/{customer_id}/users/{user_id}": "/v1/budgets/" + u.CustomerID + "/users/" + u.UserID,
		"POST /v1/batches":                              "/v1/batches",
	}
	noJSONBody := map[string]bool{
		"POST /v1/auth/logout":          true, // no body
		"POST /v1/auth/token":           true, // no body
		"POST /v1/translation-memory":   true, // a TMX file
		"DELETE /v1/jobs/{id}":          true,
		"DELETE /v1/keys/{id}":          true,
		"DELETE /v1/translation-memory": true,
	}
	for _, rt := range m.HTTP.Routes() {
		p := rt.Method + " " + rt.Pattern
		if (rt.Method == "POST" || rt.Method == "PUT" || rt.Method == "PATCH") && routes[p] == "" && !noJSONBody[p] {
			t.Errorf("route %s takes a body but is not in the table", p)
		}
	}
	keysBefore := len(MustListKeys(t, base, admin))
	for pattern, path := range routes {
		method, _, _ := strings.Cut(pattern, " ")
		for _, body := range []string{"null", " null ", "[]", `[{"name":"x"}]`, `"x"`, "1", "true"} {
			key := admin
			if pattern == "POST /v1/auth/login" {
				key = ""
			}
			r := do(t, method, base+path, "application/json", []byte(body), "Authorization", "Bearer "+key)
			if key == "" {
				r = do(t, method, base+path, "application/json", []byte(body), "Authorization", "")
			}
			if r.Status != 400 || errorCode(r.Body) != copydesk.EINVALID {
				t.Errorf("%s with body %s: got %d %.200s, want 400 invalid", pattern, body, r.Status, r.Body)
			}
		}
	}
	r = call(t, base, "GET", "/v1/glossary", u.Key, nil)
	MustStatus(t, r, 200, "glossary after the bad bodies")
	var g copydesk.Glossary
	r.json(t, &g)
	if len(g.Terms) != 1 {
		t.Errorf("glossary after the bad bodies: got %d terms, want the 1 it had", len(g.Terms))
	}
	if n := len(MustListKeys(t, base, admin)); n != keysBefore {
		t.Errorf("keys after the bad bodies: got %d, want the %d there were", n, keysBefore)
	}
	for _, body := range []string{`{}`, `{"terms": null}`} {
		if r := do(t, "PUT", base+"/v1/glossary", "application/json", []byte(body), "Authorization", "Bearer "+u.Key); r.Status != 400 {
			t.Errorf("PUT /v1/glossary %s: got %d, want 400 (terms is required; [] empties it)", body, r.Status)
		}
	}
	MustStatus(t, call(t, base, "PUT", "/v1/glossary", u.Key, map[string]any{"terms": []any{}}), 200, "empty the glossary with []")
}

// MustListKeys returns every key the caller may list.
func MustListKeys(tb testing.TB, base, key string) []copydesk.APIKey {
	tb.Helper()
	r := call(tb, base, "GET", "/v1/keys", key, nil)
	MustStatus(tb, r, 200, "list keys")
	var list struct {
		Keys []copydesk.APIKey `json:"keys"`
	}
	r.json(tb, &list)
	return list.Keys
}

// errorCode returns the code of an error answer, in OpenAI's shape or
// Anthropic's.
func errorCode(body []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

// TestDeepEntries: repeated entries of deep (and types) count once, and a
// list longer than any honest one is refused before any work.
func TestDeepEntries(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base := m.HTTP.URL()
	admin := MustAdminKey(t, m)

	r := call(t, base, "POST", "/v1/analyses", admin, map[string]any{"content": dutchText, "language": "nl",
		"deep": []string{"grammar", "grammar", "tone", "grammar"}, "types": []string{"grammar", "grammar"}})
	MustStatus(t, r, 202, "deep analysis with repeats")
	var acc struct {
		Pending   []string `json:"pending"`
		StreamURL string   `json:"stream_url"`
	}
	r.json(t, &acc)
	if strings.Join(acc.Pending, ",") != "grammar.model,tone.model" {
		t.Errorf("pending: got %v, want [grammar.model tone.model]", acc.Pending)
	}
	evs := MustReadToDoneAs(t, base+acc.StreamURL, admin)
	started := 0
	for _, ev := range evs {
		if ev.Type == copydesk.EventTaskStarted {
			started++
		}
	}
	if started != 2 {
		t.Errorf("the job started %d tasks, want 2 (one per distinct analysis)", started)
	}

	many := make([]string, 20000)
	for i := range many {
		many[i] = "grammar"
	}
	for _, field := range []string{"deep", "types"} {
		r = call(t, base, "POST", "/v1/analyses", admin, map[string]any{"content": dutchText, "language": "nl", field: many})
		if r.Status != 400 || errorCode(r.Body) != copydesk.EINVALID || !strings.Contains(string(r.Body), field) {
			t.Errorf("%s with 20,000 entries: got %d %.200s, want 400 invalid naming %s", field, r.Status, r.Body, field)
		}
	}
}
