package jobs

import (
	"strconv"
	"testing"
)

func TestFreshJobs(t *testing.T) {
	var f freshJobs
	if _, ok := f.take("job_none"); ok {
		t.Fatal("an empty set gave a kind")
	}
	for i := range freshCap + 1 {
		f.add("job_"+strconv.Itoa(i), "kind"+strconv.Itoa(i%3))
	}
	// Past freshCap the oldest is forgotten; the map stays bounded.
	if _, ok := f.take("job_0"); ok {
		t.Error("the oldest job is still remembered past freshCap")
	}
	if f.kinds.len() != freshCap {
		t.Errorf("remembers %d jobs, want %d", f.kinds.len(), freshCap)
	}
	if kind, ok := f.take("job_5"); !ok || kind != "kind2" {
		t.Errorf("take(job_5): got %q, %v; want kind2, true", kind, ok)
	}
	// An entry is taken once.
	if _, ok := f.take("job_5"); ok {
		t.Error("job_5 taken twice")
	}
	// Five more forget the next five oldest (job_5's slot was free), no
	// one younger.
	for i := range 5 {
		f.add("new_"+strconv.Itoa(i), "k")
	}
	if _, ok := f.take("job_1"); ok {
		t.Error("job_1 still remembered")
	}
	if _, ok := f.take("job_6"); !ok {
		t.Error("job_6 forgotten too early")
	}
	if f.kinds.len() != freshCap-1 { // job_1..4 forgotten, job_5 and job_6 taken, five new
		t.Errorf("remembers %d jobs, want %d", f.kinds.len(), freshCap-1)
	}
}
