package providertest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/providertest"
)

// The standalone fake, as the fake-provider command serves it: all three wire
// formats on one handler, every answer labelled simulated.
func ExampleNewServer() {
	srv := providertest.NewServer(providertest.Options{Latency: 10 * time.Millisecond, TTFT: 5 * time.Millisecond, Seed: 1})
	ts := httptest.NewServer(srv.Handler()) // or http.ListenAndServe("127.0.0.1:9900", srv.Handler())
	defer ts.Close()

	srv.Enqueue(providertest.Behaviour{Kind: providertest.RateLimited, RetryAfter: 2 * time.Second})
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write a tagline"}]}`
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer demo")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var out struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
			Usage struct {
				PromptTokens int `json:"prompt_tokens"`
			} `json:"usage"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Println(resp.StatusCode, "Retry-After:", resp.Header.Get("Retry-After"), "simulated:", resp.Header.Get(providertest.SimulatedHeader))
			continue
		}
		fmt.Println(resp.StatusCode, strings.HasPrefix(out.Choices[0].Message.Content, "[simulated] "), out.Usage.PromptTokens, "simulated:", resp.Header.Get(providertest.SimulatedHeader))
	}
	fmt.Println("calls:", srv.Calls(), "for this prompt:", srv.PromptCalls("Write a tagline"))
	// Output:
	// 429 Retry-After: 2 simulated: true
	// 200 true 3 simulated: true
	// calls: 2 for this prompt: 2
}
