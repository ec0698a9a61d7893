package cache

// A provider call runs on a goroutine of its own (run), which starts with a
// small stack and calls through the whole model chain (budget, router, the
// provider's SDK, the HTTP client): its stack grows by doubling, and each
// doubling copies the frames of a deep stack. growStack grows it once, at
// the start, while the stack is shallow and cheap to copy. 32 KiB covers
// a deep analysis call, whose response schema the SDK marshals by deep
// recursion (16 KiB was enough for a chat call).

// stackIndex is always 0 and never written: indexing with it keeps the
// array below in the frame.
var stackIndex int

//go:noinline
func growStack() byte {
	var b [32 << 10]byte
	return b[stackIndex]
}
