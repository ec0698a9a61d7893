// Package openai is the Copydesk provider adapter for the OpenAI Chat
// Completions API through the official SDK (github.com/openai/openai-go/v3).
// It also serves any OpenAI-compatible base URL: Ollama, vLLM, llama.cpp
// server, OpenRouter, and Azure OpenAI (base URL plus the api-key header).
//
// The SDK's own retries are off; a Client makes exactly one HTTP request per
// call and classifies every failure as a *copydesk.ProviderError for the
// router's retry and failover policy.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jsonappend"
	"github.com/copydesk/copydesk/internal/providerhttp"
)

// Defaults of Config.
const (
	DefaultName    = "openai"
	DefaultBaseURL = "https://api.openai.com/v1/"
	DefaultTimeout = 2 * time.Minute
)

// Values of Config.MaxTokensParam.
const (
	MaxCompletionTokens = "max_completion_tokens"
	MaxTokens           = "max_tokens"
)

// Config configures one Client: one API key at one base URL.
type Config struct {
	// Name identifies the provider instance in config, logs, metrics and
	// errors. Default "openai".
	Name string
	// APIKey is the secret key. Required (the usual environment variable is
	// OPENAI_API_KEY; Copydesk's config reads it, this package never does).
	// Local servers that ignore keys (Ollama, llama.cpp) still need a
	// placeholder such as "ollama".
	APIKey string
	// BaseURL is the API root including the version path. Default
	// "https://api.openai.com/v1/". Examples: Ollama
	// "http://127.0.0.1:11434/v1/", vLLM "http://host:8000/v1/", llama.cpp
	// "http://host:8080/v1/", OpenRouter "https://openrouter.ai/api/v1/",
	// Azure "https://RESOURCE.openai.azure.com/openai/v1/" (with
	// APIKeyHeader "api-key").
	BaseURL string
	// Organization and Project, when set, are sent as OpenAI-Organization
	// and OpenAI-Project (the SDK's OPENAI_ORG_ID / OPENAI_PROJECT_ID).
	Organization, Project string
	// APIKeyHeader, when set, sends the key in this header instead of
	// "Authorization: Bearer" (Azure OpenAI: "api-key").
	APIKeyHeader string
	// Headers are added to every request (e.g. OpenRouter's HTTP-Referer
	// and X-Title).
	Headers map[string]string
	// Query parameters are added to every request (e.g. Azure's
	// api-version for deployment-style URLs).
	Query map[string]string
	// Timeout bounds one call, a whole stream included. Default 2 minutes.
	Timeout time.Duration
	// HTTPClient sends the requests. Default: a client of its own with a
	// connection pool sized for many concurrent calls (256 idle connections
	// per host) and no client timeout (Timeout applies).
	HTTPClient *http.Client
	// MaxTokensParam names the output cap parameter: "max_completion_tokens"
	// (OpenAI's current name, required by reasoning models) or "max_tokens"
	// (understood by every OpenAI-compatible server). Default
	// "max_completion_tokens" when BaseURL is OpenAI's or Azure's,
	// "max_tokens" for any other base URL.
	MaxTokensParam string
	// StrictSchema sends strict: true with a JSON schema. OpenAI then
	// guarantees the schema but rejects schemas whose properties are not
	// all required or that allow additional properties. Default false.
	StrictSchema bool
	// AllowMissingStreamUsage accepts a stream that ends after its finish
	// reason without the usage chunk (servers that ignore
	// stream_options.include_usage); its Usage is then zero. Default false:
	// such a stream is truncated, since the usage chunk is the last one
	// before [DONE] and the only sign, through the SDK, that the stream was
	// complete.
	AllowMissingStreamUsage bool
	// Clock reads the time for Retry-After dates. Default the system clock.
	Clock copydesk.Clock
}

// validate fills defaults and names the first bad field.
func (cfg *Config) validate() error {
	cfg.Name = cmpOr(cfg.Name, DefaultName)
	cfg.BaseURL = cmpOr(cfg.BaseURL, DefaultBaseURL)
	if cfg.APIKey == "" {
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: APIKey is required (set OPENAI_API_KEY or the provider's api_key in the config file)", cfg.Name)
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: BaseURL %q must start with http:// or https://", cfg.Name, cfg.BaseURL)
	}
	if !strings.HasSuffix(cfg.BaseURL, "/") {
		cfg.BaseURL += "/"
	}
	if cfg.Timeout < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: Timeout cannot be negative", cfg.Name)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTokensParam == "" {
		cfg.MaxTokensParam = MaxTokens
		if strings.Contains(cfg.BaseURL, "api.openai.com") || strings.Contains(cfg.BaseURL, ".openai.azure.com") {
			cfg.MaxTokensParam = MaxCompletionTokens
		}
	}
	if cfg.MaxTokensParam != MaxTokens && cfg.MaxTokensParam != MaxCompletionTokens {
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: MaxTokensParam %q must be %q or %q", cfg.Name, cfg.MaxTokensParam, MaxCompletionTokens, MaxTokens)
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

// Client is a copydesk.Provider backed by one OpenAI (or OpenAI-compatible)
// API key. It is safe for concurrent use.
type Client struct {
	cfg Config
	sdk services
}

// services are the SDK's services Copydesk calls. They are built one by
// one, as openai.NewClient builds them, instead of through a whole
// openai.Client: a Client holds every API of the SDK (responses, realtime,
// audio, fine-tuning…), and linking them all cost the binary about 9 MB.
type services struct {
	Chat       openai.ChatService
	Embeddings openai.EmbeddingService
	Files      openai.FileService
	Batches    openai.BatchService
}

// newServices builds the services with the SDK's defaults (those of
// openai.NewClient: its base URL and environment) under opts.
func newServices(opts ...option.RequestOption) services {
	opts = append(openai.DefaultClientOptions(), opts...)
	return services{Chat: openai.NewChatService(opts...), Embeddings: openai.NewEmbeddingService(opts...),
		Files: openai.NewFileService(opts...), Batches: openai.NewBatchService(opts...)}
}

var _ copydesk.Provider = (*Client)(nil)

// New returns a Client for cfg. Returns EINVALID naming the field if cfg is
// incomplete or wrong.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithMaxRetries(0),
	}
	if cfg.APIKeyHeader != "" {
		opts = append(opts, option.WithAPIKey(""), option.WithHeader(cfg.APIKeyHeader, cfg.APIKey))
	} else {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	if cfg.Organization != "" {
		opts = append(opts, option.WithOrganization(cfg.Organization))
	}
	if cfg.Project != "" {
		opts = append(opts, option.WithProject(cfg.Project))
	}
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	for k, v := range cfg.Query {
		opts = append(opts, option.WithQuery(k, v))
	}
	opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	return &Client{cfg: cfg, sdk: newServices(opts...)}, nil
}

// Name returns the configured provider name.
func (c *Client) Name() string { return c.cfg.Name }

// Complete runs a non-streaming chat completion. Errors are
// *copydesk.ProviderError, except a cancelled ctx, which returns an error
// wrapping context.Canceled.
func (c *Client) Complete(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	reqBody, err := c.body(req, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// The SDK sends the request (body's JSON: the empty parameters are
	// replaced by it) and turns an error answer into its error type; the
	// answer's body is decoded here (see completion).
	var body []byte
	if _, err := c.sdk.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{}, withBody(reqBody), option.WithResponseBodyInto(&body)); err != nil {
		return nil, c.classify(ctx, err)
	}
	var cc completion
	if err := decodeCompletion(body, &cc); err != nil {
		return nil, c.errorf(copydesk.ProviderServer, err, "unreadable answer: %v", err)
	}
	if len(cc.Choices) == 0 {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the answer has no choices")
	}
	ch := cc.Choices[0]
	if ch.Message.Content == "" && ch.Message.Refusal != "" {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the model refused: %s", ch.Message.Refusal)
	}
	return &copydesk.ModelResponse{
		Text:         ch.Message.Content,
		Model:        cmpOr(cc.Model, req.Model),
		FinishReason: ch.FinishReason,
		Usage:        cc.Usage.usage(),
	}, nil
}

// completion is the part of a chat completion that Complete reads. The
// SDK's own type decodes every field of the answer through its reflective
// decoder and keeps each raw beside it: a tenth of the CPU Copydesk spent
// on an uncached call at c=32 (BENCHMARKS.md, session 7). Token counts are
// read as numbers of any form, as the SDK reads them; a null is a zero.
type completion struct {
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   completionUsage    `json:"usage"`
}

type completionChoice struct {
	Message struct {
		Content string `json:"content"`
		Refusal string `json:"refusal"`
	} `json:"message"`
	FinishReason string `json:"finish_reason"`
}

// completionChunk is the part of a chat completion chunk that Stream reads.
type completionChunk struct {
	Model   string           `json:"model"`
	Choices []chunkChoice    `json:"choices"`
	Usage   *completionUsage `json:"usage"` // nil when absent or null
}

type chunkChoice struct {
	Index int `json:"index"`
	Delta struct {
		Content string `json:"content"`
		Refusal string `json:"refusal"`
	} `json:"delta"`
	FinishReason string `json:"finish_reason"`
}

type completionUsage struct {
	PromptTokens        float64 `json:"prompt_tokens"`
	CompletionTokens    float64 `json:"completion_tokens"`
	PromptTokensDetails struct {
		CachedTokens float64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func (u completionUsage) usage() copydesk.Usage {
	return copydesk.Usage{
		InputTokens:  tokenCount(u.PromptTokens),
		OutputTokens: tokenCount(u.CompletionTokens),
		CachedTokens: tokenCount(u.PromptTokensDetails.CachedTokens),
	}
}

// maxTokenCount bounds a reported token count: no answer holds more, and
// a larger number is not converted to an int of no defined value.
const maxTokenCount = 1 << 30

// tokenCount is a reported count as an int: a negative one (which would
// credit the customer) is 0, one beyond maxTokenCount (a billion) is maxTokenCount.
func tokenCount(f float64) int {
	switch {
	case !(f > 0):
		return 0
	case f > maxTokenCount:
		return maxTokenCount
	}
	return int(f)
}

// Stream runs a streaming chat completion with stream_options.include_usage,
// calling onDelta for each text delta. A stream that ends without a finish
// reason, or without the usage chunk (unless AllowMissingStreamUsage),
// returns a ProviderError of kind truncated; an error from onDelta is
// returned as is.
func (c *Client) Stream(ctx context.Context, req copydesk.ModelRequest, onDelta func(string) error) (*copydesk.ModelResponse, error) {
	reqBody, err := c.body(req, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// As NewStreaming, with the chunks decoded into the fields read here
	// (see completion).
	var raw *http.Response
	_, err = c.sdk.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{}, withBody(reqBody), option.WithResponseBodyInto(&raw))
	stream := ssestream.NewStream[completionChunk](ssestream.NewDecoder(raw), err)
	defer stream.Close()

	var text, refusal strings.Builder
	resp := &copydesk.ModelResponse{Model: req.Model}
	usageSeen := false
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Model != "" {
			resp.Model = chunk.Model
		}
		if chunk.Usage != nil {
			resp.Usage = chunk.Usage.usage()
			usageSeen = true
		}
		for i := range chunk.Choices {
			ch := &chunk.Choices[i]
			if ch.Index != 0 {
				continue
			}
			if d := ch.Delta.Content; d != "" {
				text.WriteString(d)
				if err := onDelta(d); err != nil {
					return nil, err
				}
			}
			refusal.WriteString(ch.Delta.Refusal)
			if ch.FinishReason != "" {
				resp.FinishReason = ch.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		return nil, c.classify(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, c.classify(ctx, err)
	}
	if resp.FinishReason == "" {
		return nil, c.errorf(copydesk.ProviderTruncated, nil, "the stream ended without a finish reason after %d characters", text.Len())
	}
	if !usageSeen && !c.cfg.AllowMissingStreamUsage {
		return nil, c.errorf(copydesk.ProviderTruncated, nil, "the stream ended without its usage chunk (set AllowMissingStreamUsage for servers that do not send one)")
	}
	if text.Len() == 0 && refusal.Len() > 0 {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the model refused: %s", refusal.String())
	}
	resp.Text = text.String()
	return resp, nil
}

func usage(u openai.CompletionUsage) copydesk.Usage {
	return copydesk.Usage{
		InputTokens:  int(u.PromptTokens),
		OutputTokens: int(u.CompletionTokens),
		CachedTokens: int(u.PromptTokensDetails.CachedTokens),
	}
}

var schemaNameRe = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// withBody has the SDK send body (JSON) in place of the parameters it
// encoded.
func withBody(body []byte) option.RequestOption {
	return option.WithRequestBody("application/json", body)
}

// check checks req as every request to the provider needs it and returns
// the name its JSON schema goes by ("" without a schema).
func (c *Client) check(req copydesk.ModelRequest) (schemaName string, err error) {
	if req.Model == "" {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "the request names no model")
	}
	if len(req.Messages) == 0 {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "the request has no messages")
	}
	if req.MaxTokens < 0 {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "MaxTokens %d is negative", req.MaxTokens)
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "user", "assistant", "system":
		default:
			return "", c.errorf(copydesk.ProviderBadRequest, nil, "message %d has role %q, want user, assistant or system", i, m.Role)
		}
	}
	if len(req.JSONSchema) == 0 {
		return "", nil
	}
	if !jsonappend.Valid(req.JSONSchema) {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "JSONSchema is not valid JSON")
	}
	name := schemaNameRe.ReplaceAllString(cmpOr(req.SchemaName, "response"), "_")
	if len(name) > 64 {
		name = name[:64]
	}
	return name, nil
}

// params translates a ModelRequest into SDK parameters (the batch API's
// lines; Complete and Stream send body's).
func (c *Client) params(req copydesk.ModelRequest) (openai.ChatCompletionNewParams, error) {
	var p openai.ChatCompletionNewParams
	name, err := c.check(req)
	if err != nil {
		return p, err
	}
	p.Model = req.Model
	p.Messages = make([]openai.ChatCompletionMessageParamUnion, 0, len(req.Messages)+1)
	if req.System != "" {
		p.Messages = append(p.Messages, openai.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case "user":
			p.Messages = append(p.Messages, openai.UserMessage(m.Content))
		case "assistant":
			p.Messages = append(p.Messages, openai.AssistantMessage(m.Content))
		case "system":
			p.Messages = append(p.Messages, openai.SystemMessage(m.Content))
		}
	}
	if req.MaxTokens > 0 {
		if c.cfg.MaxTokensParam == MaxCompletionTokens {
			p.MaxCompletionTokens = openai.Int(int64(req.MaxTokens))
		} else {
			p.MaxTokens = openai.Int(int64(req.MaxTokens))
		}
	}
	if req.Temperature != nil {
		p.Temperature = openai.Float(*req.Temperature)
	}
	if name != "" {
		js := shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: name, Schema: req.JSONSchema}
		if c.cfg.StrictSchema {
			js.Strict = openai.Bool(true)
		}
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: js},
		}
	}
	return p, nil
}

// body is the JSON of the chat completion request for req, what the SDK
// writes for params(req) (TestBodyAsSDK compares the two), with
// "stream":true and the usage chunk asked for when stream is set. The SDK
// sends it as it is: its parameter types encode through its reflective
// encoder (8 KB of garbage for a deep analysis's request with its schema)
// and a streamed request was encoded a second time to set "stream".
func (c *Client) body(req copydesk.ModelRequest, stream bool) ([]byte, error) {
	name, err := c.check(req)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256+len(req.System)+len(req.JSONSchema)+64*len(req.Messages))
	b = append(b, `{"model":`...)
	b = jsonappend.String(b, req.Model)
	b = append(b, `,"messages":[`...)
	message := func(role, content string) {
		if b[len(b)-1] != '[' {
			b = append(b, ',')
		}
		b = append(b, `{"content":`...)
		b = jsonappend.String(b, content)
		b = append(b, `,"role":"`...)
		b = append(b, role...)
		b = append(b, `"}`...)
	}
	if req.System != "" {
		message("system", req.System)
	}
	for _, m := range req.Messages {
		message(m.Role, m.Content)
	}
	b = append(b, ']')
	if req.MaxTokens > 0 {
		b = append(b, `,"`...)
		b = append(b, cmpOr(c.cfg.MaxTokensParam, MaxTokens)...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(req.MaxTokens), 10)
	}
	if req.Temperature != nil {
		var ok bool
		b = append(b, `,"temperature":`...)
		if b, ok = jsonappend.Float(b, *req.Temperature); !ok {
			return nil, c.errorf(copydesk.ProviderBadRequest, nil, "the temperature %v is not a number", *req.Temperature)
		}
	}
	if name != "" {
		b = append(b, `,"response_format":{"json_schema":{"name":`...)
		b = jsonappend.String(b, name)
		b = append(b, `,"schema":`...)
		if b, err = jsonappend.Raw(b, req.JSONSchema); err != nil {
			return nil, c.errorf(copydesk.ProviderBadRequest, nil, "JSONSchema is not valid JSON")
		}
		if c.cfg.StrictSchema {
			b = append(b, `,"strict":true`...)
		}
		b = append(b, `},"type":"json_schema"}`...)
	}
	if stream {
		b = append(b, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	return append(b, '}'), nil
}

// errorf returns a ProviderError from this client.
func (c *Client) errorf(kind copydesk.ProviderErrorKind, err error, format string, args ...any) *copydesk.ProviderError {
	return &copydesk.ProviderError{
		Provider: c.cfg.Name,
		Kind:     kind,
		Message:  c.redact(fmt.Sprintf(format, args...)),
		Err:      err,
	}
}

// redact removes the API key from s.
func (c *Client) redact(s string) string {
	if c.cfg.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.APIKey, "[redacted]")
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
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		pe := c.errorf(providerhttp.KindForStatus(apiErr.StatusCode), apiErr, "HTTP %d: %s", apiErr.StatusCode, cmpOr(apiErr.Message, http.StatusText(apiErr.StatusCode)))
		pe.Status = apiErr.StatusCode
		if apiErr.Response != nil && (pe.Kind == copydesk.ProviderRateLimited || pe.Kind == copydesk.ProviderOverloaded || pe.Kind == copydesk.ProviderServer) {
			pe.RetryAfter = retryAfter(apiErr.Response.Header, c.cfg.Clock.Now())
		}
		return pe
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		return c.streamError(se)
	}
	if kind, ok := providerhttp.NetworkKind(err); ok {
		return c.errorf(kind, err, "%s", providerhttp.DescribeNetwork(err))
	}
	return c.errorf(copydesk.ProviderServer, err, "unreadable answer: %v", err)
}
