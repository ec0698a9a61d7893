// Package gemini is the Copydesk provider adapter for the Google Gemini API
// through the official SDK (google.golang.org/genai), Gemini API backend.
//
// The SDK's own retries are off (HTTPOptions.RetryOptions stays nil); a
// Client makes exactly one HTTP request per call and classifies every
// failure as a *copydesk.ProviderError for the router's retry and failover
// policy. Gemini's API error carries no headers: the retry delay of a 429
// comes from the google.rpc.RetryInfo detail.
package gemini

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerhttp"
)

// Defaults of Config.
const (
	DefaultName    = "gemini"
	DefaultBaseURL = "https://generativelanguage.googleapis.com/"
	DefaultTimeout = 2 * time.Minute
	// DefaultBatchMaxBytes is the default and the most of
	// Config.BatchMaxBytes: the Gemini API takes 20 MB of inlined batch
	// requests; the margin covers the envelope and the SDK's field names.
	DefaultBatchMaxBytes = 19 << 20
)

// Config configures one Client: one API key at one base URL.
type Config struct {
	// Name identifies the provider instance in config, logs, metrics and
	// errors. Default "gemini".
	Name string
	// APIKey is the secret key. Required (the usual environment variables
	// are GEMINI_API_KEY or GOOGLE_API_KEY; Copydesk's config reads them,
	// this package never does).
	APIKey string
	// BaseURL is the API root, without the version. Default
	// "https://generativelanguage.googleapis.com/".
	BaseURL string
	// APIVersion is the path version. Default: the SDK's ("v1" in
	// google.golang.org/genai v1.79.1) for live calls, "v1beta" (where
	// Gemini batch mode is documented) for batch calls.
	APIVersion string
	// Headers are added to every request.
	Headers map[string]string
	// Timeout bounds one call, a whole stream included. Default 2 minutes.
	Timeout time.Duration
	// BatchMaxBytes caps the inlined requests of one Gemini batch; a
	// bigger submission goes out as several batches. Default (and most)
	// 19 MB, under the API's 20 MB limit of a batch's request body.
	BatchMaxBytes int
	// HTTPClient sends the requests. Default: a client of its own with a
	// connection pool sized for many concurrent calls (256 idle connections
	// per host) and no client timeout (Timeout applies).
	HTTPClient *http.Client
}

// validate fills defaults and names the first bad field.
func (cfg *Config) validate() error {
	cfg.Name = cmpOr(cfg.Name, DefaultName)
	cfg.BaseURL = cmpOr(cfg.BaseURL, DefaultBaseURL)
	switch {
	case cfg.APIKey == "":
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: APIKey is required (set GEMINI_API_KEY or GOOGLE_API_KEY, or the provider's api_key in the config file)", cfg.Name)
	case !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://"):
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: BaseURL %q must start with http:// or https://", cfg.Name, cfg.BaseURL)
	case cfg.Timeout < 0:
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: Timeout cannot be negative", cfg.Name)
	case cfg.BatchMaxBytes < 0 || cfg.BatchMaxBytes > DefaultBatchMaxBytes:
		return copydesk.Errorf(copydesk.EINVALID, "provider %s: BatchMaxBytes must be between 0 (default) and %d", cfg.Name, DefaultBatchMaxBytes)
	}
	if cfg.BatchMaxBytes == 0 {
		cfg.BatchMaxBytes = DefaultBatchMaxBytes
	}
	if !strings.HasSuffix(cfg.BaseURL, "/") {
		cfg.BaseURL += "/"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
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

// Client is a copydesk.Provider backed by one Gemini API key. It is safe for
// concurrent use.
type Client struct {
	cfg Config
	sdk *genai.Client
}

var _ copydesk.Provider = (*Client)(nil)

// New returns a Client for cfg. Returns EINVALID naming the field if cfg is
// incomplete or wrong.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cc := &genai.ClientConfig{
		APIKey:     cfg.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: withBatchDetails(cfg.HTTPClient),
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    cfg.BaseURL,
			APIVersion: cfg.APIVersion,
			// RetryOptions stays nil: an empty HTTPRetryOptions would turn
			// on the SDK's five attempts.
		},
	}
	if len(cfg.Headers) > 0 {
		cc.HTTPOptions.Headers = http.Header{}
		for k, v := range cfg.Headers {
			cc.HTTPOptions.Headers.Set(k, v)
		}
	}
	sdk, err := genai.NewClient(context.Background(), cc)
	if err != nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "provider %s: %s", cfg.Name, strings.ReplaceAll(err.Error(), cfg.APIKey, "[redacted]"))
	}
	return &Client{cfg: cfg, sdk: sdk}, nil
}

// Name returns the configured provider name.
func (c *Client) Name() string { return c.cfg.Name }

// Complete runs a non-streaming generateContent call. Errors are
// *copydesk.ProviderError, except a cancelled ctx, which returns an error
// wrapping context.Canceled.
func (c *Client) Complete(ctx context.Context, req copydesk.ModelRequest) (*copydesk.ModelResponse, error) {
	contents, gc, err := c.params(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	r, err := c.sdk.Models.GenerateContent(ctx, req.Model, contents, gc)
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	return c.answer(r, req.Model)
}

// answer reads a whole generateContent answer (a live call's, or one
// request's of a batch): the first candidate's text, its finish reason and
// the usage. model is the model asked for, used when the answer names none.
func (c *Client) answer(r *genai.GenerateContentResponse, model string) (*copydesk.ModelResponse, error) {
	if err := c.blocked(r); err != nil {
		return nil, err
	}
	if len(r.Candidates) == 0 || r.Candidates[0] == nil {
		return nil, c.errorf(copydesk.ProviderInvalid, nil, "the answer has no candidates")
	}
	resp := &copydesk.ModelResponse{
		Model:        cmpOr(r.ModelVersion, model),
		FinishReason: string(r.Candidates[0].FinishReason),
		Usage:        usage(r.UsageMetadata),
	}
	var text strings.Builder
	appendText(&text, r.Candidates[0])
	resp.Text = text.String()
	return resp, nil
}

// Stream runs streamGenerateContent (SSE), calling onDelta for each text
// delta. A stream that ends without a finishReason returns a ProviderError
// of kind truncated; an error from onDelta is returned as is. Usage is the
// last usageMetadata received.
func (c *Client) Stream(ctx context.Context, req copydesk.ModelRequest, onDelta func(string) error) (*copydesk.ModelResponse, error) {
	contents, gc, err := c.params(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp := &copydesk.ModelResponse{Model: req.Model}
	var text strings.Builder
	for r, err := range c.sdk.Models.GenerateContentStream(ctx, req.Model, contents, gc) {
		if err != nil {
			return nil, c.classify(ctx, err)
		}
		if err := c.blocked(r); err != nil {
			return nil, err
		}
		if r.ModelVersion != "" {
			resp.Model = r.ModelVersion
		}
		if r.UsageMetadata != nil {
			resp.Usage = usage(r.UsageMetadata)
		}
		if len(r.Candidates) == 0 || r.Candidates[0] == nil {
			continue
		}
		cand := r.Candidates[0]
		if cand.Content != nil {
			for _, p := range cand.Content.Parts {
				if p == nil || p.Thought || p.Text == "" {
					continue
				}
				text.WriteString(p.Text)
				if err := onDelta(p.Text); err != nil {
					return nil, err
				}
			}
		}
		if cand.FinishReason != "" {
			resp.FinishReason = string(cand.FinishReason)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, c.classify(ctx, err)
	}
	if resp.FinishReason == "" {
		return nil, c.errorf(copydesk.ProviderTruncated, nil, "the stream ended without a finishReason after %d characters", text.Len())
	}
	resp.Text = text.String()
	return resp, nil
}

// appendText adds the answer parts of cand (thoughts excluded) to b.
func appendText(b *strings.Builder, cand *genai.Candidate) {
	if cand == nil || cand.Content == nil {
		return
	}
	for _, p := range cand.Content.Parts {
		if p != nil && !p.Thought {
			b.WriteString(p.Text)
		}
	}
}

// blocked returns an error when Gemini refused the prompt.
func (c *Client) blocked(r *genai.GenerateContentResponse) error {
	if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		return c.errorf(copydesk.ProviderInvalid, nil, "the prompt was blocked: %s", r.PromptFeedback.BlockReason)
	}
	return nil
}

// usage converts Gemini's counts: the prompt count includes cached content;
// thinking tokens are billed as output.
func usage(u *genai.GenerateContentResponseUsageMetadata) copydesk.Usage {
	if u == nil {
		return copydesk.Usage{}
	}
	return copydesk.Usage{
		InputTokens:  int(u.PromptTokenCount),
		OutputTokens: int(u.CandidatesTokenCount + u.ThoughtsTokenCount),
		CachedTokens: int(u.CachedContentTokenCount),
	}
}

// params translates a ModelRequest into SDK contents and configuration.
func (c *Client) params(req copydesk.ModelRequest) ([]*genai.Content, *genai.GenerateContentConfig, error) {
	if req.Model == "" {
		return nil, nil, c.errorf(copydesk.ProviderBadRequest, nil, "the request names no model")
	}
	if req.MaxTokens < 0 {
		return nil, nil, c.errorf(copydesk.ProviderBadRequest, nil, "MaxTokens %d is negative", req.MaxTokens)
	}
	gc := &genai.GenerateContentConfig{}
	system := []string{}
	if req.System != "" {
		system = append(system, req.System)
	}
	contents := make([]*genai.Content, 0, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case "user":
			contents = append(contents, genai.NewContentFromText(m.Content, genai.RoleUser))
		case "assistant":
			contents = append(contents, genai.NewContentFromText(m.Content, genai.RoleModel))
		case "system":
			system = append(system, m.Content)
		default:
			return nil, nil, c.errorf(copydesk.ProviderBadRequest, nil, "message %d has role %q, want user, assistant or system", i, m.Role)
		}
	}
	if len(contents) == 0 {
		return nil, nil, c.errorf(copydesk.ProviderBadRequest, nil, "the request has no messages")
	}
	if len(system) > 0 {
		gc.SystemInstruction = genai.NewContentFromText(strings.Join(system, "\n\n"), genai.RoleUser)
	}
	if req.MaxTokens > 0 {
		gc.MaxOutputTokens = int32(min(req.MaxTokens, 1<<31-1))
	}
	if req.Temperature != nil {
		gc.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	if len(req.JSONSchema) > 0 {
		var schema map[string]any
		if err := jsonUnmarshal(req.JSONSchema, &schema); err != nil {
			return nil, nil, c.errorf(copydesk.ProviderBadRequest, nil, "JSONSchema is not a JSON object")
		}
		gc.ResponseMIMEType = "application/json"
		gc.ResponseJsonSchema = schema
	}
	return contents, gc, nil
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
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		kind := kindFor(apiErr)
		pe := c.errorf(kind, apiErr, "HTTP %d %s: %s", apiErr.Code, apiErr.Status, cmpOr(apiErr.Message, http.StatusText(apiErr.Code)))
		pe.Status = apiErr.Code
		if kind == copydesk.ProviderRateLimited || kind == copydesk.ProviderOverloaded || kind == copydesk.ProviderServer {
			pe.RetryAfter = retryDelay(apiErr.Details)
		}
		return pe
	}
	if kind, ok := providerhttp.NetworkKind(err); ok {
		return c.errorf(kind, err, "%s", providerhttp.DescribeNetwork(err))
	}
	return c.errorf(copydesk.ProviderServer, err, "unreadable answer: %v", err)
}

// kindFor classifies a Gemini API error by HTTP code, gRPC status and the
// ErrorInfo reason (Gemini answers a bad key with 400 API_KEY_INVALID).
func kindFor(e genai.APIError) copydesk.ProviderErrorKind {
	if reason := errorReason(e.Details); reason == "API_KEY_INVALID" || reason == "API_KEY_SERVICE_BLOCKED" {
		return copydesk.ProviderAuth
	}
	switch {
	case e.Code == http.StatusTooManyRequests || e.Status == "RESOURCE_EXHAUSTED":
		return copydesk.ProviderRateLimited
	case e.Code == 529:
		return copydesk.ProviderOverloaded
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusPaymentRequired || e.Code == http.StatusForbidden ||
		e.Status == "UNAUTHENTICATED" || e.Status == "PERMISSION_DENIED":
		return copydesk.ProviderAuth
	case e.Code == http.StatusRequestTimeout || e.Code == http.StatusGatewayTimeout || e.Status == "DEADLINE_EXCEEDED":
		return copydesk.ProviderTimeout
	case e.Code >= 500 || e.Code < 400:
		return copydesk.ProviderServer
	default:
		return copydesk.ProviderBadRequest
	}
}
