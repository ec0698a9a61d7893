package suggest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// submitter records submitted jobs.
type submitter struct{ jobs []*copydesk.Job }

func (s *submitter) Submit(_ context.Context, job *copydesk.Job) error {
	job.ID = "job-" + itoa(len(s.jobs)+1)
	s.jobs = append(s.jobs, job)
	return nil
}

func TestSuggestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		req      Request
		max      int
		models   bool
		code     string
		mentions string
	}{
		{"empty content", Request{Content: "  \n"}, 0, true, copydesk.EINVALID, "content"},
		{"too large", Request{Content: "0123456789a"}, 10, true, copydesk.ETOOLARGE, "limit is 10"},
		{"unknown format", Request{Content: "x", Format: "pdf"}, 0, true, copydesk.EINVALID, "format"},
		{"unknown language", Request{Content: "x", Language: "xx"}, 0, true, copydesk.EINVALID, "language"},
		{"negative count", Request{Content: "x", Count: -1}, 0, true, copydesk.EINVALID, "count"},
		{"count above max", Request{Content: "x", Count: 11}, 0, true, copydesk.EINVALID, "count"},
		{"bad priority", Request{Content: "x", Priority: "urgent"}, 0, true, copydesk.EINVALID, "priority"},
		{"long keyphrase", Request{Content: "x", Keyphrase: strings.Repeat("k", 201)}, 0, true, copydesk.EINVALID, "keyphrase"},
		{"long meta description", Request{Content: "x", MetaDescription: strings.Repeat("m", 2001)}, 0, true, copydesk.EINVALID, "meta_description"},
		{"invalid UTF-8", Request{Content: "caf\xe9"}, 0, true, copydesk.EUNPROCESSABLE, "UTF-8"},
		{"no provider", Request{Content: "x"}, 0, false, copydesk.ENOPROVIDER, "OPENAI_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := &submitter{}
			s := &Service{Jobs: sub, MaxContent: tt.max}
			if tt.models {
				s.Models = &providerModels{}
			}
			_, err := s.Suggest(context.Background(), &tt.req, "c1", "u1")
			if code := copydesk.ErrorCode(err); code != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, tt.mentions) {
				t.Errorf("message %q does not mention %q", msg, tt.mentions)
			}
			if len(sub.jobs) != 0 {
				t.Errorf("submitted %d jobs, want none", len(sub.jobs))
			}
		})
	}
}

func TestSuggestSubmitsOneJob(t *testing.T) {
	t.Parallel()
	sub := &submitter{}
	s := &Service{Jobs: sub, Models: &providerModels{}}
	req := &Request{Content: pageContent, Format: analyze.FormatMarkdown, Keyphrase: "cold brew", Title: "Cold brew", Priority: "low"}
	resp, err := s.Suggest(context.Background(), req, "c1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.jobs) != 1 {
		t.Fatalf("submitted %d jobs, want 1", len(sub.jobs))
	}
	job := sub.jobs[0]
	if job.Kind != JobKind || job.CustomerID != "c1" || job.UserID != "u1" || job.Priority != copydesk.PriorityLow {
		t.Errorf("job: got kind %q customer %q user %q priority %s", job.Kind, job.CustomerID, job.UserID, job.Priority)
	}
	if resp.Status != "pending" || resp.JobID != job.ID {
		t.Errorf("response: got %+v", resp)
	}
	var in Request
	if err := json.Unmarshal(job.Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.Language != "en" || in.Count != CountDefault || in.Format != analyze.FormatMarkdown || in.Keyphrase != "cold brew" {
		t.Errorf("job input: got language %q count %d format %q keyphrase %q, want en, %d, markdown, cold brew", in.Language, in.Count, in.Format, in.Keyphrase, CountDefault)
	}

	// Current is the SEO result an analysis of the page reports.
	report, err := analyze.Analyze(analyze.Input{Content: pageContent, Format: analyze.FormatMarkdown, Keyphrase: "cold brew", Title: "Cold brew", Types: []analyze.Type{analyze.TypeSEO}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(report.Results[0])
	if string(resp.Current) != string(want) {
		t.Errorf("current:\n got %s\nwant %s", resp.Current, want)
	}
}
