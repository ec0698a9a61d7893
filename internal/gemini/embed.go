package gemini

import (
	"context"
	"strings"

	"google.golang.org/genai"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var (
	_ copydesk.Embedder     = (*Client)(nil)
	_ copydesk.TokenCounter = (*Client)(nil)
)

// Embed runs a batchEmbedContents call: one vector per req.Input, in order.
// Gemini's embedding API reports no token usage, so the input is counted
// with countTokens on the same model at the same time (a free call); if
// that fails, the input is billed as one token per byte, an upper bound,
// so that a call is never billed below what Google charges. Errors are
// *copydesk.ProviderError, except a cancelled ctx.
func (c *Client) Embed(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	switch {
	case req.Model == "":
		return nil, c.errorf(copydesk.ProviderBadRequest, nil, "the request names no model")
	case len(req.Input) == 0:
		return nil, c.errorf(copydesk.ProviderBadRequest, nil, "the request has no input to embed")
	case req.Dimensions < 0 || req.Dimensions > 1<<20:
		return nil, c.errorf(copydesk.ProviderBadRequest, nil, "Dimensions %d is out of range", req.Dimensions)
	}
	contents := make([]*genai.Content, len(req.Input))
	for i, in := range req.Input {
		contents[i] = genai.NewContentFromText(in, genai.RoleUser)
	}
	cfg := &genai.EmbedContentConfig{}
	if req.Dimensions > 0 {
		cfg.OutputDimensionality = genai.Ptr(int32(req.Dimensions))
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	counted := make(chan int, 1)
	go func() {
		n := 0
		if res, err := c.sdk.Models.CountTokens(ctx, req.Model, contents, nil); err == nil && res.TotalTokens > 0 {
			n = int(res.TotalTokens)
		}
		counted <- n
	}()
	res, err := c.sdk.Models.EmbedContent(ctx, req.Model, contents, cfg)
	tokens := <-counted
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	if len(res.Embeddings) != len(req.Input) {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the answer has %d embeddings for %d inputs", len(res.Embeddings), len(req.Input))
	}
	vecs := make([]copydesk.Vector, len(res.Embeddings))
	for i, e := range res.Embeddings {
		if e == nil || len(e.Values) == 0 {
			return nil, c.errorf(copydesk.ProviderInvalid, nil, "embedding %d is empty", i)
		}
		vecs[i] = e.Values
	}
	if tokens == 0 {
		for _, in := range req.Input {
			tokens += max(len(in), 1)
		}
	}
	return &copydesk.ModelResponse{Model: req.Model, FinishReason: "stop", Usage: copydesk.Usage{InputTokens: tokens}, Embeddings: vecs}, nil
}

// CountTokens counts req's input tokens with Gemini's countTokens. The
// Gemini API counts no system instruction, so the system prompt is counted
// as a leading user turn (the same text, the same tokens). Errors are
// *copydesk.ProviderError, except a cancelled ctx.
func (c *Client) CountTokens(ctx context.Context, req copydesk.ModelRequest) (int, error) {
	contents, gc, err := c.params(req)
	if err != nil {
		return 0, err
	}
	if gc.SystemInstruction != nil {
		var sys strings.Builder
		for _, p := range gc.SystemInstruction.Parts {
			sys.WriteString(p.Text)
		}
		contents = append([]*genai.Content{genai.NewContentFromText(sys.String(), genai.RoleUser)}, contents...)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	res, err := c.sdk.Models.CountTokens(ctx, req.Model, contents, nil)
	if err != nil {
		return 0, c.classify(ctx, err)
	}
	return int(res.TotalTokens), nil
}
