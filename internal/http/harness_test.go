package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// Callers of the fake authenticator, by bearer token.
var (
	adminP  = copydesk.Principal{UserID: "usr_admin", CustomerID: "cus_op", Role: copydesk.RoleAdmin, Method: auth.MethodKey, KeyID: "key_admin"}
	clientP = copydesk.Principal{UserID: "usr_client", CustomerID: "cus_a", Role: copydesk.RoleClient, Method: auth.MethodKey, KeyID: "key_client"}
	userP   = copydesk.Principal{UserID: "usr_user", CustomerID: "cus_a", Role: copydesk.RoleUser, Method: auth.MethodKey, KeyID: "key_user"}
	otherP  = copydesk.Principal{UserID: "usr_other", CustomerID: "cus_b", Role: copydesk.RoleUser, Method: auth.MethodKey, KeyID: "key_other"}
	scopedP = copydesk.Principal{UserID: "usr_user", CustomerID: "cus_a", Role: copydesk.RoleUser, Method: auth.MethodKey, KeyID: "key_scoped", Scopes: []string{auth.ScopeJobsRead}}
)

// fakeAuth is an Authenticator with fixed bearer tokens and one browser
// session ("sess-token", CSRF token "csrf-token") of userP.
type fakeAuth struct {
	// extra callers by bearer token, checked before the fixed ones.
	extra     map[string]copydesk.Principal
	mu        sync.Mutex
	loggedOut []string
	tokensOff bool
}

var bearers = map[string]copydesk.Principal{"admin": adminP, "client": clientP, "user": userP, "other": otherP, "scoped": scopedP}

func (a *fakeAuth) Authenticate(_ context.Context, c auth.Credentials) (copydesk.Principal, string, error) {
	switch {
	case c.Authorization != "":
		tok, ok := strings.CutPrefix(c.Authorization, "Bearer ")
		if p, known := a.extra[tok]; ok && known {
			return p, "", nil
		}
		if p, known := bearers[tok]; ok && known {
			return p, "", nil
		}
		return copydesk.Principal{}, "", copydesk.Errorf(copydesk.EUNAUTHORIZED, "API key is not valid")
	case c.APIKey != "":
		if p, ok := bearers[c.APIKey]; ok {
			return p, "", nil
		}
		return copydesk.Principal{}, "", copydesk.Errorf(copydesk.EUNAUTHORIZED, "x-api-key is not a Copydesk API key")
	case c.Session == "sess-token":
		p := userP
		p.Method, p.KeyID, p.SessionID = auth.MethodSession, "", "ses_1"
		return p, "csrf-token", nil
	case c.Session != "":
		return copydesk.Principal{}, "", copydesk.Errorf(copydesk.EUNAUTHORIZED, "session is not valid; log in again")
	}
	return copydesk.Principal{}, "", copydesk.Errorf(copydesk.EUNAUTHORIZED, "credentials are missing")
}

func (a *fakeAuth) Login(_ context.Context, email, password string) (string, *copydesk.Session, error) {
	if email != "user@a.example" || password != "correct horse" {
		return "", nil, copydesk.Errorf(copydesk.EUNAUTHORIZED, "email or password is wrong")
	}
	return "sess-token", &copydesk.Session{ID: "ses_1", UserID: userP.UserID, CustomerID: userP.CustomerID,
		CSRFToken: "csrf-token", ExpiresAt: time.Now().Add(time.Hour)}, nil
}

func (a *fakeAuth) Logout(_ context.Context, p copydesk.Principal) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.loggedOut = append(a.loggedOut, p.UserID)
	return nil
}

func (a *fakeAuth) IssueToken(p copydesk.Principal) (string, time.Time, error) {
	if a.tokensOff {
		return "", time.Time{}, copydesk.Errorf(copydesk.EUNAVAILABLE, "tokens are not enabled on this server")
	}
	return "jwt-for-" + p.UserID, time.Now().Add(15 * time.Minute), nil
}

// fakeAnalysis answers with resp (or err) and records the request.
type fakeAnalysis struct {
	mu      sync.Mutex
	resp    *copydesk.AnalysisResponse
	err     error
	got     []copydesk.AnalysisRequest
	reports map[string][]byte
}

func (f *fakeAnalysis) Analyze(_ context.Context, req *copydesk.AnalysisRequest, customerID, userID string) (*copydesk.AnalysisResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, *req)
	if f.err != nil {
		return nil, f.err
	}
	r := *f.resp
	return &r, nil
}

func (f *fakeAnalysis) Result(_ context.Context, key string) ([]byte, time.Time, error) {
	if b, ok := f.reports[key]; ok {
		return b, time.Now().Add(time.Hour), nil
	}
	return nil, time.Time{}, copydesk.Errorf(copydesk.ENOTFOUND, "no cached report %q", key)
}

type fakeGeneration struct {
	resp *copydesk.GenerationResponse
	err  error
	got  *copydesk.GenerationRequest
}

func (f *fakeGeneration) Generate(_ context.Context, req *copydesk.GenerationRequest, _, _ string) (*copydesk.GenerationResponse, error) {
	f.got = req
	return f.resp, f.err
}

type fakeSuggestions struct {
	resp *copydesk.SuggestionResponse
	err  error
}

func (f *fakeSuggestions) Suggest(context.Context, *copydesk.SuggestionRequest, string, string) (*copydesk.SuggestionResponse, error) {
	return f.resp, f.err
}

// fakeTranslation keeps glossaries and a memory of entries in maps.
type fakeTranslation struct {
	mu        sync.Mutex
	resp      *copydesk.TranslationResponse
	err       error
	glossary  map[string]*copydesk.Glossary
	tmx       string
	imported  map[string]string
	deleted   []copydesk.TMFilter
	importErr error
}

func (f *fakeTranslation) Translate(context.Context, *copydesk.TranslationRequest, string, string) (*copydesk.TranslationResponse, error) {
	return f.resp, f.err
}

func (f *fakeTranslation) Glossary(_ context.Context, customerID string) (*copydesk.Glossary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.glossary[customerID]; ok {
		c := *g
		return &c, nil
	}
	return &copydesk.Glossary{CustomerID: customerID}, nil
}

func (f *fakeTranslation) SetGlossary(ctx context.Context, g *copydesk.Glossary) (*copydesk.Glossary, error) {
	for _, t := range g.Terms {
		if t.Term == "" {
			return nil, copydesk.Errorf(copydesk.EINVALID, "terms[0].term is required")
		}
	}
	f.mu.Lock()
	if f.glossary == nil {
		f.glossary = map[string]*copydesk.Glossary{}
	}
	f.glossary[g.CustomerID] = g
	f.mu.Unlock()
	return f.Glossary(ctx, g.CustomerID)
}

func (f *fakeTranslation) ExportTMX(_ context.Context, tf copydesk.TMFilter, w io.Writer) error {
	if tf.CustomerID == "cus_broken" {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "the store is down")
	}
	_, err := io.WriteString(w, f.tmx)
	return err
}

func (f *fakeTranslation) ImportTMX(_ context.Context, customerID string, r io.Reader) (*copydesk.TMXImportResult, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if f.importErr != nil {
		return nil, f.importErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.imported == nil {
		f.imported = map[string]string{}
	}
	f.imported[customerID] = string(b)
	return &copydesk.TMXImportResult{Entries: 2, Skipped: 1, Languages: []string{"en", "nl"}}, nil
}

func (f *fakeTranslation) DeleteMemory(_ context.Context, tf copydesk.TMFilter) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, tf)
	return 3, nil
}

// fakeJobs holds jobs and their events in memory.
type fakeJobs struct {
	mu     sync.Mutex
	jobs   map[string]*copydesk.Job
	events map[string][]*copydesk.Event
}

func (f *fakeJobs) add(j *copydesk.Job, evs ...*copydesk.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.jobs == nil {
		f.jobs, f.events = map[string]*copydesk.Job{}, map[string][]*copydesk.Event{}
	}
	f.jobs[j.ID] = j
	f.events[j.ID] = evs
}

func (f *fakeJobs) Get(_ context.Context, id string) (*copydesk.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[id]; ok {
		c := *j
		return &c, nil
	}
	return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", id)
}

func (f *fakeJobs) Cancel(ctx context.Context, id string) (*copydesk.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", id)
	}
	if j.Status.Final() {
		return nil, copydesk.Errorf(copydesk.ECONFLICT, "job %s is already %s", id, j.Status)
	}
	j.Status = copydesk.JobCancelled
	c := *j
	return &c, nil
}

func (f *fakeJobs) Events(_ context.Context, id string, after int64, limit int) ([]*copydesk.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*copydesk.Event
	for _, e := range f.events[id] {
		if e.Seq > after && (limit == 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeJobs) GetWithEvents(ctx context.Context, id string, after int64, limit int) (*copydesk.Job, []*copydesk.Event, error) {
	j, err := f.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	evs, err := f.Events(ctx, id, after, limit)
	return j, evs, err
}

func (f *fakeJobs) Subscribe(string) copydesk.EventFeed { return idleFeed{} }

// idleFeed never delivers: streams read what the store holds.
type idleFeed struct{}

func (idleFeed) Ready() <-chan struct{}          { return nil }
func (idleFeed) Take() ([]*copydesk.Event, bool) { return nil, false }
func (idleFeed) Close()                          {}

// fakeBatches accepts batches as jobs of fakeJobs.
type fakeBatches struct {
	jobs *fakeJobs
	done []*copydesk.BulkItem
	err  error
}

func (f *fakeBatches) Submit(_ context.Context, req *copydesk.BulkRequest, customerID, userID string) (*copydesk.BatchAccepted, error) {
	if f.err != nil {
		return nil, f.err
	}
	j := &copydesk.Job{ID: "job_batch_new", Kind: copydesk.BatchJobKind, CustomerID: customerID, UserID: userID,
		Status: copydesk.JobQueued, Priority: copydesk.PriorityLow}
	f.jobs.add(j)
	return &copydesk.BatchAccepted{Job: j, Kind: req.Kind, Total: len(req.Items)}, nil
}

func (f *fakeBatches) Status(_ context.Context, job *copydesk.Job, offset, limit int) (*copydesk.BatchStatus, error) {
	if limit < 1 || offset < 0 {
		return nil, copydesk.Errorf(copydesk.EINVALID, "offset must be at least 0 and limit between 1 and 1000")
	}
	return &copydesk.BatchStatus{Kind: "analysis", Counts: copydesk.BatchCounts{Total: 2, Done: len(f.done), Pending: 2 - len(f.done)},
		Offset: offset, Limit: limit, Items: f.done}, nil
}

func (f *fakeBatches) Results(_ context.Context, job *copydesk.Job, fn func(*copydesk.BulkItem) error) error {
	if f.err != nil {
		return f.err
	}
	for _, it := range f.done {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// testServer is a Server built over fakes, served in process.
type testServer struct {
	*Server
	h     http.Handler
	auth  *fakeAuth
	jobs  *fakeJobs
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

// MustServer builds a Server with a fake authenticator and job service;
// configure sets the rest.
func MustServer(tb testing.TB, configure func(s *Server)) *testServer {
	tb.Helper()
	var logs bytes.Buffer
	mu := &sync.Mutex{}
	ts := &testServer{auth: &fakeAuth{}, jobs: &fakeJobs{}, logs: &logs, logMu: mu}
	s := &Server{Auth: ts.auth, Jobs: ts.jobs, Version: "test",
		Logger: slog.New(slog.NewJSONHandler(lockedWriter{mu, &logs}, nil))}
	if configure != nil {
		configure(s)
	}
	h, err := s.build()
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	ts.Server, ts.h = s, h
	return ts
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// do sends a request as the caller with bearer token tok ("" for none);
// body is JSON-encoded unless it is a string. headers are name, value
// pairs.
func (ts *testServer) do(tb testing.TB, method, path, tok string, body any, headers ...string) *httptest.ResponseRecorder {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, path, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	return w
}

// MustStatus fails unless w has the status and, for an error, the JSON
// error code.
func MustStatus(tb testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status: got %d, want %d: %s", w.Code, status, w.Body.String())
	}
	if code == "" {
		return
	}
	if got := errorCode(tb, w); got != code {
		tb.Fatalf("error code: got %q, want %q: %s", got, code, w.Body.String())
	}
}

func errorCode(tb testing.TB, w *httptest.ResponseRecorder) string {
	tb.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body is not JSON: %v: %s", err, w.Body.String())
	}
	if e.Error.Message == "" {
		tb.Errorf("error %q has no message: %s", e.Error.Code, w.Body.String())
	}
	return e.Error.Code
}

// decode decodes w's JSON body into a map.
func decode(tb testing.TB, w *httptest.ResponseRecorder) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		tb.Fatalf("body is not a JSON object: %v: %s", err, w.Body.String())
	}
	return m
}
