package http

import (
	"net/http"
	"strconv"
)

// Header names in canonical form (textproto.CanonicalMIMEHeaderKey), set
// by map assignment on the hot paths: Header.Set canonicalises its key on
// every call, and a key such as "X-Request-ID" or "RateLimit-Limit" is not
// canonical, so each Set allocated the canonical copy. The wire form is
// the same either way: net/http writes the canonical key.
const (
	hdrContentType      = "Content-Type"
	hdrContentTypeOpts  = "X-Content-Type-Options"
	hdrRequestID        = "X-Request-Id"
	hdrRateLimitLimit   = "Ratelimit-Limit"
	hdrRateLimitRemain  = "Ratelimit-Remaining"
	hdrRateLimitReset   = "Ratelimit-Reset"
	hdrRetryAfter       = "Retry-After"
	hdrCopydeskProvider = "X-Copydesk-Provider"
	hdrCopydeskModel    = "X-Copydesk-Model"
	hdrCopydeskCache    = "X-Copydesk-Cache"
	hdrCopydeskSim      = "X-Copydesk-Simulated"
	hdrCopydeskClamped  = "X-Copydesk-Budget-Clamped"
)

// Values of constant headers, shared by every answer. net/http only reads
// a header's values (it copies them when it freezes the header at
// WriteHeader), and each slice is full (len == cap), so an Add to the same
// key copies instead of writing into the shared array. Never write into
// them.
var (
	valJSON    = []string{"application/json; charset=utf-8"}
	valNosniff = []string{"nosniff"}
	valHit     = []string{"hit"}
	valMiss    = []string{"miss"}
	valTrue    = []string{"true"}
)

// setJSONHeaders marks an answer as JSON that browsers must not sniff.
func setJSONHeaders(h http.Header) {
	h[hdrContentType] = valJSON
	h[hdrContentTypeOpts] = valNosniff
}

// setInt sets the canonical key to n.
func setInt(h http.Header, key string, n int) {
	h[key] = []string{strconv.Itoa(n)}
}
