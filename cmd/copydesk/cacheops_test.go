package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/providertest"
)

// TestCacheOperations: warm-up analyzes ahead of time (model work at LOW
// priority), purge by key removes an entry, stats count it all, and a
// purge without a filter must say so.
func TestCacheOperations(t *testing.T) {
	t.Parallel()
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	url := m.HTTP.URL()
	w := postJSON(t, url+"/v1/cache/warm", map[string]any{"items": []map[string]any{
		{"content": "Our bakery bakes fresh bread every morning.", "language": "en"},
		{"content": dutchText, "language": "nl", "deep": []string{"grammar"}},
	}})
	if w.Status != 202 {
		t.Fatalf("warm: %d %s", w.Status, w.Body)
	}
	var warmed struct {
		Items []struct {
			ResultKey string `json:"result_key"`
			JobID     string `json:"job_id"`
			StreamURL string `json:"stream_url"`
		} `json:"items"`
	}
	w.json(t, &warmed)
	if len(warmed.Items) != 2 || warmed.Items[0].ResultKey == "" || warmed.Items[0].JobID != "" || warmed.Items[1].JobID == "" {
		t.Fatalf("warmed %+v", warmed.Items)
	}
	var job struct {
		Priority string `json:"priority"`
	}
	do(t, "GET", url+"/v1/jobs/"+warmed.Items[1].JobID, "", nil).json(t, &job)
	if job.Priority != "LOW" {
		t.Errorf("warm-up job priority %q, want LOW", job.Priority)
	}
	MustReadToDone(t, url+warmed.Items[1].StreamURL, 0)

	// The warmed content is now a cache hit.
	var again struct {
		Cached bool `json:"cached"`
	}
	postJSON(t, url+"/v1/analyses", map[string]any{"content": "Our bakery bakes fresh bread every morning.", "language": "en"}).json(t, &again)
	if !again.Cached {
		t.Error("warmed content was not served from the cache")
	}

	// Purge it by key: the content address no longer answers.
	key := warmed.Items[0].ResultKey
	if r := do(t, "GET", url+"/v1/analyses/"+key, "", nil); r.Status != 200 {
		t.Fatalf("before purge: %d", r.Status)
	}
	p := postJSON(t, url+"/v1/cache/purge", map[string]any{"key": key})
	if p.Status != 200 || !strings.Contains(string(p.Body), `"L1":1`) {
		t.Errorf("purge: %d %s", p.Status, p.Body)
	}
	if r := do(t, "GET", url+"/v1/analyses/"+key, "", nil); r.Status != 404 {
		t.Errorf("after purge: status %d, want 404", r.Status)
	}
	if r := postJSON(t, url+"/v1/cache/purge", map[string]any{}); r.Status != 400 {
		t.Errorf("purge without a filter: %d, want 400", r.Status)
	}
	if r := postJSON(t, url+"/v1/cache/purge", map[string]any{"tier": "forever"}); r.Status != 400 {
		t.Errorf("purge with a bad tier: %d, want 400", r.Status)
	}

	var stats struct {
		Total struct {
			Requests int64 `json:"requests"`
		} `json:"total"`
	}
	s := do(t, "GET", url+"/v1/cache/stats", "", nil)
	s.json(t, &stats)
	if s.Status != 200 || stats.Total.Requests == 0 {
		t.Errorf("stats: %d %s", s.Status, s.Body)
	}
}

// TestChatStreamThenJSONReplay: a streamed answer, once cached, is served
// to a non-streaming request as one JSON answer with the same text.
func TestChatStreamThenJSONReplay(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	body := map[string]any{"model": "auto", "stream": true, "messages": []map[string]string{{"role": "user", "content": "tell me about bread"}}}
	r := postJSON(t, m.HTTP.URL()+"/v1/chat/completions", body)
	if r.Status != 200 || !strings.Contains(string(r.Body), "data: [DONE]") {
		t.Fatalf("stream: %d %s", r.Status, r.Body)
	}
	body["stream"] = false
	j := postJSON(t, m.HTTP.URL()+"/v1/chat/completions", body)
	var ans struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	j.json(t, &ans)
	if j.Header.Get("X-Copydesk-Cache") != "hit" || fake.Calls() != 1 {
		t.Errorf("JSON after stream: cache %q, provider calls %d; want a hit and 1 call", j.Header.Get("X-Copydesk-Cache"), fake.Calls())
	}
	if len(ans.Choices) != 1 || !strings.HasPrefix(ans.Choices[0].Message.Content, providertest.SimulatedPrefix) {
		t.Errorf("replayed answer %+v", ans.Choices)
	}
	// Every delta of the streamed answer is in the JSON answer, in order.
	var streamed strings.Builder
	for _, line := range strings.Split(string(r.Body), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("chunk %q: %v", data, err)
		}
		for _, c := range chunk.Choices {
			streamed.WriteString(c.Delta.Content)
		}
	}
	if streamed.String() != ans.Choices[0].Message.Content {
		t.Errorf("streamed %q, replayed %q", streamed.String(), ans.Choices[0].Message.Content)
	}
}
