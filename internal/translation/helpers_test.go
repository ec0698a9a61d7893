package translation

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs/jobstest"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/providertest"
)

// fakeModels is a copydesk.ModelService that calls the fake provider
// through the real OpenAI adapter and accounts each call at a fixed cost.
type fakeModels struct {
	client *openai.Client
}

func (m *fakeModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	req := call.Request
	req.Model = "gpt-4o-mini"
	var resp *copydesk.ModelResponse
	var err error
	if onDelta == nil {
		resp, err = m.client.Complete(ctx, req)
	} else {
		resp, err = m.client.Stream(ctx, req, onDelta)
	}
	if err != nil {
		return nil, err
	}
	if call.Validate != nil {
		if err := call.Validate(resp); err != nil {
			return nil, err
		}
	}
	return &copydesk.ModelResult{
		Response:  resp,
		Usage:     copydesk.UsageRecord{Kind: call.Kind, Provider: "fake", Model: resp.Model, Cost: 1000, Currency: "EUR"},
		Simulated: true,
	}, nil
}

// MustFake returns a model service on a fake provider, and the fake.
func MustFake(tb testing.TB, opts providertest.Options) (*fakeModels, *providertest.Server) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, opts)
	c, err := openai.New(openai.Config{Name: "fake", APIKey: "test-key", BaseURL: fake.URL + "/v1/"})
	if err != nil {
		tb.Fatal(err)
	}
	return &fakeModels{client: c}, fake
}

// MustCache returns an in-process cache.
func MustCache(tb testing.TB) *cache.Cache {
	tb.Helper()
	c, err := cache.New(cache.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// recorder collects a job's events (jobstest.Recorder).
type recorder struct{ jobstest.Recorder }

// submitter keeps submitted jobs.
type submitter struct {
	jobs []*copydesk.Job
}

func (s *submitter) Submit(_ context.Context, job *copydesk.Job) error {
	job.ID = "job-" + string(rune('a'+len(s.jobs)))
	s.jobs = append(s.jobs, job)
	return nil
}

// env is a Service and a Handler sharing a fake provider, a store and a
// cache.
type env struct {
	svc     *Service
	handler *Handler
	store   *memStore
	fake    *providertest.Server
	jobs    *submitter
}

func newEnv(tb testing.TB, withCache bool) *env {
	tb.Helper()
	models, fake := MustFake(tb, providertest.Options{})
	store := newMemStore()
	var c *cache.Cache
	if withCache {
		c = MustCache(tb)
	}
	jobs := &submitter{}
	return &env{
		svc:     &Service{Jobs: jobs, Models: models, Store: store, Cache: c, ModelSet: "test"},
		handler: &Handler{Models: models, Store: store, Cache: c, ModelSet: "test"},
		store:   store, fake: fake, jobs: jobs,
	}
}

// MustTranslate runs a whole translation: Translate, then the job if one
// was submitted. It returns the response, the job result (nil when
// answered inline) and the events.
func (e *env) MustTranslate(tb testing.TB, req *Request) (*Response, *jobResult, *recorder) {
	tb.Helper()
	ctx := context.Background()
	resp, err := e.svc.Translate(ctx, req, "cust-1", "user-1")
	if err != nil {
		tb.Fatalf("Translate: %v", err)
	}
	rec := &recorder{}
	if resp.Status == "complete" {
		return resp, nil, rec
	}
	job := e.jobs.jobs[len(e.jobs.jobs)-1]
	raw, status, err := e.handler.RunJob(ctx, job, rec.Emit)
	if err != nil {
		tb.Fatalf("RunJob: %v", err)
	}
	if status != copydesk.JobSucceeded {
		tb.Fatalf("job status: got %s, want %s", status, copydesk.JobSucceeded)
	}
	var res jobResult
	if err := json.Unmarshal(raw, &res); err != nil {
		tb.Fatal(err)
	}
	return resp, &res, rec
}
