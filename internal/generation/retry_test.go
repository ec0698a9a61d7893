package generation

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// scripted is a ModelService that answers each block type with a script:
// given the type and how often it was asked before, a text or an error.
// Under cache.Models (see scriptedModels), like the wiring.
type scripted struct {
	// finish, when set, is the finish reason of an answer longer than the
	// call's cap (in words), which is then cut there, as providers do.
	finish string
	mu     sync.Mutex
	calls  map[string]int // by block type
	caps   map[string][]int
	answer func(typ string, n int) (string, error)
}

func (s *scripted) Stream(_ context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	typ := strings.TrimPrefix(call.Request.SchemaName, "block_")
	s.mu.Lock()
	n := s.calls[typ]
	s.calls[typ]++
	s.caps[typ] = append(s.caps[typ], call.Request.MaxTokens)
	s.mu.Unlock()
	text, err := s.answer(typ, n)
	if err != nil {
		return nil, err
	}
	finish := "stop"
	if words := strings.Fields(text); s.finish != "" && len(words) > call.Request.MaxTokens {
		text, finish = strings.Join(words[:call.Request.MaxTokens], " "), s.finish
	}
	if onDelta != nil {
		if err := onDelta(text); err != nil {
			return nil, err
		}
	}
	return &copydesk.ModelResult{
		Response: &copydesk.ModelResponse{Text: text, Model: "sim-model", FinishReason: finish},
		Usage:    copydesk.UsageRecord{Kind: call.Kind, Provider: "script", Model: "sim-model", Cost: 1, Currency: "EUR"},
	}, nil
}

func (s *scripted) count(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[typ]
}

// scriptedModels returns cache.Models over a scripted service.
func scriptedModels(tb testing.TB, answer func(typ string, n int) (string, error)) (copydesk.ModelService, *scripted) {
	tb.Helper()
	s := &scripted{calls: map[string]int{}, caps: map[string][]int{}, answer: answer}
	l1 := cache.NewMemoryStore(cache.MemoryOptions{MaxBytes: 8 << 20})
	tb.Cleanup(l1.Close)
	c, err := cache.New(cache.Config{L1: l1})
	if err != nil {
		tb.Fatal(err)
	}
	return &cache.Models{Next: s, Cache: c, ModelSet: "test"}, s
}

func example(typ string) string { return providertest.SchemaExample(specs()[typ].Schema) }

func providerErr(kind copydesk.ProviderErrorKind) error {
	return &copydesk.ProviderError{Provider: "script", Kind: kind, Message: string(kind)}
}

// jobAttempt is MustJob for the given run of the job (1 is the first).
func jobAttempt(tb testing.TB, req Request, attempt int) *copydesk.Job {
	tb.Helper()
	job := MustJob(tb, req)
	job.Attempts = attempt
	return job
}

// TestRunJobTransientPartial: one block rate limited while the others
// succeed is a partial page with a retryable error, so the queue runs the
// job again; the re-run pays only for that block.
func TestRunJobTransientPartial(t *testing.T) {
	models, s := scriptedModels(t, func(typ string, n int) (string, error) {
		if typ == "faq" && n == 0 {
			return "", providerErr(copydesk.ProviderRateLimited)
		}
		return example(typ), nil
	})
	h := &Handler{Models: models}
	raw, status, err := h.RunJob(context.Background(), jobAttempt(t, acme, 1), (&recorder{}).Emit)
	if status != copydesk.JobPartial || raw == nil || !copydesk.Retryable(err) {
		t.Fatalf("got status %s, result %d bytes, error %v; want a partial page and a retryable error", status, len(raw), err)
	}
	if got := copydesk.FailureCode(err); got != "provider_rate_limited" {
		t.Errorf("got error code %s, want provider_rate_limited", got)
	}
	if got := s.count("faq"); got != 1 {
		t.Errorf("got %d faq calls, want 1: a provider failure is the queue's to retry", got)
	}

	rec := &recorder{}
	raw, status, err = h.RunJob(context.Background(), jobAttempt(t, acme, 2), rec.Emit)
	if err != nil || status != copydesk.JobSucceeded {
		t.Fatalf("re-run: got %s, %v; want succeeded", status, err)
	}
	for _, typ := range []string{"hero", "features", "testimonials", "cta"} {
		if got := s.count(typ); got != 1 {
			t.Errorf("re-run: got %d %s calls in all, want 1 (a cache hit the second time)", got, typ)
		}
	}
	if got := s.count("faq"); got != 2 {
		t.Errorf("re-run: got %d faq calls in all, want 2", got)
	}
	var page PageResult
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	for _, b := range page.Blocks {
		if b.Status != StatusSucceeded {
			t.Errorf("re-run: block %d %s: got %s", b.Index, b.Type, b.Status)
		}
	}
}

// TestRunJobPermanentPartial: some blocks invalid (a permanent failure),
// none transient: partial at once, with no error for the queue to retry.
func TestRunJobPermanentPartial(t *testing.T) {
	models, _ := scriptedModels(t, func(typ string, n int) (string, error) {
		switch typ {
		case "faq":
			return invalidFAQ, nil
		case "cta":
			return "", providerErr(copydesk.ProviderBadRequest)
		}
		return example(typ), nil
	})
	raw, status, err := (&Handler{Models: models}).RunJob(context.Background(), jobAttempt(t, acme, 1), (&recorder{}).Emit)
	if status != copydesk.JobPartial || raw == nil || err != nil {
		t.Errorf("got status %s, %d bytes, %v; want partial and no error", status, len(raw), err)
	}
}

// TestRunJobAllFailedError: a page whose every block failed returns the
// first retryable error when there is one (the queue runs the job again),
// else the invalid answer's error, which fails the job at once.
func TestRunJobAllFailedError(t *testing.T) {
	tests := []struct {
		name     string
		answers  map[string]error // by type; nil: an invalid answer
		wantCode string
	}{
		{"retryable first", map[string]error{"hero": providerErr(copydesk.ProviderRateLimited)}, "provider_rate_limited"},
		{"retryable last", map[string]error{"cta": providerErr(copydesk.ProviderServer)}, "provider_server"},
		{"invalid preferred over bad request", map[string]error{"cta": providerErr(copydesk.ProviderBadRequest)}, "provider_invalid"},
		{"all invalid", map[string]error{}, "provider_invalid"},
		{"only permanent", map[string]error{"hero": providerErr(copydesk.ProviderAuth), "cta": providerErr(copydesk.ProviderBadRequest)}, "provider_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			models, _ := scriptedModels(t, func(typ string, n int) (string, error) {
				if err := tt.answers[typ]; err != nil {
					return "", err
				}
				return "not json", nil
			})
			req := acme
			req.Blocks = []string{"hero", "cta"}
			raw, _, err := (&Handler{Models: models}).RunJob(context.Background(), jobAttempt(t, req, 1), (&recorder{}).Emit)
			if raw != nil || err == nil {
				t.Fatalf("got %s, %v; want no result and an error", raw, err)
			}
			if got := copydesk.FailureCode(err); got != tt.wantCode {
				t.Errorf("got error %v (code %s), want code %s", err, got, tt.wantCode)
			}
			if retry := copydesk.Retryable(err); retry != strings.Contains(tt.name, "retryable") {
				t.Errorf("got Retryable %v for %v", retry, err)
			}
		})
	}
}

// TestRunJobRerunAsksInvalidOnce: in a re-run of the job an invalid answer
// is not asked for twice.
func TestRunJobRerunAsksInvalidOnce(t *testing.T) {
	for _, tt := range []struct {
		attempt, want int
	}{{1, 2}, {2, 1}, {5, 1}} {
		models, s := scriptedModels(t, func(typ string, n int) (string, error) {
			if typ == "faq" {
				return invalidFAQ, nil
			}
			return "", providerErr(copydesk.ProviderTimeout)
		})
		req := acme
		req.Blocks = []string{"hero", "faq"}
		_, _, err := (&Handler{Models: models}).RunJob(context.Background(), jobAttempt(t, req, tt.attempt), (&recorder{}).Emit)
		if !copydesk.Retryable(err) {
			t.Errorf("attempt %d: got %v, want the retryable timeout", tt.attempt, err)
		}
		if got := s.count("faq"); got != tt.want {
			t.Errorf("attempt %d: got %d faq calls, want %d", tt.attempt, got, tt.want)
		}
		if got := s.count("hero"); got != 1 {
			t.Errorf("attempt %d: got %d hero calls, want 1", tt.attempt, got)
		}
	}
}

// longHero is a valid hero answer of about words words.
func longHero(words int) string {
	return `{"headline":"Fresh bread","subheadline":"` + strings.TrimSpace(strings.Repeat("a ", words)) +
		`","cta_label":"Order","cta_url":"/order"}`
}

// TestRunJobLengthStop: an answer cut at the output cap (with each
// adapter's finish reason) is asked for once more with twice the cap, not
// repeated identically; cut again, the block fails for good.
func TestRunJobLengthStop(t *testing.T) {
	heroCap := specs()["hero"].MaxTokens
	tests := []struct {
		name   string
		finish string
		words  int
		wantOK bool
	}{
		{"openai fits twice the cap", "length", heroCap + 100, true},
		{"anthropic fits twice the cap", "max_tokens", heroCap + 100, true},
		{"gemini fits twice the cap", "MAX_TOKENS", heroCap + 100, true},
		{"cut again", "length", 3 * heroCap, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			models, s := scriptedModels(t, func(string, int) (string, error) { return longHero(tt.words), nil })
			s.finish = tt.finish
			req := acme
			req.Blocks = []string{"hero"}
			rec := &recorder{}
			raw, status, err := (&Handler{Models: models}).RunJob(context.Background(), jobAttempt(t, req, 1), rec.Emit)
			if got := s.caps["hero"]; len(got) != 2 || got[0] != heroCap || got[1] != 2*heroCap {
				t.Errorf("got calls with caps %v, want [%d %d]", got, heroCap, 2*heroCap)
			}
			if tt.wantOK {
				if err != nil || status != copydesk.JobSucceeded || raw == nil {
					t.Errorf("got %s, %v; want succeeded", status, err)
				}
				return
			}
			if !isInvalid(err) || copydesk.Retryable(err) || !strings.Contains(copydesk.FailureMessage(err), "cap of 600 output tokens") {
				t.Errorf("got %v, want a permanent invalid error naming the cap", err)
			}
			failed := rec.Of(copydesk.EventTaskFailed)
			if len(failed) != 1 || !strings.Contains(failed[0].Data["message"].(string), "cut at its cap") {
				t.Errorf("got task.failed %v", failed)
			}
		})
	}
}

// TestLengthStopReasons: the finish reasons of the three adapters for an
// answer cut at the cap mark an undecodable answer as capped; a decodable
// answer is accepted whatever its reason.
func TestLengthStopReasons(t *testing.T) {
	sp := specs()["hero"]
	cut := validHero[:len(validHero)/2]
	for _, reason := range []string{"length", "max_tokens", "MAX_TOKENS"} {
		if _, err := sp.decodeResponse(&copydesk.ModelResponse{Text: cut, FinishReason: reason}, "p", 300); !isCapped(err) || !isInvalid(err) {
			t.Errorf("%s: got %v, want a capped invalid error", reason, err)
		}
		if _, err := sp.decodeResponse(&copydesk.ModelResponse{Text: validHero, FinishReason: reason}, "p", 300); err != nil {
			t.Errorf("%s: a complete answer: got %v", reason, err)
		}
	}
	for _, reason := range []string{"stop", "end_turn", "STOP", ""} {
		if _, err := sp.decodeResponse(&copydesk.ModelResponse{Text: cut, FinishReason: reason}, "p", 300); isCapped(err) || !isInvalid(err) {
			t.Errorf("%s: got %v, want an invalid error that is not capped", reason, err)
		}
	}
}

// TestRunJobResultEmitFails: a block whose task.result cannot be emitted
// is failed in the page, not "succeeded".
func TestRunJobResultEmitFails(t *testing.T) {
	models, _ := scriptedModels(t, func(typ string, n int) (string, error) { return example(typ), nil })
	rec := &recorder{}
	emit := func(ctx context.Context, typ string, data any) error {
		if m, _ := data.(map[string]any); typ == copydesk.EventTaskResult && m["type"] == "faq" {
			return copydesk.Errorf(copydesk.EUNAVAILABLE, "event store unavailable")
		}
		return rec.Emit(ctx, typ, data)
	}
	raw, status, err := (&Handler{Models: models}).RunJob(context.Background(), jobAttempt(t, acme, 1), emit)
	if status != copydesk.JobPartial || copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
		t.Errorf("got %s, %v; want partial and the emit's error", status, err)
	}
	var page PageResult
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	faq := page.Blocks[3]
	if faq.Type != "faq" || faq.Status != StatusFailed || faq.Error == nil || faq.Block != nil || faq.HTML != "" {
		t.Errorf("got faq block %+v, want failed with its error", faq)
	}
	if strings.Contains(page.HTML, "cd-faq") {
		t.Error("the page HTML holds the faq block")
	}
}
