// Package anthropic is the Copydesk provider adapter for Anthropic's Messages
// API through the official SDK (github.com/anthropics/anthropic-sdk-go/v2).
//
// The SDK's own retries are off; a Client makes exactly one HTTP request per
// call and classifies every failure as a *copydesk.ProviderError for the
// router's retry and failover policy.
//
// Structured output (ModelRequest.JSONSchema) uses forced tool use by
// default: the schema becomes the input schema of a single tool the model
// must call, and the tool input is the answer. This works with every Claude
// model. Config.StructuredOutput = StructuredNative uses output_config.format
// instead, which newer models support.
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerhttp"
)

// Defaults of Config.
const (
	DefaultName      = "anthropic"
	DefaultBaseURL   = "https://api.anthropic.com/"
	DefaultTimeout   = 2 * time.Minute
	DefaultMaxTokens = 4096
)

// Values of Config.StructuredOutput.
const (
	StructuredTool   = "tool"
	StructuredNative = "native"
)

// Config configures one Client: one API key at one base URL.
type Config struct {
	// Name identifies the provider instance in config, logs, metrics and
	// errors. Default "anthropic".
	Name string
	// APIKey is the secret key. Required (the usual environment variable is
	// ANTHROPIC_API_KEY; Copydesk's config reads it, this package never does).
	APIKey string
	// BaseURL is the API root, without /v1. Default "https://api.anthropic.com/".
	BaseURL string
	// Headers are added to every request.
	Headers map[string]string
	// Timeout bounds one call, a whole stream included. Default 2 minutes.
	Timeout time.Duration
	// HTTPClient sends the requests. Default: a client of its own with a
	// connection pool sized for many concurrent calls (256 idle connections
	// per host) and no client timeout (Timeout applies).
	HTTPClient *http.Client
	// DefaultMaxTokens is sent when a request has no MaxTokens (the API
	// requires one). Default 4096.
	DefaultMaxTokens int
	// StructuredOutput selects how JSONSchema is asked for: "tool" (forced
	// tool use, every model) or "native" (output_config.format, newer
	// models). Default "tool".
	StructuredOutput string
	// IgnoreTemperature drops ModelRequest.Temperature, for models that
	// reject the parameter. Default false: the temperature is sent.
	IgnoreTemperature bool
	// Clock reads the time for Retry-After dates. Default the system clock.
	Clock copydesk.Clock
}

// validate fills defaults and names the first bad field.
func (cfg *Config) validate() error {
	cfg.Name = cmpOr(cfg.Name, DefaultName)
	cfg.BaseURL = cmpOr(cfg.BaseURL, DefaultBaseURL)
	cfg.StructuredOutput = cmpOr(cfg.StructuredOutput, StructuredTool)
	switch {
	case cfg.APIKey == "":
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: APIKey is required (set ANTHROPIC_API_KEY or the provider's api_key in the config file)", cfg.Name)
	case !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://"):
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: BaseURL %q must start with http:// or https://", cfg.Name, cfg.BaseURL)
	case cfg.Timeout < 0:
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: Timeout cannot be negative", cfg.Name)
	case cfg.DefaultMaxTokens < 0:
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: DefaultMaxTokens cannot be negative", cfg.Name)
	case cfg.StructuredOutput != StructuredTool && cfg.StructuredOutput != StructuredNative:
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: StructuredOutput %q must be %q or %q", cfg.Name, cfg.StructuredOutput, StructuredTool, StructuredNative)
	}
	if !strings.HasSuffix(cfg.BaseURL, "/") {
		cfg.BaseURL += "/"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DefaultMaxTokens == 0 {
		cfg.DefaultMaxTokens = DefaultMaxTokens
	}
	if cfg.Clock == nil {
		cfg.Clock = copydesk.SystemClock{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = newHTTPClient()
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Client is a copydesk.Provider backed by one Anthropic API key. It is safe
// for concurrent use.
type Client struct {
	cfg Config
	sdk services
}

// services are the SDK's services Copydesk calls: only messages (with
// token counting and message batches). They are built directly, not
// through anthropic.NewClient, whose Client holds every API of the SDK
// (beta, files, skills, models…): linking them all cost the binary about
// 6 MB. The SDK supports service constructors given options directly.
type services struct {
	Messages anthropic.MessageService
}

var _ copydesk.Provider = (*Client)(nil)

// New returns a Client for cfg. Returns EINVALID naming the field if cfg is
// incomplete or wrong.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		// Configuration comes only from cfg: no ANTHROPIC_* variables,
		// profiles or federation picked up by the SDK (a service
		// constructor reads none; this is what anthropic.NewClient
		// starts from when told WithoutEnvironmentDefaults).
		option.WithEnvironmentProduction(),
		option.WithAPIKey(cfg.APIKey),
		option.WithBaseURL(cfg.BaseURL),
		option.WithMaxRetries(0),
	}
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	return &Client{cfg: cfg, sdk: services{Messages: anthropic.NewMessageService(opts...)}}, nil
}

// Name returns the configured provider name.
func (c *Client) Name() string { return c.cfg.Name }

// Complete runs a non-streaming Messages call. Errors are
// *copydesk.ProviderError, except a cancelled ctx, which returns an error
// wrapping context.Canceled.
func (c *Client) Complete(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	params, tool, err := c.params(req)
	if err != nil {
		return nil, err
	}
	opts := c.requestOptions(req)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	msg, err := c.sdk.Messages.New(ctx, params, opts...)
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	return c.response(msg, tool, req.Model)
}

// response turns a Messages API answer into a ModelResponse: the text of its
// text blocks, or, when tool names the forced structured-output tool, the
// input of that tool's tool_use block. model names the answer when the
// message does not. An answer without such a block is a ProviderError of
// kind invalid, unless it stopped at max_tokens.
func (c *Client) response(msg *anthropic.Message, tool, model string) (*copydesk.ModelResponse, error) {
	resp := &copydesk.ModelResponse{
		Model:        cmpOr(string(msg.Model), model),
		FinishReason: string(msg.StopReason),
		Usage:        usage(msg.Usage.InputTokens, msg.Usage.OutputTokens, msg.Usage.CacheReadInputTokens, msg.Usage.CacheCreationInputTokens),
	}
	var text strings.Builder
	found := false
	for i := range msg.Content {
		b := &msg.Content[i]
		switch {
		case tool == "" && b.Type == "text":
			text.WriteString(b.Text)
			found = true
		case tool != "" && b.Type == "tool_use" && b.Name == tool:
			text.Write(b.Input)
			found = true
		}
	}
	if !found && msg.StopReason != anthropic.StopReasonMaxTokens {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the answer has no %s block (stop reason %q)", blockKind(tool), msg.StopReason)
	}
	resp.Text = text.String()
	return resp, nil
}

func blockKind(tool string) string {
	if tool != "" {
		return "tool_use " + tool
	}
	return "text"
}

// Stream runs a streaming Messages call, calling onDelta for each text delta
// (or tool input JSON delta for structured output). A stream that ends
// without message_stop returns a ProviderError of kind truncated; an error
// from onDelta is returned as is. Output tokens come from the last
// message_delta (Anthropic's count is a running total).
func (c *Client) Stream(ctx context.Context, req copydesk.ModelRequest, onDelta func(string) error) (*copydesk.ModelResponse, error) {
	params, tool, err := c.params(req)
	if err != nil {
		return nil, err
	}
	opts := c.requestOptions(req)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	stream := c.sdk.Messages.NewStreaming(ctx, params, opts...)
	defer stream.Close()

	resp := &copydesk.ModelResponse{Model: req.Model}
	var text strings.Builder
	var in, out, cacheRead, cacheWrite int64
	stopped := false
	active := false // the current content block is the one answering
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			if ev.Message.Model != "" {
				resp.Model = string(ev.Message.Model)
			}
			u := ev.Message.Usage
			in, out, cacheRead, cacheWrite = u.InputTokens, u.OutputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens
		case "content_block_start":
			cb := ev.ContentBlock
			active = (tool == "" && cb.Type == "text") || (tool != "" && cb.Type == "tool_use" && cb.Name == tool)
		case "content_block_delta":
			if !active {
				continue
			}
			var d string
			switch ev.Delta.Type {
			case "text_delta":
				d = ev.Delta.Text
			case "input_json_delta":
				d = ev.Delta.PartialJSON
			}
			if d == "" {
				continue
			}
			text.WriteString(d)
			if err := onDelta(d); err != nil {
				return nil, err
			}
		case "message_delta":
			// Running totals: the last message_delta holds the final counts.
			u := ev.Usage
			if u.JSON.OutputTokens.Valid() {
				out = u.OutputTokens
			}
			if u.JSON.InputTokens.Valid() && u.InputTokens > 0 {
				in = u.InputTokens
			}
			if u.JSON.CacheReadInputTokens.Valid() && u.CacheReadInputTokens > 0 {
				cacheRead = u.CacheReadInputTokens
			}
			if u.JSON.CacheCreationInputTokens.Valid() && u.CacheCreationInputTokens > 0 {
				cacheWrite = u.CacheCreationInputTokens
			}
			if ev.Delta.StopReason != "" {
				resp.FinishReason = string(ev.Delta.StopReason)
			}
		case "message_stop":
			stopped = true
		}
	}
	if err := stream.Err(); err != nil {
		return nil, c.classify(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, c.classify(ctx, err)
	}
	if !stopped {
		return nil, c.errorf(copydesk.ProviderTruncated, nil, "the stream ended without message_stop after %d characters", text.Len())
	}
	resp.Text = text.String()
	resp.Usage = usage(in, out, cacheRead, cacheWrite)
	return resp, nil
}

// usage converts Anthropic's counts: input_tokens excludes tokens read from
// or written to the prompt cache, Copydesk's InputTokens includes them.
func usage(in, out, cacheRead, cacheWrite int64) copydesk.Usage {
	return copydesk.Usage{
		InputTokens:  int(in + cacheRead + cacheWrite),
		OutputTokens: int(out),
		CachedTokens: int(cacheRead),
	}
}

var toolNameRe = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// params translates a ModelRequest into SDK parameters and returns the name
// of the forced tool when structured output goes through tool use.
func (c *Client) params(req copydesk.ModelRequest) (anthropic.MessageNewParams, string, error) {
	var p anthropic.MessageNewParams
	if req.Model == "" {
		return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "the request names no model")
	}
	if len(req.Messages) == 0 {
		return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "the request has no messages")
	}
	if req.MaxTokens < 0 {
		return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "MaxTokens %d is negative", req.MaxTokens)
	}
	p.Model = anthropic.Model(req.Model)
	p.MaxTokens = int64(req.MaxTokens)
	if p.MaxTokens == 0 {
		p.MaxTokens = int64(c.cfg.DefaultMaxTokens)
	}
	system := []string{}
	if req.System != "" {
		system = append(system, req.System)
	}
	p.Messages = make([]anthropic.MessageParam, 0, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case "user":
			p.Messages = append(p.Messages, anthropic.NewUserMessage(anthropic.NewTextBlock(m.Content)))
		case "assistant":
			p.Messages = append(p.Messages, anthropic.NewAssistantMessage(anthropic.NewTextBlock(m.Content)))
		case "system":
			system = append(system, m.Content)
		default:
			return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "message %d has role %q, want user, assistant or system", i, m.Role)
		}
	}
	if len(p.Messages) == 0 {
		return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "the request has no user message")
	}
	if len(system) > 0 {
		p.System = []anthropic.TextBlockParam{{Text: strings.Join(system, "\n\n")}}
	}
	if len(req.JSONSchema) == 0 {
		return p, "", nil
	}
	var schema map[string]any
	if err := json.Unmarshal(req.JSONSchema, &schema); err != nil {
		return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "JSONSchema is not a JSON object")
	}
	if c.cfg.StructuredOutput == StructuredNative {
		p.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: schema}}
		return p, "", nil
	}
	if t, ok := schema["type"]; ok && t != "object" {
		return p, "", c.errorf(copydesk.ProviderBadRequest, nil, "JSONSchema must describe an object for tool-use structured output, got type %v", t)
	}
	name := toolNameRe.ReplaceAllString(cmpOr(req.SchemaName, "response"), "_")
	if len(name) > 64 {
		name = name[:64]
	}
	in := anthropic.ToolInputSchemaParam{ExtraFields: map[string]any{}}
	for k, v := range schema {
		switch k {
		case "type":
		case "properties":
			in.Properties = v
		default:
			in.ExtraFields[k] = v
		}
	}
	tp := anthropic.ToolUnionParamOfTool(in, name)
	tp.OfTool.Description = anthropic.String("Give the answer by calling this tool; its input is the whole answer.")
	p.Tools = []anthropic.ToolUnionParam{tp}
	p.ToolChoice = anthropic.ToolChoiceParamOfTool(name)
	return p, name, nil
}

// requestOptions returns the per-request SDK options: the temperature, which
// this SDK version no longer models as a parameter, is set in the JSON body
// unless Config.IgnoreTemperature.
func (c *Client) requestOptions(req copydesk.ModelRequest) []option.RequestOption {
	if req.Temperature == nil || c.cfg.IgnoreTemperature {
		return nil
	}
	return []option.RequestOption{option.WithJSONSet("temperature", *req.Temperature)}
}

// errorf returns a ProviderError from this client.
func (c *Client) errorf(kind copydesk.ProviderErrorKind, err error, format string, args ...any) *copydesk.ProviderError {
	return &copydesk.ProviderError{
		Provider: c.cfg.Name,
		Kind:     kind,
		Message:  strings.ReplaceAll(fmt.Sprintf(format, args...), c.cfg.APIKey, "[redacted]"),
		Err:      err,
	}
}

// classify turns an SDK error into a *copydesk.ProviderError (or, for a
// cancelled ctx, an error wrapping context.Canceled).
func (c *Client) classify(ctx context.Context, err error) error {
	if ce := providerhttp.ContextError(ctx, err); ce != nil {
		if errors.Is(ce, context.DeadlineExceeded) {
			return c.errorf(copydesk.ProviderTimeout, ce, "no answer within the deadline")
		}
		return fmt.Errorf("provider %s: call cancelled: %w", c.cfg.Name, ce)
	}
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		status := apiErr.StatusCode
		kind := kindFor(status, string(apiErr.Type()))
		where := fmt.Sprintf("HTTP %d", status)
		if status >= 200 && status < 300 {
			where = "error inside the stream"
		}
		pe := c.errorf(kind, apiErr, "%s: %s: %s", where, cmpOr(string(apiErr.Type()), "error"), cmpOr(apiErr.Message, http.StatusText(status)))
		if status >= 300 {
			pe.Status = status
		}
		if apiErr.Response != nil && status >= 300 && (kind == copydesk.ProviderRateLimited || kind == copydesk.ProviderOverloaded || kind == copydesk.ProviderServer) {
			pe.RetryAfter = retryAfter(apiErr.Response.Header, c.cfg.Clock.Now())
		}
		return pe
	}
	if kind, ok := providerhttp.NetworkKind(err); ok {
		return c.errorf(kind, err, "%s", providerhttp.DescribeNetwork(err))
	}
	return c.errorf(copydesk.ProviderServer, err, "unreadable answer: %v", err)
}

// kindFor classifies an API error by its type and HTTP status. Errors inside
// a stream arrive with status 200 and are classified by type alone.
func kindFor(status int, typ string) copydesk.ProviderErrorKind {
	switch typ {
	case "overloaded_error":
		return copydesk.ProviderOverloaded
	case "rate_limit_error":
		return copydesk.ProviderRateLimited
	case "authentication_error", "permission_error", "billing_error":
		return copydesk.ProviderAuth
	case "timeout_error":
		return copydesk.ProviderTimeout
	case "api_error":
		return copydesk.ProviderServer
	}
	switch {
	case status == http.StatusTooManyRequests:
		return copydesk.ProviderRateLimited
	case status == 529:
		return copydesk.ProviderOverloaded
	case status == http.StatusUnauthorized || status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return copydesk.ProviderAuth
	case status == http.StatusRequestTimeout:
		return copydesk.ProviderTimeout
	case status >= 500 || status < 400:
		return copydesk.ProviderServer
	default:
		return copydesk.ProviderBadRequest
	}
}
