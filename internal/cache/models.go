package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jsonappend"
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

// callKeyInput is the canonical encoding of what decides a model's answer:
// encoding/json's of this type. appendCallKey writes the same bytes by hand
// (TestCallKeyEncoding and FuzzCallKeyEncoding compare the two): the
// reflective encoder was about 2.5 % of a cache hit's CPU in a profile.
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

// appendCallKey appends the canonical encoding of r: what json.Marshal
// writes for r's callKeyInput.
func appendCallKey(b []byte, r copydesk.ModelRequest) ([]byte, error) {
	b = append(b, `{"model":`...)
	b = jsonappend.String(b, r.Model)
	b = append(b, `,"system":`...)
	b = jsonappend.String(b, r.System)
	b = append(b, `,"messages":`...)
	if r.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, m := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"role":`...)
			b = jsonappend.String(b, m.Role)
			b = append(b, `,"content":`...)
			b = jsonappend.String(b, m.Content)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"max_tokens":`...)
	b = strconv.AppendInt(b, int64(r.MaxTokens), 10)
	b = append(b, `,"temperature":`...)
	if r.Temperature == nil {
		b = append(b, "null"...)
	} else {
		var ok bool
		if b, ok = jsonappend.Float(b, *r.Temperature); !ok {
			return b, fmt.Errorf("cache: temperature %v is not a JSON number", *r.Temperature)
		}
	}
	b = append(b, `,"schema":`...)
	if r.JSONSchema == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = jsonappend.Raw(b, r.JSONSchema); err != nil {
			return b, fmt.Errorf("cache: the schema: %w", err)
		}
	}
	b = append(b, `,"schema_name":`...)
	b = jsonappend.String(b, r.SchemaName)
	if len(r.Input) > 0 {
		b = append(b, `,"input":`...)
		b = jsonappend.Strings(b, r.Input)
	}
	if r.Dimensions != 0 {
		b = append(b, `,"dimensions":`...)
		b = strconv.AppendInt(b, int64(r.Dimensions), 10)
	}
	return append(b, '}'), nil
}

// CallRequest returns the cache request of a model call answered by the
// given set of models.
func CallRequest(call copydesk.ModelCall, modelSet string) (Request, error) {
	bp := keyBufPool.Get().(*[]byte) // Key takes a second one meanwhile
	input, err := appendCallKey((*bp)[:0], call.Request)
	var req Request
	if err == nil {
		req = NewRequest(KeyParts{
			CustomerID: call.CustomerID, Kind: call.Kind, Input: string(input),
			ModelClass: modelSet + "/" + call.Request.Model, Version: call.Version,
		})
	}
	if cap(input) <= 1<<20 { // do not keep huge buffers alive
		*bp = input[:0]
		keyBufPool.Put(bp)
	}
	return req, err
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
	st := &streamState{attached: true} // one allocation for what the call shares with this caller
	decoded, raw, outcome, err := m.Cache.DoDecoded(ctx, req, func(cctx context.Context) ([]byte, copydesk.Micros, error) {
		var rec StreamRecord
		var relay func(string) error
		if onDelta != nil {
			relay = func(d string) error {
				st.mu.Lock()
				defer st.mu.Unlock()
				rec.Deltas = append(rec.Deltas, d)
				if st.attached {
					if onDelta(d) != nil {
						st.attached = false
					} else {
						st.delivered++
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
		st.mu.Lock()
		st.live = res
		st.mu.Unlock()
		if res.ClampedMaxTokens > 0 {
			// Cut short by a budget: not the answer to the call asked for.
			return nil, 0, &NoStore{Value: b, Cost: res.Usage.Cost}
		}
		return b, res.Usage.Cost, nil
	}, decodeReplay)
	st.mu.Lock()
	st.attached = false
	sent, own := st.delivered, st.live
	st.mu.Unlock()
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

// streamState is what a provider call running detached shares with the
// caller that started it.
type streamState struct {
	mu        sync.Mutex
	attached  bool // the caller still takes deltas
	delivered int  // deltas the caller took
	live      *copydesk.ModelResult
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
