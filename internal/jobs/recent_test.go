package jobs

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestFreshJobs(t *testing.T) {
	var f freshJobs
	if _, ok := f.take("job_none"); ok {
		t.Fatal("an empty set gave a job")
	}
	add := func(id, kind string) {
		f.add(&copydesk.Job{ID: id, Kind: kind, Input: json.RawMessage(`{}`)})
	}
	for i := range freshCap + 1 {
		add("job_"+strconv.Itoa(i), "kind"+strconv.Itoa(i%3))
	}
	// Past freshCap the oldest is forgotten; the map stays bounded.
	if _, ok := f.take("job_0"); ok {
		t.Error("the oldest job is still remembered past freshCap")
	}
	if f.jobs.len() != freshCap {
		t.Errorf("remembers %d jobs, want %d", f.jobs.len(), freshCap)
	}
	if fj, ok := f.take("job_5"); !ok || fj.kind != "kind2" || fj.job == nil || fj.job.ID != "job_5" {
		t.Errorf("take(job_5): got %+v, %v; want kind2 and the job, true", fj, ok)
	}
	// An entry is taken once.
	if _, ok := f.take("job_5"); ok {
		t.Error("job_5 taken twice")
	}
	// Five more forget the next five oldest (job_5's slot was free), no
	// one younger.
	for i := range 5 {
		add("new_"+strconv.Itoa(i), "k")
	}
	if _, ok := f.take("job_1"); ok {
		t.Error("job_1 still remembered")
	}
	if _, ok := f.take("job_6"); !ok {
		t.Error("job_6 forgotten too early")
	}
	if f.jobs.len() != freshCap-1 { // job_1..4 forgotten, job_5 and job_6 taken, five new
		t.Errorf("remembers %d jobs, want %d", f.jobs.len(), freshCap-1)
	}
	if want := 2 * f.jobs.len(); f.bytes != want {
		t.Errorf("counts %d input bytes, want %d (the kept jobs' inputs)", f.bytes, want)
	}
}

// TestFreshJobsInputBound: past freshInputBytes a job is remembered by its
// kind only; the bytes of taken and forgotten jobs count no more.
func TestFreshJobsInputBound(t *testing.T) {
	var f freshJobs
	big := json.RawMessage(`"` + strings.Repeat("x", freshInputBytes/2-2) + `"`)
	f.add(&copydesk.Job{ID: "a", Kind: "k", Input: big})
	f.add(&copydesk.Job{ID: "b", Kind: "k", Input: big})
	f.add(&copydesk.Job{ID: "c", Kind: "k", Input: big})
	if fj, _ := f.take("c"); fj.kind != "k" || fj.job != nil {
		t.Errorf("the job past the bound: got %+v, want its kind only", fj)
	}
	if fj, _ := f.take("a"); fj.job == nil {
		t.Error("a job within the bound was not kept whole")
	}
	f.add(&copydesk.Job{ID: "d", Kind: "k", Input: big})
	if fj, _ := f.take("d"); fj.job == nil {
		t.Error("a taken job's input still counts against the bound")
	}
	if f.bytes != len(big) {
		t.Errorf("counts %d input bytes, want %d (b only)", f.bytes, len(big))
	}
	// A job forgotten past freshCap gives its bytes back.
	for i := range freshCap {
		f.add(&copydesk.Job{ID: "n" + strconv.Itoa(i), Kind: "k"})
	}
	if f.bytes != 0 {
		t.Errorf("counts %d input bytes after b was forgotten, want 0", f.bytes)
	}
}

// TestFreshJobsPreparedBound: what a submitter prepared is kept with at
// most freshPreparedBytes of inputs, given back when the job is taken or
// forgotten, and dropped (not the job) past the bound.
func TestFreshJobsPreparedBound(t *testing.T) {
	var f freshJobs
	in := json.RawMessage(`"` + strings.Repeat("x", freshPreparedBytes/2-2) + `"`)
	prep := new(int)
	for _, id := range []string{"a", "b", "c"} {
		f.add(&copydesk.Job{ID: id, Kind: "k", Input: in, Prepared: prep})
	}
	if fj, _ := f.take("c"); fj.job == nil || fj.job.Prepared != nil {
		t.Errorf("the job past the bound: got %+v, want it whole without Prepared", fj.job)
	}
	if fj, _ := f.take("a"); fj.job == nil || fj.job.Prepared != prep {
		t.Error("a job within the bound lost Prepared")
	}
	f.add(&copydesk.Job{ID: "d", Kind: "k", Input: in, Prepared: prep})
	if fj, _ := f.take("d"); fj.job.Prepared != prep {
		t.Error("a taken job's input still counts against the bound")
	}
	if f.prepared != len(in) {
		t.Errorf("counts %d prepared bytes, want %d (b only)", f.prepared, len(in))
	}
	for i := range freshCap {
		f.add(&copydesk.Job{ID: "n" + strconv.Itoa(i), Kind: "k"})
	}
	if f.prepared != 0 {
		t.Errorf("counts %d prepared bytes after b was forgotten, want 0", f.prepared)
	}
}
