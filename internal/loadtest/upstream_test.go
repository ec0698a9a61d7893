package loadtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openaisdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/copydesk/copydesk/internal/loadtest"
)

func newSDK(t *testing.T, url string) openaisdk.Client {
	t.Helper()
	return openaisdk.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("bench"), option.WithMaxRetries(0))
}

// TestUpstreamSpeaksOpenAI checks the instant upstream with the official
// SDK, the client Copydesk's adapter uses: JSON and streamed answers, the
// model echoed, usage in the answer and in the stream's last chunk.
func TestUpstreamSpeaksOpenAI(t *testing.T) {
	t.Parallel()
	up := &loadtest.Upstream{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	c := newSDK(t, srv.URL)
	ctx := context.Background()
	params := openaisdk.ChatCompletionNewParams{
		Model:    "gpt-4.1-nano",
		Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage("hello")},
	}
	cc, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Model != "gpt-4.1-nano" || len(cc.Choices) != 1 || cc.Choices[0].Message.Content != loadtest.Answer || cc.Choices[0].FinishReason != "stop" {
		t.Errorf("got model %q, choices %+v", cc.Model, cc.Choices)
	}
	if cc.Usage.PromptTokens != loadtest.PromptTokens || cc.Usage.CompletionTokens != loadtest.CompletionTokens {
		t.Errorf("got usage %+v", cc.Usage)
	}

	params.StreamOptions = openaisdk.ChatCompletionStreamOptionsParam{IncludeUsage: openaisdk.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	var finish string
	usageSeen := false
	for stream.Next() {
		ch := stream.Current()
		if ch.Model != "gpt-4.1-nano" {
			t.Errorf("chunk model %q", ch.Model)
		}
		if ch.JSON.Usage.Valid() {
			usageSeen = ch.Usage.CompletionTokens == loadtest.CompletionTokens
			if len(ch.Choices) != 0 {
				t.Errorf("usage chunk has %d choices, want 0", len(ch.Choices))
			}
		}
		for _, c := range ch.Choices {
			text.WriteString(c.Delta.Content)
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != loadtest.Answer || finish != "stop" || !usageSeen {
		t.Errorf("stream: text %q, finish %q, usage seen %v", text.String(), finish, usageSeen)
	}
	if got := up.Calls(); got != 2 {
		t.Errorf("Calls: got %d, want 2", got)
	}

	resp, err := http.Get(srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /v1/models: status %d, want 404", resp.StatusCode)
	}
}

// TestHold: a held stream starts, waits for Release, then sends stamped
// chunks that together with the rest are a findings answer.
func TestHold(t *testing.T) {
	t.Parallel()
	up := &loadtest.Upstream{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	hold := loadtest.NewHold("bnchfanZ", 5, time.Millisecond, time.Minute)
	up.AddHold(hold)
	c := newSDK(t, srv.URL)
	type result struct {
		text   string
		chunks int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		stream := c.Chat.Completions.NewStreaming(context.Background(), openaisdk.ChatCompletionNewParams{
			Model:         "gpt-4o-mini",
			Messages:      []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage("analyse this: bnchfanZ job 1")},
			StreamOptions: openaisdk.ChatCompletionStreamOptionsParam{IncludeUsage: openaisdk.Bool(true)},
		})
		var r result
		var b strings.Builder
		for stream.Next() {
			for _, ch := range stream.Current().Choices {
				if ch.Delta.Content != "" {
					r.chunks++
					b.WriteString(ch.Delta.Content)
				}
			}
		}
		r.text, r.err = b.String(), stream.Err()
		done <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); hold.Arrived() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the held stream did not arrive")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("the stream ended before Release: %+v", r)
	case <-time.After(20 * time.Millisecond):
	}
	before := time.Now().UnixNano()
	hold.Release()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.chunks != 1+5+1 {
		t.Errorf("got %d text chunks, want 7 (opening, 5 stamps, closing)", r.chunks)
	}
	var answer struct {
		Findings []struct {
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.text), &answer); err != nil || len(answer.Findings) != 1 {
		t.Fatalf("the answer %q is not one finding: %v", r.text, err)
	}
	stamps := loadtest.AppendStamps(nil, []byte(answer.Findings[0].Message))
	if len(stamps) != 5 {
		t.Fatalf("got %d stamps in %q, want 5", len(stamps), answer.Findings[0].Message)
	}
	for i, s := range stamps {
		if s < before || s > time.Now().UnixNano() || (i > 0 && s < stamps[i-1]) {
			t.Errorf("stamp %d = %d is not a time after the release, in order", i, s)
		}
	}

	// Without the marker nothing is held.
	up.RemoveHold(hold)
	if _, err := c.Chat.Completions.New(context.Background(), openaisdk.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage("bnchfanZ")},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestAppendStamps(t *testing.T) {
	t.Parallel()
	got := loadtest.AppendStamps(nil, []byte(`{"task":"tone","text":" @1700000000123456789 @1700000000123456790"} mail@example.com @12 @`))
	if len(got) != 2 || got[0] != 1700000000123456789 || got[1] != 1700000000123456790 {
		t.Errorf("got %v", got)
	}
}

func TestBare(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(loadtest.Bare())
	t.Cleanup(srv.Close)
	c := newSDK(t, srv.URL)
	cc, err := c.Chat.Completions.New(context.Background(), openaisdk.ChatCompletionNewParams{
		Model: "anything", Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cc.Model != loadtest.DefaultModel || cc.Choices[0].Message.Content != loadtest.Answer {
		t.Errorf("got %+v", cc)
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	s, err := loadtest.Serve("127.0.0.1:0", loadtest.Bare())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"chat.completion"`) {
		t.Errorf("status %d: %s", resp.StatusCode, b)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestReadEvents(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 40<<10)
	in := "retry: 2000\n\n" +
		": heartbeat\n\n" +
		"id: 1\nevent: job.queued\ndata: {\"priority\":\"HIGH\"}\n\n" +
		"id: 2\r\nevent: delta\r\ndata: a\r\ndata: b\r\n\r\n" +
		"data: plain\n\n" +
		"id: 3\nevent: done\ndata: " + long + "\n\n" +
		"id: 4\nevent: after\ndata: {}\n\n"
	type got struct {
		id    int64
		hasID bool
		typ   string
		data  string
	}
	var evs []got
	err := loadtest.ReadEvents(strings.NewReader(in), func(ev *loadtest.Event) bool {
		evs = append(evs, got{ev.ID, ev.HasID, ev.Type, string(ev.Data)})
		return ev.Type != "done"
	})
	if err != nil {
		t.Fatalf("got error %v, want nil when the callback stops", err)
	}
	want := []got{{1, true, "job.queued", `{"priority":"HIGH"}`}, {2, true, "delta", "a\nb"}, {0, false, "message", "plain"}, {3, true, "done", long}}
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d", len(evs), len(want))
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: got %+v, want %+v", i, evs[i], want[i])
		}
	}
	if err := loadtest.ReadEvents(strings.NewReader("id: 1\nevent: x\ndata: y\n\n"), func(*loadtest.Event) bool { return true }); err != io.EOF {
		t.Errorf("stream ended: got %v, want io.EOF", err)
	}
	if err := loadtest.ReadEvents(strings.NewReader("id: one\n\n"), func(*loadtest.Event) bool { return true }); err == nil || err == io.EOF {
		t.Errorf("bad id: got %v, want an error", err)
	}
}

func TestStatusError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  *loadtest.StatusError
		want string
	}{
		{&loadtest.StatusError{Target: "POST /v1/chat/completions", Status: 401, Want: 200, Body: `{"error":{}}`}, `POST /v1/chat/completions: status 401, want 200: {"error":{}}`},
		{&loadtest.StatusError{Target: "POST /v1/chat/completions", Status: 200, Want: 200, Reason: "X-Copydesk-Cache is miss, want hit"}, `POST /v1/chat/completions: status 200 but X-Copydesk-Cache is miss, want hit`},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if got := loadtest.Snippet([]byte(strings.Repeat("a", 300))); len(got) != 200+len("…") {
		t.Errorf("Snippet: got %d bytes", len(got))
	}
}
