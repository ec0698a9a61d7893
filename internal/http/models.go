package http

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// modelObject is one entry of OpenAI's model list, with what Copydesk knows
// of the model beside it (SDKs ignore the extra fields).
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`

	Kind            string `json:"kind"`
	Class           string `json:"class,omitempty"`
	AliasOf         string `json:"alias_of,omitempty"`
	Provider        string `json:"provider,omitempty"`
	Model           string `json:"model,omitempty"`
	ContextWindow   int    `json:"context_window,omitempty"`
	MaxOutputTokens int    `json:"max_output_tokens,omitempty"`
	Dimensions      int    `json:"dimensions,omitempty"`
}

func modelObjectOf(m copydesk.ModelInfo) modelObject {
	o := modelObject{
		ID: m.ID, Object: "model", OwnedBy: cmp.Or(m.OwnedBy, "copydesk"), Kind: m.Kind, Class: m.Class, AliasOf: m.AliasOf,
		Provider: m.Provider, Model: m.Model, ContextWindow: m.ContextWindow, MaxOutputTokens: m.MaxOutputTokens, Dimensions: m.Dimensions,
	}
	if !m.Created.IsZero() {
		o.Created = m.Created.Unix()
	}
	return o
}

// anthropicModel is one entry of Anthropic's model list.
type anthropicModel struct {
	Type        string    `json:"type"`
	ID          string    `json:"id"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
}

// wantsAnthropic reports whether the caller speaks Anthropic's API: its
// SDKs send anthropic-version on every request.
func wantsAnthropic(r *http.Request) bool { return r.Header.Get("Anthropic-Version") != "" }

// allowedModels returns the models the caller may use, sorted by ID.
func (s *Server) allowedModels(p copydesk.Principal) []copydesk.ModelInfo {
	if s.Directory == nil {
		return nil
	}
	var out []copydesk.ModelInfo
	for _, m := range s.Directory.Models() {
		if p.AllowsModel(m) {
			out = append(out, m)
		}
	}
	return out
}

// handleListModels lists what the caller may send as a model: the
// catalogued models of the configured providers, the routing classes and
// the aliases, less what the caller's key is not allowed. OpenAI's list
// format, or Anthropic's for Anthropic's SDKs.
func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	models := s.allowedModels(p)
	if wantsAnthropic(r) {
		data := make([]anthropicModel, 0, len(models))
		for _, m := range models {
			data = append(data, anthropicModel{Type: "model", ID: m.ID, DisplayName: m.ID, CreatedAt: m.Created.UTC()})
		}
		body := map[string]any{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
		if len(data) > 0 {
			body["first_id"], body["last_id"] = data[0].ID, data[len(data)-1].ID
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	data := make([]modelObject, 0, len(models))
	for _, m := range models {
		data = append(data, modelObjectOf(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// handleGetModel describes one model name the caller may use (a listed ID,
// or any name that resolves, such as provider/model or a dated snapshot).
func (s *Server) handleGetModel(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	m, err := s.resolveModel(p, copydesk.ModelCall{Kind: ChatKind, Request: copydesk.ModelRequest{Model: id}})
	if copydesk.ErrorCode(err) == copydesk.EINVALID {
		// An embedding model named for chat: describe it all the same.
		m, err = s.resolveModel(p, copydesk.ModelCall{Kind: EmbeddingKind, Request: copydesk.ModelRequest{Model: id, Input: []string{""}}})
	}
	if copydesk.ErrorCode(err) == copydesk.EFORBIDDEN {
		err = notFoundModel(id) // a model the key may not use is not revealed
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wantsAnthropic(r) {
		writeJSON(w, http.StatusOK, anthropicModel{Type: "model", ID: m.ID, DisplayName: m.ID, CreatedAt: m.Created.UTC()})
		return
	}
	writeJSON(w, http.StatusOK, modelObjectOf(m))
}

// modelsHint tells a caller how to find the names it may send.
const modelsHint = "GET /v1/models lists the models this key may use"

func notFoundModel(name string) error {
	return copydesk.Errorf(copydesk.ENOMODEL, "the model %q does not exist or this key may not use it; %s", name, modelsHint)
}

// resolveModel resolves the model a call names for its caller: ENOMODEL
// (404, OpenAI's model_not_found) for a name that is not served, with how to
// find the valid ones; EFORBIDDEN for a model the caller's key may not use;
// EINVALID for a model of the wrong kind. Without a directory the name
// passes through, unless the key is limited to some models.
func (s *Server) resolveModel(p copydesk.Principal, call copydesk.ModelCall) (copydesk.ModelInfo, error) {
	if s.Directory == nil {
		if len(p.Models) > 0 {
			return copydesk.ModelInfo{}, copydesk.Errorf(copydesk.EFORBIDDEN, "this API key is limited to some models, and this server cannot resolve model names")
		}
		return copydesk.ModelInfo{ID: call.Request.Model, Model: call.Request.Model}, nil
	}
	m, err := s.Directory.ResolveModel(call)
	if err != nil {
		if copydesk.ErrorCode(err) == copydesk.ENOMODEL {
			return m, copydesk.Errorf(copydesk.ENOMODEL, "%s; %s", copydesk.ErrorMessage(err), modelsHint)
		}
		return m, err
	}
	if !p.AllowsModel(m) {
		name := cmp.Or(call.Request.Model, m.ID)
		return m, copydesk.Errorf(copydesk.EFORBIDDEN, "this API key may not use the model %q; it may use %s", name, strings.Join(p.Models, ", "))
	}
	return m, nil
}
