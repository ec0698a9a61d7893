package openai

import (
	"context"

	"github.com/openai/openai-go/v3"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var _ copydesk.Embedder = (*Client)(nil)

// Embed runs an embeddings call: one vector per req.Input, in order, with
// the prompt tokens the API reports. Errors are *copydesk.ProviderError,
// except a cancelled ctx, which returns an error wrapping context.Canceled.
func (c *Client) Embed(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	switch {
	case req.Model == "":
		return nil, c.errorf(copydesk.ProviderBadRequest, nil, "the request names no model")
	case len(req.Input) == 0:
		return nil, c.errorf(copydesk.ProviderBadRequest, nil, "the request has no input to embed")
	case req.Dimensions < 0:
		return nil, c.errorf(copydesk.ProviderBadRequest, nil, "Dimensions %d is negative", req.Dimensions)
	}
	params := openai.EmbeddingNewParams{
		Model:          req.Model,
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: req.Input},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	}
	if req.Dimensions > 0 {
		params.Dimensions = openai.Int(int64(req.Dimensions))
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	res, err := c.sdk.Embeddings.New(ctx, params)
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	if len(res.Data) != len(req.Input) {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the answer has %d embeddings for %d inputs", len(res.Data), len(req.Input))
	}
	vecs := make([]copydesk.Vector, len(req.Input))
	for _, d := range res.Data {
		if d.Index < 0 || int(d.Index) >= len(vecs) || vecs[d.Index] != nil {
			return nil, c.errorf(copydesk.ProviderInvalid, nil, "the answer has a bad or repeated embedding index %d", d.Index)
		}
		v := make([]float32, len(d.Embedding))
		for i, x := range d.Embedding {
			v[i] = float32(x)
		}
		vecs[d.Index] = v
	}
	return &copydesk.ModelResponse{
		Model:        cmpOr(res.Model, req.Model),
		FinishReason: "stop",
		Usage:        copydesk.Usage{InputTokens: int(res.Usage.PromptTokens)},
		Embeddings:   vecs,
	}, nil
}
