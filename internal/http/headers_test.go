package http

import (
	"net/textproto"
	"testing"
)

// The hot paths assign these keys to the header map directly, skipping
// Header.Set's canonicalisation: a key that is not canonical would be a
// second entry that Header.Get never finds.
func TestHeaderKeysAreCanonical(t *testing.T) {
	for _, k := range []string{hdrContentType, hdrContentTypeOpts, hdrRequestID, hdrRateLimitLimit,
		hdrRateLimitRemain, hdrRateLimitReset, hdrRetryAfter, hdrCopydeskProvider, hdrCopydeskModel,
		hdrCopydeskCache, hdrCopydeskSim, hdrCopydeskClamped} {
		if c := textproto.CanonicalMIMEHeaderKey(k); c != k {
			t.Errorf("%q is not canonical; use %q", k, c)
		}
	}
	for _, v := range [][]string{valJSON, valNosniff, valHit, valMiss, valTrue} {
		if len(v) != cap(v) {
			t.Errorf("%q: len %d, cap %d; an Add would write into the shared array", v, len(v), cap(v))
		}
	}
}
