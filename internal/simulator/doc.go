// Package simulator is the simulated model provider: one HTTP server that
// speaks the wire formats of OpenAI, Anthropic and Gemini, for demos
// (serve --simulate, copydesk fake-provider), load tests and tests. It
// links no test packages; providertest wraps it for tests.
//
// A Server speaks the real wire formats of OpenAI (/v1/chat/completions, JSON
// and SSE with a usage chunk and [DONE]), Anthropic (/v1/messages, JSON and
// the SSE sequence message_start … message_stop with running usage totals)
// and Gemini (/v1beta/models/{model}:generateContent and
// :streamGenerateContent?alt=sse with single-line data: events), on one mux,
// with the batch APIs of OpenAI (/v1/files, /v1/batches) and Gemini
// (:batchGenerateContent with inlined requests, /v1beta/batches) scripted
// by BatchBehaviour.
// It accepts keys as Authorization: Bearer, x-api-key, api-key,
// x-goog-api-key or ?key=. It also speaks the batch APIs of OpenAI (files
// and /v1/batches) and Anthropic (Message Batches: /v1/messages/batches,
// results as JSONL at the batch's results_url), scripted alike for every
// format by BatchBehaviour and answered as the live endpoints answer.
//
// Every call takes the next Behaviour from a queue (Server.Enqueue), or the
// default (Options.Default, Server.SetDefault), with Options.ErrorRate
// drawing random failures from Options.Errors when the queue is empty. The
// kinds are OK, RateLimited (429 with Retry-After seconds, retry-after-ms or
// an HTTP date; Gemini: google.rpc.RetryInfo), ServerError (500),
// Unavailable (503), Overloaded (529 overloaded_error), Unauthorized (401, or
// Status 402/403), BadRequest (400, or another Status), MidStreamError (part
// of the stream, then the format's error event) and Truncated (part of the
// stream, then a clean end without terminator). Latency and TTFT (slow first
// token) apply per behaviour or server-wide; CachedTokens reports prompt
// cache hits; Text fixes the answer.
//
// Answers come from Options.Responder, by default DefaultResponder: a
// deterministic text derived from the prompt that starts with "[simulated] ",
// or, when JSON output is asked for, SchemaExample of the schema ("{}"
// without one). Usage is deterministic: input tokens
// are the words of the system prompt and messages, output tokens the words
// of the answer (see Tokens). A MaxTokens below the answer's word count cuts
// the answer with the format's length finish reason. Every response carries
// X-Copydesk-Simulated: true.
//
// The server counts calls (Calls, PromptCalls) and records normalized
// requests (Requests, LastRequest) so tests can assert "exactly one
// provider call" and what reached the provider.
//
// Standalone use (the copydesk fake-provider command):
//
//	srv := simulator.NewServer(simulator.Options{Latency: 800 * time.Millisecond, TTFT: 200 * time.Millisecond, ErrorRate: 0.05})
//	http.ListenAndServe("127.0.0.1:9900", srv.Handler())
package simulator
