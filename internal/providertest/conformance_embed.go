package providertest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// runEmbedConformance checks an adapter that implements copydesk.Embedder:
// vectors in input order and at the asked size, the provider's token count,
// the error classes, and requests refused before any call. Formats without
// an embedding API (Anthropic) must not implement it.
func runEmbedConformance(t *testing.T, h Harness) {
	t.Run("Embed", func(t *testing.T) {
		t.Parallel()
		srv, p := h.setup(t, Options{})
		e, ok := p.(copydesk.Embedder)
		if h.Format == FormatAnthropic {
			if ok {
				t.Error("an Anthropic adapter implements Embedder, but Anthropic has no embedding API")
			}
			return
		}
		if !ok {
			t.Fatalf("%T does not implement copydesk.Embedder", p)
		}
		inputs := []string{"Fresh bread every morning", "Sourdough from Utrecht", "Open on Sundays"}
		for _, dims := range []int{0, 16} {
			req := copydesk.ModelRequest{Model: h.model(), Input: inputs, Dimensions: dims}
			resp, err := e.Embed(context.Background(), req)
			if err != nil {
				t.Fatalf("Embed (dimensions %d): %v", dims, err)
			}
			if len(resp.Embeddings) != len(inputs) {
				t.Fatalf("got %d vectors, want %d", len(resp.Embeddings), len(inputs))
			}
			for i, in := range inputs {
				if want := Embedding(in, dims); !slices.Equal(resp.Embeddings[i], want) {
					t.Errorf("vector %d: got %v, want %v (the input's own, in order)", i, resp.Embeddings[i], want)
				}
			}
			if want := EmbeddingTokens(inputs); resp.Usage.InputTokens != want || resp.Usage.OutputTokens != 0 {
				t.Errorf("got usage %+v, want %d input tokens and no output", resp.Usage, want)
			}
			got, _ := srv.LastRequest()
			if got.Provider != h.Format || got.Model != h.model() || !slices.Equal(got.Input, inputs) || got.Dimensions != dims {
				t.Errorf("the fake got %+v, want %s/%s input %v dimensions %d", got, h.Format, h.model(), inputs, dims)
			}
		}
	})
	if h.Format == FormatAnthropic {
		return
	}

	for _, tc := range []struct {
		name       string
		b          Behaviour
		kind       copydesk.ProviderErrorKind
		retryAfter time.Duration
	}{
		{"429", Behaviour{Kind: RateLimited, RetryAfter: 3 * time.Second}, copydesk.ProviderRateLimited, 3 * time.Second},
		{"500", Behaviour{Kind: ServerError}, copydesk.ProviderServer, 0},
		{"400", Behaviour{Kind: BadRequest}, copydesk.ProviderBadRequest, 0},
		{"401", Behaviour{Kind: Unauthorized}, copydesk.ProviderAuth, 0},
	} {
		t.Run("EmbedError/"+tc.name, func(t *testing.T) {
			t.Parallel()
			srv, p := h.setup(t, Options{})
			srv.Enqueue(tc.b)
			_, err := p.(copydesk.Embedder).Embed(context.Background(), copydesk.ModelRequest{Model: h.model(), Input: []string{"x"}})
			pe := MustProviderError(t, p, err, tc.kind)
			if tc.retryAfter > 0 && pe.RetryAfter != tc.retryAfter {
				t.Errorf("got RetryAfter %s, want %s", pe.RetryAfter, tc.retryAfter)
			}
			if srv.Calls() != 1 {
				t.Errorf("got %d calls, want exactly 1 (no SDK retries)", srv.Calls())
			}
		})
	}

	t.Run("EmbedRefused", func(t *testing.T) {
		t.Parallel()
		srv, p := h.setup(t, Options{})
		for _, req := range []copydesk.ModelRequest{
			{Model: h.model()},
			{Input: []string{"x"}},
			{Model: h.model(), Input: []string{"x"}, Dimensions: -1},
		} {
			_, err := p.(copydesk.Embedder).Embed(context.Background(), req)
			MustProviderError(t, p, err, copydesk.ProviderBadRequest)
		}
		if srv.Calls() != 0 {
			t.Errorf("got %d calls, want none for refused requests", srv.Calls())
		}
	})
}

// runCountConformance checks an adapter that implements
// copydesk.TokenCounter against the fake's counting endpoint.
func runCountConformance(t *testing.T, h Harness) {
	t.Run("CountTokens", func(t *testing.T) {
		t.Parallel()
		srv, p := h.setup(t, Options{})
		c, ok := p.(copydesk.TokenCounter)
		if !ok {
			if h.Format != FormatOpenAI {
				t.Fatalf("%T does not implement copydesk.TokenCounter, but %s has a counting API", p, h.Format)
			}
			return // OpenAI's Chat Completions API has no counting endpoint
		}
		req := h.request()
		n, err := c.CountTokens(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		counts := srv.CountCalls()
		if len(counts) != 1 {
			t.Fatalf("got %d counting calls, want 1", len(counts))
		}
		if want := Tokens(counts[0], "").InputTokens; n != want || want != Tokens(Request{System: req.System, Messages: req.Messages}, "").InputTokens {
			t.Errorf("got %d tokens, want %d (system and every message)", n, want)
		}
		if counts[0].Model != req.Model || srv.Calls() != 0 {
			t.Errorf("counted for model %q with %d model calls, want %q and none", counts[0].Model, srv.Calls(), req.Model)
		}
		srv.SetDefault(Behaviour{Kind: Unauthorized})
		_, err = c.CountTokens(context.Background(), req)
		MustProviderError(t, p, err, copydesk.ProviderAuth)
	})
}
