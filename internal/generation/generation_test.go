package generation

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// submitter records submitted jobs and gives them ids.
type submitter struct{ jobs []*copydesk.Job }

func (s *submitter) Submit(_ context.Context, job *copydesk.Job) error {
	job.ID = "job" + string(rune('1'+len(s.jobs)))
	s.jobs = append(s.jobs, job)
	return nil
}

// noModels is a ModelService that must not be called.
type noModels struct{}

func (noModels) Stream(context.Context, copydesk.ModelCall, func(string) error) (*copydesk.ModelResult, error) {
	panic("Generate must not call a model")
}

func TestGenerateInvalid(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		req  Request
		want string // part of the message
	}{
		{"missing name", Request{}, "business.name is required"},
		{"blank name", Request{Business: Business{Name: "  "}}, "business.name is required"},
		{"unknown block", Request{Business: Business{Name: "A"}, Blocks: []string{"hero", "carousel"}}, `blocks[1]: unknown block type "carousel"`},
		{"unknown language", Request{Business: Business{Name: "A", Language: "xx"}}, `business.language: unknown language "xx"; use one of nl, en`},
		{"unknown regional language", Request{Business: Business{Name: "A", Language: "xx-YY"}}, `business.language: unknown language "xx-yy"`},
		{"too many blocks", Request{Business: Business{Name: "A"}, Blocks: slices.Repeat([]string{"faq"}, MaxBlocks+1)}, "blocks: 21 blocks; the limit is 20"},
		{"long name", Request{Business: Business{Name: long(201)}}, "business.name is 201 characters; the limit is 200"},
		{"long description", Request{Business: Business{Name: "A", Description: long(2001)}}, "business.description is 2001 characters"},
		{"long instructions", Request{Business: Business{Name: "A"}, Instructions: long(2001)}, "instructions is 2001 characters"},
		{"long keyword", Request{Business: Business{Name: "A", Keywords: []string{"ok", long(101)}}}, "business.keywords[1] is 101 characters"},
		{"too many keywords", Request{Business: Business{Name: "A", Keywords: slices.Repeat([]string{"k"}, MaxKeywords+1)}}, "business.keywords: 21 keywords"},
		{"invalid utf-8", Request{Business: Business{Name: "A", Tone: "\xff"}}, "business.tone is not valid UTF-8"},
		{"bad priority", Request{Business: Business{Name: "A"}, Priority: "urgent"}, `priority "urgent"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := &submitter{}
			s := &Service{Jobs: jobs, Models: noModels{}}
			_, err := s.Generate(context.Background(), &tt.req, "c1", "u1")
			if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
				t.Fatalf("got code %q (%v), want %q", code, err, copydesk.EINVALID)
			}
			if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("got message %q, want it to contain %q", msg, tt.want)
			}
			if len(jobs.jobs) != 0 {
				t.Errorf("got %d jobs submitted, want none", len(jobs.jobs))
			}
		})
	}
}

func TestGenerateNoProvider(t *testing.T) {
	s := &Service{Jobs: &submitter{}}
	_, err := s.Generate(context.Background(), &Request{Business: Business{Name: "Acme"}}, "c1", "u1")
	if code := copydesk.ErrorCode(err); code != copydesk.ENOPROVIDER {
		t.Fatalf("got code %q (%v), want %q", code, err, copydesk.ENOPROVIDER)
	}
	msg := copydesk.ErrorMessage(err)
	for _, w := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "config file", "--simulate"} {
		if !strings.Contains(msg, w) {
			t.Errorf("got message %q, want it to name %s", msg, w)
		}
	}
	// An invalid request is invalid whether or not a provider exists.
	_, err = s.Generate(context.Background(), &Request{}, "c1", "u1")
	if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
		t.Errorf("got code %q, want %q", code, copydesk.EINVALID)
	}
}

func TestGenerate(t *testing.T) {
	jobs := &submitter{}
	s := &Service{Jobs: jobs, Models: noModels{}}
	req := &Request{
		Business: Business{Name: "Acme", Language: " NL ", Keywords: []string{"brood", " ", "taart"}},
		Priority: "low",
	}
	res, err := s.Generate(context.Background(), req, "c1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	wantTasks := []string{"block.1.hero", "block.2.features", "block.3.testimonials", "block.4.faq", "block.5.cta"}
	if res.Status != "pending" || !slices.Equal(res.Blocks, wantTasks) || res.JobID != "job1" {
		t.Errorf("got response %+v", res)
	}
	if len(jobs.jobs) != 1 {
		t.Fatalf("got %d jobs, want 1", len(jobs.jobs))
	}
	job := jobs.jobs[0]
	if job.Kind != JobKind || job.CustomerID != "c1" || job.UserID != "u1" || job.Priority != copydesk.PriorityLow {
		t.Errorf("got job %+v", job)
	}
	var in Request
	if err := json.Unmarshal(job.Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.Business.Language != "nl" || !slices.Equal(in.Blocks, DefaultPage) || !slices.Equal(in.Business.Keywords, []string{"brood", "taart"}) {
		t.Errorf("got stored input %+v, want it normalized", in)
	}

	res, err = s.Generate(context.Background(), &Request{Business: Business{Name: "Acme"}, Blocks: []string{"FAQ", "pricing", "faq"}}, "c1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"block.1.faq", "block.2.pricing", "block.3.faq"}; !slices.Equal(res.Blocks, want) {
		t.Errorf("got tasks %v, want %v", res.Blocks, want)
	}
}

func TestPageLanguage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "en"},
		{"en", "en"},
		{" NL ", "nl"},
		{"en-US", "en"},
		{"pt_BR", "pt"},
		{"de-CH", "de"},
		{"fr-ca", "fr"},
	}
	for _, tt := range tests {
		got, err := pageLanguage(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("pageLanguage(%q): got %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"xx", "english", "-US", "zz-NL"} {
		if _, err := pageLanguage(in); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("pageLanguage(%q): got %v, want EINVALID", in, err)
		}
	}
}
