package gemini

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// newHTTPClient returns the default HTTP client of a Client: Go's default
// transport with a connection pool sized for many concurrent calls to one
// host (the standard transport keeps only 2 idle connections per host, so
// under load every call would open a new connection). No client timeout:
// Config.Timeout bounds each call through its context, streams included.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

// withBatchDetails returns a copy of hc whose transport makes the answers
// of batch reads readable to the SDK (batchDetails).
func withBatchDetails(hc *http.Client) *http.Client {
	c := *hc
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = batchDetails{next: next}
	return &c
}

// batchDetails rewrites the answer of a batch read (GET …/batches…) for
// the SDK: an inlined request's error is a google.rpc.Status, whose
// details are objects ({"@type": …}), but the SDK's JobError declares them
// strings, and one such object would make the whole batch unreadable, so
// that none of its answers could ever be collected. Each detail that is
// not a string becomes its JSON text. Other answers pass unchanged.
type batchDetails struct{ next http.RoundTripper }

func (t batchDetails) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodGet || resp.StatusCode != http.StatusOK || !strings.Contains(r.URL.Path, "/batches") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = stringifyDetails(body)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// stringifyDetails returns body with every element of a "details" list
// that is not a string replaced by its JSON text; body itself when there is
// none, or when it is not JSON.
func stringifyDetails(body []byte) []byte {
	if !bytes.Contains(body, []byte(`"details"`)) {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // token counts and codes keep their digits
	var v any
	if dec.Decode(&v) != nil || !stringify(v) {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// stringify rewrites the details lists under v in place and reports
// whether it changed any.
func stringify(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if list, ok := e.([]any); ok && k == "details" {
				for i, d := range list {
					if _, ok := d.(string); !ok {
						b, err := json.Marshal(d)
						if err == nil {
							list[i], changed = string(b), true
						}
					}
				}
				continue
			}
			changed = stringify(e) || changed
		}
	case []any:
		for _, e := range x {
			changed = stringify(e) || changed
		}
	}
	return changed
}
