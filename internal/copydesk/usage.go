package copydesk

import "time"

// RouteAttempt is one step the router took for a model call: a provider call,
// or a candidate it skipped (limited, breaker open, key dead). It never holds
// a credential: keys are named by their index in the provider's key list.
type RouteAttempt struct {
	Endpoint  string            `json:"endpoint"`             // the routing endpoint's name
	Provider  string            `json:"provider"`             // the provider instance's name
	Model     string            `json:"model"`                // the model asked for
	Key       int               `json:"key"`                  // index of the key in the provider's key list
	Outcome   string            `json:"outcome"`              // one of the Outcome* constants
	ErrorKind ProviderErrorKind `json:"error_kind,omitempty"` // set when Outcome is OutcomeError
	Wait      time.Duration     `json:"wait,omitempty"`       // time slept before this attempt
	Duration  time.Duration     `json:"duration"`             // time spent in the provider call
}

// Outcomes of a RouteAttempt.
const (
	OutcomeOK          = "ok"           // the call succeeded
	OutcomeError       = "error"        // the provider call failed; see ErrorKind
	OutcomeLimited     = "limited"      // Copydesk's own limiter refused the call
	OutcomeBreakerOpen = "breaker_open" // the circuit breaker refused the call
	OutcomeKeyDead     = "key_dead"     // the key was skipped after an auth failure
	OutcomeKeyCooling  = "key_cooling"  // the key was skipped while its Retry-After runs
)

// RouteDecision records why a model call went where it went: the model class
// chosen, the reason, and every attempt in order.
type RouteDecision struct {
	Class    string         `json:"class"`    // model class chosen: quality, fast, budget or a configured one
	Reason   string         `json:"reason"`   // why, in words: the rule, budget or load that decided
	Attempts []RouteAttempt `json:"attempts"` // every attempt and skipped candidate, in order
}

// UsageRecord is the accounting of one model call: who served it, the tokens
// the provider reported, what it cost and how long it took. It is what the
// cost ledger stores and what metrics are derived from.
type UsageRecord struct {
	CustomerID   string        `json:"customer_id,omitempty"` // who pays; "" for none
	Kind         string        `json:"kind"`                  // task kind
	Endpoint     string        `json:"endpoint"`              // the routing endpoint that answered
	Provider     string        `json:"provider"`              // its provider instance
	Model        string        `json:"model"`                 // its model, as priced
	InputTokens  int           `json:"input_tokens"`          // includes CachedTokens
	OutputTokens int           `json:"output_tokens"`         //
	CachedTokens int           `json:"cached_tokens"`         // input tokens served from the provider's prompt cache
	Cost         Micros        `json:"cost"`                  // in Currency, rounded up to the micro-unit
	Currency     string        `json:"currency"`              // ISO 4217 code of Cost
	Latency      time.Duration `json:"latency"`               // from the router's start to the end of the call
	TTFT         time.Duration `json:"ttft"`                  // time to first streamed token; 0 when not streamed
	Attempts     int           `json:"attempts"`              // provider calls made, the successful one included
	Decision     RouteDecision `json:"decision"`              // how the call was routed
	At           time.Time     `json:"at"`                    // when the call finished
	Tier         string        `json:"tier,omitempty"`        // TierBatch for a batch answer; "" (live) otherwise
}
