package cache

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Models caches and deduplicates model calls: identical calls (same
// customer partition, task kind, request, prompt version) share one provider
// call, and a finished answer is replayed to later callers as the same
// stream of deltas. Only answers that pass the call's Validate are cached.
type Models struct {
	Next  copydesk.ModelService
	Cache *Cache
	// ModelSet names the configured models (a fingerprint of the routing);
	// answers of one set are never served for another.
	ModelSet string
}

var _ copydesk.ModelService = (*Models)(nil)

// callKeyInput is the canonical encoding of what decides a model's answer.
type callKeyInput struct {
	Model       string             `json:"model"`
	System      string             `json:"system"`
	Messages    []copydesk.Message `json:"messages"`
	MaxTokens   int                `json:"max_tokens"`
	Temperature *float64           `json:"temperature"`
	Schema      json.RawMessage    `json:"schema"`
	SchemaName  string             `json:"schema_name"`
	Input       []string           `json:"input,omitempty"`      // embedding calls
	Dimensions  int                `json:"dimensions,omitempty"` // embedding calls
}

// CallRequest returns the cache request of a model call answered by the
// given set of models.
func CallRequest(call copydesk.ModelCall, modelSet string) (Request, error) {
	r := call.Request
	input, err := json.Marshal(callKeyInput{
		Model: r.Model, System: r.System, Messages: r.Messages, MaxTokens: r.MaxTokens,
		Temperature: r.Temperature, Schema: r.JSONSchema, SchemaName: r.SchemaName,
		Input: r.Input, Dimensions: r.Dimensions,
	})
	if err != nil {
		return Request{}, err
	}
	return NewRequest(KeyParts{
		CustomerID: call.CustomerID, Kind: call.Kind, Input: string(input),
		ModelClass: modelSet + "/" + r.Model, Version: call.Version,
	}), nil
}

// Stream implements copydesk.ModelService.
func (m *Models) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	req, err := CallRequest(call, m.ModelSet)
	if err != nil {
		return nil, err
	}
	// The provider call runs detached from this caller; deltas reach this
	// caller only while it waits, and a failing receiver does not stop the
	// call that others (and the cache) wait on.
	var mu sync.Mutex
	attached, delivered := true, 0
	var live *copydesk.ModelResult
	decoded, raw, outcome, err := m.Cache.DoDecoded(ctx, req, func(cctx context.Context) ([]byte, copydesk.Micros, error) {
		var rec StreamRecord
		var relay func(string) error
		if onDelta != nil {
			relay = func(d string) error {
				mu.Lock()
				defer mu.Unlock()
				rec.Deltas = append(rec.Deltas, d)
				if attached {
					if onDelta(d) != nil {
						attached = false
					} else {
						delivered++
					}
				}
				return nil
			}
		}
		res, err := m.Next.Stream(cctx, call, relay)
		if err != nil {
			return nil, 0, err
		}
		if onDelta == nil && res.Response.Text != "" {
			rec.Deltas = []string{res.Response.Text} // replayed as one delta
		}
		if call.Validate != nil {
			if verr := call.Validate(res.Response); verr != nil {
				var pe *copydesk.ProviderError
				if !errors.As(verr, &pe) {
					verr = &copydesk.ProviderError{Provider: res.Usage.Provider, Kind: copydesk.ProviderInvalid, Message: copydesk.ErrorMessage(verr), Err: verr}
				}
				return nil, 0, verr
			}
		}
		final, err := json.Marshal(res)
		if err != nil {
			return nil, 0, err
		}
		rec.Final = final
		b, err := EncodeStream(rec)
		if err != nil {
			return nil, 0, err
		}
		mu.Lock()
		live = res
		mu.Unlock()
		if res.ClampedMaxTokens > 0 {
			// Cut short by a budget: not the answer to the call asked for.
			return nil, 0, &NoStore{Value: b, Cost: res.Usage.Cost}
		}
		return b, res.Usage.Cost, nil
	}, decodeReplay)
	mu.Lock()
	attached = false
	sent, own := delivered, live
	mu.Unlock()
	if err != nil {
		return nil, err
	}
	if outcome.Source == SourceMiss {
		if own != nil {
			return own, nil
		}
		if decoded, err = decodeReplay(raw); err != nil {
			return nil, err
		}
	}
	r := decoded.(*replay)
	// Replay what this caller has not seen (all of it, for a cache hit).
	if onDelta != nil {
		for _, d := range r.rec.Deltas[min(sent, len(r.rec.Deltas)):] {
			if err := onDelta(d); err != nil {
				return nil, err
			}
		}
	}
	res := r.res // a copy: the decoded value is shared
	if res.Response != nil {
		resp := *res.Response
		res.Response = &resp
	}
	res.Cached = true
	return &res, nil
}

// replay is a cached model answer decoded: its deltas and its result.
type replay struct {
	rec StreamRecord
	res copydesk.ModelResult
}

// decodeReplay decodes a value written by Models.
func decodeReplay(value []byte) (any, error) {
	rec, err := DecodeStream(value)
	if err != nil {
		return nil, err
	}
	r := &replay{rec: rec}
	if err := json.Unmarshal(rec.Final, &r.res); err != nil {
		return nil, err
	}
	return r, nil
}
