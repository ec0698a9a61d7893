package copydesk

import (
	"crypto/rand"
	"time"
)

// crockford is the Crockford base32 alphabet: no I, L, O or U, and its order
// matches ASCII order so that encoded IDs sort like their bytes.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// JobIDPrefix starts every job ID.
const JobIDPrefix = "job_"

// NewJobID returns a new job ID: "job_" followed by 26 Crockford base32
// characters, 48 bits of milliseconds since the Unix epoch taken from now and
// 80 random bits from crypto/rand (the ULID layout). IDs of different
// milliseconds sort by time; within one millisecond their order is random.
// Pass the injected clock's time, never time.Now directly.
func NewJobID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:]) // never returns an error (crypto/rand, Go 1.24+)
	return JobIDPrefix + encodeULID(b)
}

// encodeULID encodes 128 bits as 26 base32 characters, most significant first
// (the first character carries the top 3 bits, padded with two zero bits).
func encodeULID(b [16]byte) string {
	var out [26]byte
	// Work on the 128-bit value as two 64-bit halves.
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
