package anthropic

import (
	"net/http"
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
