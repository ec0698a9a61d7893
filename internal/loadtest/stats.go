package loadtest

import (
	"slices"
	"time"
)

// Summary is the distribution of a set of durations.
type Summary struct {
	N   int
	P50 time.Duration
	P90 time.Duration
	P99 time.Duration
	Max time.Duration
}

// Summarize sorts d in place and returns its nearest-rank percentiles; the
// zero Summary for no durations.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	return Summary{
		N:   len(d),
		P50: Percentile(d, 50),
		P90: Percentile(d, 90),
		P99: Percentile(d, 99),
		Max: d[len(d)-1],
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value at least p percent of the values are at or
// below. With 100 values, p50 is the 50th smallest and p99 the 99th; with
// fewer than 100, p99 is the largest. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 * n), computed in integers where p is whole so
	// that 50% of 100 is exactly rank 50, not 50.000000001.
	var rank int
	if p == float64(int(p)) {
		rank = (int(p)*n + 99) / 100
	} else {
		r := p / 100 * float64(n)
		rank = int(r)
		if float64(rank) < r {
			rank++
		}
	}
	return sorted[max(0, min(rank-1, n-1))]
}
