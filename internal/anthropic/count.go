package anthropic

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var _ copydesk.TokenCounter = (*Client)(nil)

// CountTokens counts the input tokens of req's system prompt and messages
// with Anthropic's free token counting endpoint (/v1/messages/count_tokens),
// the way the Messages API would bill them. Errors are
// *copydesk.ProviderError, except a cancelled ctx.
func (c *Client) CountTokens(ctx context.Context, req copydesk.ModelRequest) (int, error) {
	p, _, err := c.params(req)
	if err != nil {
		return 0, err
	}
	params := anthropic.MessageCountTokensParams{Model: p.Model, Messages: p.Messages, Tools: countTools(p.Tools)}
	if len(p.System) > 0 {
		params.System = anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: p.System}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	res, err := c.sdk.Messages.CountTokens(ctx, params)
	if err != nil {
		return 0, c.classify(ctx, err)
	}
	return int(res.InputTokens), nil
}

// countTools carries the structured-output tool into the count, since it
// is part of the prompt the Messages call sends.
func countTools(tools []anthropic.ToolUnionParam) []anthropic.MessageCountTokensToolUnionParam {
	var out []anthropic.MessageCountTokensToolUnionParam
	for _, t := range tools {
		if t.OfTool != nil {
			out = append(out, anthropic.MessageCountTokensToolUnionParam{OfTool: t.OfTool})
		}
	}
	return out
}
