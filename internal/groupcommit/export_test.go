package groupcommit

// Writing reports whether a batch is being written.
func Writing[T any](w *Writer[T]) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writing
}

// PendingLen returns the number of items waiting for the next batch.
func PendingLen[T any](w *Writer[T]) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}
