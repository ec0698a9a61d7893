package copydesk

import (
	"slices"
	"strings"
	"time"
)

// Kinds of a ModelInfo.
const (
	ModelKindChat      = "chat"      // answers messages with text
	ModelKindEmbedding = "embedding" // turns text into vectors
	ModelKindClass     = "class"     // a routing class: a failover chain of models
)

// ModelInfo describes a model name a caller may send: a provider's model, a
// routing class or an alias of either.
type ModelInfo struct {
	// ID is the name as sent or listed, e.g. "gpt-6.1-sol", "quality",
	// "anthropic/claude-opus-5-5".
	ID string `json:"id"`
	// Kind is ModelKindChat, ModelKindEmbedding or ModelKindClass.
	Kind string `json:"kind"`
	// Class is the routing class ID names (directly or by alias); "" for a
	// model.
	Class string `json:"class,omitempty"`
	// AliasOf is the name an alias stands for; "" if ID is not an alias.
	AliasOf string `json:"alias_of,omitempty"`
	// Provider is the provider instance of the first choice ("" if unknown).
	Provider string `json:"provider,omitempty"`
	// Model is the provider's model name of the first choice: the model an
	// answer is expected from.
	Model string `json:"model,omitempty"`
	// OwnedBy is the model's maker: openai, anthropic, google, or copydesk
	// for classes and models outside the catalogue.
	OwnedBy string `json:"owned_by"`
	// Created is the model's release date (zero if unknown).
	Created time.Time `json:"created"`
	// ContextWindow and MaxOutputTokens are the model's limits (0 if
	// unknown).
	ContextWindow   int `json:"context_window,omitempty"`
	MaxOutputTokens int `json:"max_output_tokens,omitempty"`
	// Dimensions is an embedding model's default vector size.
	Dimensions int `json:"dimensions,omitempty"`
}

// ModelDirectory tells which model names are served and what they resolve
// to.
type ModelDirectory interface {
	// Models lists every name a caller may send, sorted by ID.
	Models() []ModelInfo
	// ResolveModel returns what call's Request.Model resolves to now (the
	// first choice of its failover chain); an empty name resolves by the
	// routing rules. Returns ENOMODEL for an unknown name and EINVALID for
	// a name of the wrong kind (a chat model for embeddings or the other
	// way round).
	ResolveModel(call ModelCall) (ModelInfo, error)
}

// AllowsModel reports whether p may use the model m describes: a principal
// without a model list may use every model; otherwise one of its entries
// must name m (its ID, its class, its provider model name, or
// provider/model).
func (p Principal) AllowsModel(m ModelInfo) bool {
	if len(p.Models) == 0 {
		return true
	}
	names := []string{m.ID}
	if m.Class != "" {
		names = append(names, m.Class)
	} else if m.Model != "" {
		names = append(names, m.Model)
		if m.Provider != "" {
			names = append(names, m.Provider+"/"+m.Model)
		}
	}
	if m.AliasOf != "" {
		names = append(names, m.AliasOf)
	}
	for _, allowed := range p.Models {
		if slices.Contains(names, allowed) {
			return true
		}
	}
	return false
}

// MaxAllowedModels caps an API key's model list.
const MaxAllowedModels = 100

// ValidateModelList checks an API key's allowed models: at most
// MaxAllowedModels names of at most 200 printable bytes, no duplicates.
// Returns EINVALID naming the bad entry.
func ValidateModelList(models []string) error {
	if len(models) > MaxAllowedModels {
		return Errorf(EINVALID, "models: at most %d names (got %d)", MaxAllowedModels, len(models))
	}
	for i, m := range models {
		if m == "" || len(m) > 200 || strings.ContainsFunc(m, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return Errorf(EINVALID, "models[%d]: %q is not a model, class or provider/model name", i, m)
		}
		if slices.Index(models, m) != i {
			return Errorf(EINVALID, "models[%d]: %q is listed twice", i, m)
		}
	}
	return nil
}
