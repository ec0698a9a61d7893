package http

import (
	"cmp"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TMXLimitDefault caps an imported TMX file, in bytes.
const TMXLimitDefault = 32 << 20

// TMXContentType is the media type of exported translation memories.
const TMXContentType = "application/x-tmx+xml"

// startTask serves a model task: it decodes the body into req, takes the
// caller's rate-limit token at the request's priority (LOW-priority batch
// work is throttled before interactive work) and calls start as the
// caller. start returns the job it submitted ("" when all of the answer is
// known already) and the answer: 202 with Location (the job's URL), or
// 200.
func (s *Server) startTask(w http.ResponseWriter, r *http.Request, req any, priority func() string,
	start func(ctx context.Context, p copydesk.Principal) (jobID string, answer any, err error)) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := decodeJSON(w, r, s.bodyLimit(r), req); err != nil {
		if s.allow(w, r, p, copydesk.PriorityHigh) {
			s.writeError(w, r, err)
		}
		return
	}
	prio, err := copydesk.ParsePriority(priority())
	if err != nil {
		prio = copydesk.PriorityHigh // the service names the bad priority
	}
	if !s.allow(w, r, p, prio) {
		return
	}
	jobID, answer, err := start(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if jobID == "" {
		writeJSON(w, http.StatusOK, answer)
		return
	}
	w.Header().Set("Location", jobURL(jobID))
	writeJSON(w, http.StatusAccepted, answer)
}

func unavailable(what string) error {
	return copydesk.Errorf(copydesk.EUNAVAILABLE, "%s is not configured on this server", what)
}

// jobLinks are the URLs of a job the content routes answer with.
type jobLinks struct {
	JobURL    string `json:"job_url"`
	StreamURL string `json:"stream_url"`
}

// optionalJobLinks are jobLinks left out when there is no job.
type optionalJobLinks struct {
	JobURL    string `json:"job_url,omitempty"`
	StreamURL string `json:"stream_url,omitempty"`
}

func linksOf(jobID string) jobLinks {
	return jobLinks{JobURL: jobURL(jobID), StreamURL: streamURL(jobID)}
}

func optionalLinksOf(jobID string) optionalJobLinks {
	if jobID == "" {
		return optionalJobLinks{}
	}
	return optionalJobLinks(linksOf(jobID))
}

// generationAnswer answers POST /v1/generations.
type generationAnswer struct {
	*copydesk.GenerationResponse
	jobLinks
}

// translationAnswer answers POST /v1/translations.
type translationAnswer struct {
	*copydesk.TranslationResponse
	optionalJobLinks
}

// suggestionAnswer answers POST /v1/seo/suggestions.
type suggestionAnswer struct {
	*copydesk.SuggestionResponse
	jobLinks
}

// handleCreateGeneration starts a page generation job: 202 with the job and
// its stream, on which the blocks arrive one by one.
func (s *Server) handleCreateGeneration(w http.ResponseWriter, r *http.Request) {
	var req copydesk.GenerationRequest
	s.startTask(w, r, &req, func() string { return req.Priority }, func(ctx context.Context, p copydesk.Principal) (string, any, error) {
		if s.Generation == nil {
			return "", nil, unavailable("generation")
		}
		resp, err := s.Generation.Generate(ctx, &req, p.CustomerID, p.UserID)
		if err != nil {
			return "", nil, err
		}
		return resp.JobID, generationAnswer{resp, linksOf(resp.JobID)}, nil
	})
}

// handleCreateTranslation translates content: 200 with every language when
// the translation memory holds every segment, else 202 with the job whose
// stream delivers each language.
func (s *Server) handleCreateTranslation(w http.ResponseWriter, r *http.Request) {
	var req copydesk.TranslationRequest
	s.startTask(w, r, &req, func() string { return req.Priority }, func(ctx context.Context, p copydesk.Principal) (string, any, error) {
		if s.Translation == nil {
			return "", nil, unavailable("translation")
		}
		resp, err := s.Translation.Translate(ctx, &req, p.CustomerID, p.UserID)
		if err != nil {
			return "", nil, err
		}
		return resp.JobID, translationAnswer{resp, optionalLinksOf(resp.JobID)}, nil
	})
}

// handleCreateSuggestions starts an SEO suggestions job: 202 with the
// content's current local SEO result and the job whose result holds the
// re-scored suggestions.
func (s *Server) handleCreateSuggestions(w http.ResponseWriter, r *http.Request) {
	var req copydesk.SuggestionRequest
	s.startTask(w, r, &req, func() string { return req.Priority }, func(ctx context.Context, p copydesk.Principal) (string, any, error) {
		if s.Suggestions == nil {
			return "", nil, unavailable("SEO suggestions")
		}
		resp, err := s.Suggestions.Suggest(ctx, &req, p.CustomerID, p.UserID)
		if err != nil {
			return "", nil, err
		}
		return resp.JobID, suggestionAnswer{resp, linksOf(resp.JobID)}, nil
	})
}

// glossaryBody is the body of PUT /v1/glossary.
type glossaryBody struct {
	// Terms replaces the glossary; required (an empty array empties it, a
	// missing or null one is refused rather than read as "no terms").
	Terms *[]copydesk.GlossaryTerm `json:"terms"`
}

// handleGetGlossary returns the caller's customer's glossary (an ADMIN or
// any caller may name its own customer with customer_id).
func (s *Server) handleGetGlossary(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cust, err := customerParam(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Translation == nil {
		s.writeError(w, r, unavailable("translation"))
		return
	}
	g, err := s.Translation.Glossary(r.Context(), cust)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g.Terms = nonNil(g.Terms)
	writeJSON(w, http.StatusOK, g)
}

// handlePutGlossary replaces the customer's glossary.
func (s *Server) handlePutGlossary(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cust, err := customerParam(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body glossaryBody
	if err := decodeJSON(w, r, s.bodyLimit(r), &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Terms == nil {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "terms is required: the glossary's terms, [] to empty it"))
		return
	}
	if s.Translation == nil {
		s.writeError(w, r, unavailable("translation"))
		return
	}
	got, err := s.Translation.SetGlossary(r.Context(), &copydesk.Glossary{CustomerID: cust, Terms: nonNil(*body.Terms)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	got.Terms = nonNil(got.Terms)
	writeJSON(w, http.StatusOK, got)
}

// tmFilter reads the customer and languages of a translation memory
// request.
func tmFilter(r *http.Request, p copydesk.Principal) (copydesk.TMFilter, error) {
	cust, err := customerParam(r, p)
	if err != nil {
		return copydesk.TMFilter{}, err
	}
	q := r.URL.Query()
	f := copydesk.TMFilter{CustomerID: cust, SourceLang: q.Get("source_language"), TargetLang: q.Get("target_language")}
	for _, l := range []string{f.SourceLang, f.TargetLang} {
		if len(l) > 16 {
			return f, copydesk.Errorf(copydesk.EINVALID, "language %q is not a language code such as nl or en", l[:16])
		}
	}
	return f, nil
}

// handleExportTM sends the customer's translation memory as a TMX 1.4b
// file.
func (s *Server) handleExportTM(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := tmFilter(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Translation == nil {
		s.writeError(w, r, unavailable("translation"))
		return
	}
	// Build the file before the first byte goes out, so that a failure is
	// still a JSON error and never half a file.
	var buf strings.Builder
	if err := s.Translation.ExportTMX(r.Context(), f, &buf); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", TMXContentType+"; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="copydesk-`+safeFilePart(f.CustomerID)+"-"+time.Now().UTC().Format("20060102")+`.tmx"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, buf.String())
}

// safeFilePart keeps letters, digits, '-' and '_' of s for a file name.
func safeFilePart(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// handleImportTM reads a TMX file into the customer's translation memory.
func (s *Server) handleImportTM(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cust, err := customerParam(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != TMXContentType && mt != "application/xml" && mt != "text/xml") {
		s.writeError(w, r, copydesk.Errorf(copydesk.EUNSUPPORTED, "send a TMX file with Content-Type: %s (or application/xml), got %q", TMXContentType, ct))
		return
	}
	if s.Translation == nil {
		s.writeError(w, r, unavailable("translation"))
		return
	}
	limit := cmp.Or(s.TMXLimit, TMXLimitDefault)
	res, err := s.Translation.ImportTMX(r.Context(), cust, http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = copydesk.Errorf(copydesk.ETOOLARGE, "the TMX file is larger than the limit of %d bytes", limit)
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleDeleteTM deletes the customer's translation memory, or the part of
// it between the given languages.
func (s *Server) handleDeleteTM(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := tmFilter(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Translation == nil {
		s.writeError(w, r, unavailable("translation"))
		return
	}
	n, err := s.Translation.DeleteMemory(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
