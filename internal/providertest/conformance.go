package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// conformanceKey is the API key the suite gives adapters; it must never show
// up in an error.
const conformanceKey = "sk-conformance-SECRET-key-0123456789"

// Harness describes one adapter under test for RunConformance.
type Harness struct {
	// Format is the wire format the adapter speaks: FormatOpenAI,
	// FormatAnthropic or FormatGemini.
	Format string
	// Model is the model name the suite asks for. Default "sim-model".
	Model string
	// New returns the adapter under test talking to the fake whose root URL
	// is baseURL (e.g. "http://127.0.0.1:4711", no path), authenticating
	// with apiKey, with a per-call timeout (0: the adapter's default).
	New func(tb testing.TB, baseURL, apiKey string, timeout time.Duration) copydesk.Provider
}

func (h Harness) model() string {
	if h.Model != "" {
		return h.Model
	}
	return "sim-model"
}

// setup starts a fake and the adapter under test.
func (h Harness) setup(t *testing.T, opts Options) (*Server, copydesk.Provider) {
	t.Helper()
	srv := NewTestServer(t, opts)
	return srv, h.New(t, srv.URL, conformanceKey, 0)
}

// request is the suite's standard request: a system prompt and a
// three-turn conversation.
func (h Harness) request() copydesk.ModelRequest {
	temp := 0.25
	return copydesk.ModelRequest{
		Model:  h.model(),
		System: "You are a careful copy editor.",
		Messages: []copydesk.Message{
			{Role: "user", Content: "Hello there"},
			{Role: "assistant", Content: "Hi, how can I help?"},
			{Role: "user", Content: "Write a tagline for a bakery in Utrecht"},
		},
		MaxTokens:   200,
		Temperature: &temp,
	}
}

// collect runs a stream and returns the deltas received.
func collect(ctx context.Context, p copydesk.Provider, req copydesk.ModelRequest) ([]string, *copydesk.ModelResponse, error) {
	var deltas []string
	resp, err := p.Stream(ctx, req, func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	return deltas, resp, err
}

// call runs req through Complete or Stream.
func run(ctx context.Context, p copydesk.Provider, req copydesk.ModelRequest, stream bool) (*copydesk.ModelResponse, error) {
	if stream {
		_, resp, err := collect(ctx, p, req)
		return resp, err
	}
	return p.Complete(ctx, req)
}

func modeName(stream bool) string {
	if stream {
		return "stream"
	}
	return "complete"
}

// MustProviderError asserts that err is a *copydesk.ProviderError of kind
// want from provider p, that it does not reveal the suite's API key, and
// returns it.
func MustProviderError(tb testing.TB, p copydesk.Provider, err error, want ...copydesk.ProviderErrorKind) *copydesk.ProviderError {
	tb.Helper()
	var pe *copydesk.ProviderError
	if !errors.As(err, &pe) {
		tb.Fatalf("got error %v (%T), want a *copydesk.ProviderError of kind %v", err, err, want)
	}
	ok := false
	for _, k := range want {
		ok = ok || pe.Kind == k
	}
	if !ok {
		tb.Fatalf("got kind %q (%v), want one of %v", pe.Kind, pe, want)
	}
	if pe.Provider != p.Name() {
		tb.Errorf("got Provider %q, want %q", pe.Provider, p.Name())
	}
	if pe.Message == "" {
		tb.Errorf("got empty Message in %#v, want an explanation", pe)
	}
	for e := error(pe); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), conformanceKey) || strings.Contains(fmt.Sprintf("%+v", e), conformanceKey) {
			tb.Fatalf("error %T reveals the API key: %v", e, e)
		}
	}
	return pe
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// RunConformance runs the provider conformance suite against the adapter
// described by h: text, stream, usage, structured output, every error class,
// timeouts, cancellation and the absence of SDK retries. Each subtest starts
// its own fake.
func RunConformance(t *testing.T, h Harness) {
	t.Run("Text", func(t *testing.T) {
		t.Parallel()
		srv, p := h.setup(t, Options{})
		req := h.request()
		resp, err := p.Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		got, ok := srv.LastRequest()
		if !ok {
			t.Fatal("the fake received no request")
		}
		if want := DefaultResponder(got); resp.Text != want {
			t.Errorf("got text %q, want %q", resp.Text, want)
		}
		if !strings.HasPrefix(resp.Text, SimulatedPrefix) {
			t.Errorf("got text %q, want the simulated prefix", resp.Text)
		}
		if want := Tokens(got, resp.Text); resp.Usage != want {
			t.Errorf("got usage %+v, want %+v", resp.Usage, want)
		}
		if resp.FinishReason == "" {
			t.Error("got empty FinishReason, want the provider's reason")
		}
		if resp.Model == "" {
			t.Error("got empty Model, want the model that answered")
		}
		checkRecorded(t, h, got, req, false)
	})

	t.Run("Stream", func(t *testing.T) {
		t.Parallel()
		srv, p := h.setup(t, Options{})
		req := h.request()
		deltas, resp, err := collect(context.Background(), p, req)
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		got, _ := srv.LastRequest()
		want := DefaultResponder(got)
		if joined := strings.Join(deltas, ""); joined != want {
			t.Errorf("got deltas joined %q, want %q", joined, want)
		}
		if resp.Text != want {
			t.Errorf("got text %q, want %q", resp.Text, want)
		}
		if len(deltas) < 2 {
			t.Errorf("got %d deltas, want several", len(deltas))
		}
		if wantU := Tokens(got, want); resp.Usage != wantU {
			t.Errorf("got usage %+v, want %+v", resp.Usage, wantU)
		}
		if resp.FinishReason == "" {
			t.Error("got empty FinishReason, want the provider's reason")
		}
		checkRecorded(t, h, got, req, true)
		if h.Format == FormatOpenAI && !got.IncludeUsage {
			t.Error("got stream_options.include_usage false, want true")
		}
	})

	for _, stream := range []bool{false, true} {
		t.Run("CachedTokens/"+modeName(stream), func(t *testing.T) {
			t.Parallel()
			srv, p := h.setup(t, Options{})
			srv.Enqueue(Behaviour{CachedTokens: 4})
			resp, err := run(context.Background(), p, h.request(), stream)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := srv.LastRequest()
			want := Tokens(got, resp.Text)
			want.CachedTokens = 4
			if resp.Usage != want {
				t.Errorf("got usage %+v, want %+v", resp.Usage, want)
			}
		})

		t.Run("MaxTokens/"+modeName(stream), func(t *testing.T) {
			t.Parallel()
			_, p := h.setup(t, Options{})
			req := h.request()
			req.MaxTokens = 3
			resp, err := run(context.Background(), p, req, stream)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(resp.Text)); n != 3 || resp.Usage.OutputTokens != 3 {
				t.Errorf("got %d words and %d output tokens, want 3 and 3", n, resp.Usage.OutputTokens)
			}
		})

		t.Run("StructuredOutput/"+modeName(stream), func(t *testing.T) {
			t.Parallel()
			const answer = `{"tagline":"Fresh from the oven","words":4}`
			srv, p := h.setup(t, Options{Responder: func(r Request) string {
				if r.JSON {
					return answer
				}
				return "not json"
			}})
			req := h.request()
			req.SchemaName = "tagline"
			req.JSONSchema = json.RawMessage(`{"type":"object","properties":{"tagline":{"type":"string"},"words":{"type":"integer"}},"required":["tagline","words"],"additionalProperties":false}`)
			resp, err := run(context.Background(), p, req, stream)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual([]byte(resp.Text), []byte(answer)) {
				t.Errorf("got text %q, want JSON equal to %s", resp.Text, answer)
			}
			got, _ := srv.LastRequest()
			if !got.JSON || !jsonEqual(got.Schema, req.JSONSchema) {
				t.Errorf("got JSON %v schema %s at the fake, want true and %s", got.JSON, got.Schema, req.JSONSchema)
			}
		})
	}

	type errCase struct {
		name       string
		b          Behaviour
		streamOnly bool
		kinds      []copydesk.ProviderErrorKind
		status     int // 0: not checked
		retryAfter time.Duration
	}
	cases := []errCase{
		{name: "429RetryAfter", b: Behaviour{Kind: RateLimited, RetryAfter: 2 * time.Second}, kinds: kinds(copydesk.ProviderRateLimited), status: 429, retryAfter: 2 * time.Second},
		{name: "429RetryAfterMS", b: Behaviour{Kind: RateLimited, RetryAfter: 1500 * time.Millisecond, RetryAfterMS: true}, kinds: kinds(copydesk.ProviderRateLimited), status: 429, retryAfter: 1500 * time.Millisecond},
		{name: "429RetryAfterDate", b: Behaviour{Kind: RateLimited, RetryAfter: 30 * time.Second, RetryAfterDate: true}, kinds: kinds(copydesk.ProviderRateLimited), status: 429, retryAfter: -30 * time.Second},
		{name: "500", b: Behaviour{Kind: ServerError}, kinds: kinds(copydesk.ProviderServer), status: 500},
		{name: "503", b: Behaviour{Kind: Unavailable}, kinds: kinds(copydesk.ProviderServer), status: 503},
		{name: "529", b: Behaviour{Kind: Overloaded}, kinds: kinds(copydesk.ProviderOverloaded), status: 529},
		{name: "401", b: Behaviour{Kind: Unauthorized}, kinds: kinds(copydesk.ProviderAuth), status: 401},
		{name: "402", b: Behaviour{Kind: Unauthorized, Status: 402}, kinds: kinds(copydesk.ProviderAuth), status: 402},
		{name: "403", b: Behaviour{Kind: Unauthorized, Status: 403}, kinds: kinds(copydesk.ProviderAuth), status: 403},
		{name: "400", b: Behaviour{Kind: BadRequest}, kinds: kinds(copydesk.ProviderBadRequest), status: 400},
		{name: "404", b: Behaviour{Kind: BadRequest, Status: 404}, kinds: kinds(copydesk.ProviderBadRequest), status: 404},
		{name: "MidStreamError", b: Behaviour{Kind: MidStreamError}, streamOnly: true, kinds: kinds(copydesk.ProviderServer, copydesk.ProviderOverloaded)},
		{name: "Truncated", b: Behaviour{Kind: Truncated}, streamOnly: true, kinds: kinds(copydesk.ProviderTruncated)},
	}
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			if tc.streamOnly && !stream {
				continue
			}
			t.Run("Error/"+tc.name+"/"+modeName(stream), func(t *testing.T) {
				t.Parallel()
				srv, p := h.setup(t, Options{})
				srv.Enqueue(tc.b)
				var deltas []string
				var err error
				if stream {
					deltas, _, err = collect(context.Background(), p, h.request())
				} else {
					_, err = p.Complete(context.Background(), h.request())
				}
				pe := MustProviderError(t, p, err, tc.kinds...)
				if tc.status != 0 && pe.Status != tc.status {
					t.Errorf("got Status %d, want %d", pe.Status, tc.status)
				}
				switch {
				case tc.retryAfter > 0 && pe.RetryAfter != tc.retryAfter:
					t.Errorf("got RetryAfter %v, want %v", pe.RetryAfter, tc.retryAfter)
				case tc.retryAfter < 0 && (pe.RetryAfter < -tc.retryAfter-5*time.Second || pe.RetryAfter > -tc.retryAfter):
					t.Errorf("got RetryAfter %v, want about %v", pe.RetryAfter, -tc.retryAfter)
				}
				if tc.streamOnly && len(deltas) == 0 {
					t.Error("got no deltas before the failure, want the part sent")
				}
				if n := srv.Calls(); n != 1 {
					t.Errorf("got %d calls at the fake, want exactly 1 (no SDK retries)", n)
				}
			})
		}
	}

	t.Run("WrongKey", func(t *testing.T) {
		t.Parallel()
		srv := NewTestServer(t, Options{Keys: []string{"another-key"}})
		p := h.New(t, srv.URL, conformanceKey, 0)
		_, err := p.Complete(context.Background(), h.request())
		MustProviderError(t, p, err, copydesk.ProviderAuth)
	})

	for _, stream := range []bool{false, true} {
		t.Run("ContextDeadline/"+modeName(stream), func(t *testing.T) {
			t.Parallel()
			srv, p := h.setup(t, Options{})
			srv.Enqueue(Behaviour{Latency: time.Minute, TTFT: time.Minute})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err := run(ctx, p, h.request(), stream)
			MustProviderError(t, p, err, copydesk.ProviderTimeout)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want errors.Is(err, context.DeadlineExceeded)", err)
			}
		})

		t.Run("ConfigTimeout/"+modeName(stream), func(t *testing.T) {
			t.Parallel()
			srv := NewTestServer(t, Options{})
			p := h.New(t, srv.URL, conformanceKey, 100*time.Millisecond)
			srv.Enqueue(Behaviour{Latency: time.Minute, TTFT: time.Minute})
			_, err := run(context.Background(), p, h.request(), stream)
			MustProviderError(t, p, err, copydesk.ProviderTimeout)
		})

		t.Run("Cancel/"+modeName(stream), func(t *testing.T) {
			t.Parallel()
			srv, p := h.setup(t, Options{})
			srv.Enqueue(Behaviour{Latency: time.Minute, TTFT: time.Minute})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for srv.Calls() == 0 && ctx.Err() == nil {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}()
			_, err := run(ctx, p, h.request(), stream)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want errors.Is(err, context.Canceled)", err)
			}
			var pe *copydesk.ProviderError
			if errors.As(err, &pe) && pe.Kind.Retryable() {
				t.Errorf("got retryable kind %q for a cancelled call, want none", pe.Kind)
			}
		})
	}

	t.Run("CancelMidStream", func(t *testing.T) {
		t.Parallel()
		srv, p := h.setup(t, Options{})
		srv.Enqueue(Behaviour{Latency: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		_, err := p.Stream(ctx, h.request(), func(string) error {
			n++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want errors.Is(err, context.Canceled)", err)
		}
		if n != 1 {
			t.Errorf("got %d deltas, want 1", n)
		}
	})

	t.Run("DeltaCallbackError", func(t *testing.T) {
		t.Parallel()
		_, p := h.setup(t, Options{})
		stop := errors.New("client went away")
		n := 0
		_, err := p.Stream(context.Background(), h.request(), func(string) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) {
			t.Fatalf("got %v, want the callback's error", err)
		}
		if n != 1 {
			t.Errorf("got %d callback calls, want 1", n)
		}
	})

	t.Run("Name", func(t *testing.T) {
		t.Parallel()
		_, p := h.setup(t, Options{})
		if p.Name() == "" {
			t.Error("got empty Name, want the configured name")
		}
	})

	runEmbedConformance(t, h)
	runCountConformance(t, h)
}

func kinds(k ...copydesk.ProviderErrorKind) []copydesk.ProviderErrorKind { return k }

// checkRecorded compares what the fake received with what was sent.
func checkRecorded(t *testing.T, h Harness, got Request, sent copydesk.ModelRequest, stream bool) {
	t.Helper()
	if h.Format != "" && got.Provider != h.Format {
		t.Errorf("got wire format %q, want %q", got.Provider, h.Format)
	}
	if got.Model != sent.Model {
		t.Errorf("got model %q, want %q", got.Model, sent.Model)
	}
	if got.System != sent.System {
		t.Errorf("got system %q, want %q", got.System, sent.System)
	}
	if !reflect.DeepEqual(got.Messages, sent.Messages) {
		t.Errorf("got messages %+v, want %+v", got.Messages, sent.Messages)
	}
	if got.MaxTokens != sent.MaxTokens {
		t.Errorf("got max tokens %d, want %d", got.MaxTokens, sent.MaxTokens)
	}
	if got.Temperature == nil || *got.Temperature != *sent.Temperature {
		t.Errorf("got temperature %v, want %v", got.Temperature, *sent.Temperature)
	}
	if got.Key != conformanceKey {
		t.Errorf("got key %q at the fake, want the configured one", got.Key)
	}
	if got.Stream != stream {
		t.Errorf("got stream %v, want %v", got.Stream, stream)
	}
	if got.JSON || got.Schema != nil {
		t.Errorf("got JSON output asked (%v, %s), want plain text", got.JSON, got.Schema)
	}
}

// BenchComplete measures one non-streaming call through the adapter against
// a fake with no latency.
func BenchComplete(b *testing.B, h Harness) {
	srv := NewTestServer(b, Options{})
	p := h.New(b, srv.URL, conformanceKey, 0)
	req := h.request()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Complete(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchStream measures one streaming call through the adapter against a fake
// with no latency.
func BenchStream(b *testing.B, h Harness) {
	srv := NewTestServer(b, Options{})
	p := h.New(b, srv.URL, conformanceKey, 0)
	req := h.request()
	ctx := context.Background()
	onDelta := func(string) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Stream(ctx, req, onDelta); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCompleteParallel measures non-streaming calls from 50 goroutines per
// core through one adapter (one key) against a zero-latency fake, the
// shape of a saturated provider connection pool.
func BenchCompleteParallel(b *testing.B, h Harness) {
	srv := NewTestServer(b, Options{})
	p := h.New(b, srv.URL, conformanceKey, 0)
	req := h.request()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(50)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Complete(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
