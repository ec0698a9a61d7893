package main

import (
	"github.com/copydesk/copydesk/internal/analysis"
	"github.com/copydesk/copydesk/internal/batch"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/generation"
	"github.com/copydesk/copydesk/internal/suggest"
	"github.com/copydesk/copydesk/internal/translation"
)

// contentServices are the model-backed task services the API serves.
type contentServices struct {
	analysis    *analysis.Service
	generation  *generation.Service
	translation *translation.Service
	suggestions *suggest.Service
	batches     *batch.Service
}

// registerContent loads the prompt templates (with the operator's
// overrides), registers the job handlers of every model-backed task and
// returns the services of the API. cached runs model calls through the
// whole-call cache; blocks runs them uncached, for the handlers that cache
// per block or segment themselves. Both are nil without a provider: the
// services then refuse model work with ENOPROVIDER, and a job accepted
// earlier by a process that had one fails visibly.
func (m *Main) registerContent(cached, blocks copydesk.ModelService) (*contentServices, error) {
	dir := m.Config.promptsDir()
	deepPrompts, err := analysis.LoadPrompts(dir)
	if err != nil {
		return nil, &ConfigError{Field: "prompts_dir", Message: err.Error()}
	}
	genPrompts, err := generation.LoadPrompts(dir)
	if err != nil {
		return nil, &ConfigError{Field: "prompts_dir", Message: err.Error()}
	}
	trPrompts, err := translation.LoadPrompts(dir)
	if err != nil {
		return nil, &ConfigError{Field: "prompts_dir", Message: err.Error()}
	}
	seoPrompts, err := suggest.LoadPrompts(dir)
	if err != nil {
		return nil, &ConfigError{Field: "prompts_dir", Message: err.Error()}
	}
	for _, set := range []interface{ Overridden() []string }{deepPrompts, genPrompts, trPrompts, seoPrompts} {
		for _, name := range set.Overridden() {
			m.Logger.Info("prompt template overridden", "template", name, "dir", dir)
		}
	}
	runCached, runBlocks := cached, blocks
	if cached == nil {
		runCached, runBlocks = noModels{}, noModels{}
	}
	modelSet := m.modelSet()
	deep := &analysis.DeepHandler{Models: runBlocks, Cache: m.Cache, ModelSet: modelSet, Prompts: deepPrompts}
	m.Jobs.Register(analysis.JobKind, deep)
	m.Jobs.Register(generation.JobKind, &generation.Handler{Models: runCached, Prompts: genPrompts})
	m.Jobs.Register(translation.JobKind, &translation.Handler{Models: runBlocks, Store: m.Store, Cache: m.Cache, ModelSet: modelSet, Prompts: trPrompts})
	m.Jobs.Register(suggest.JobKind, &suggest.Handler{Models: runCached, Prompts: seoPrompts})
	cs := &contentServices{
		analysis:   &analysis.Service{Jobs: m.Jobs, Models: cached, MaxContent: m.Config.MaxContent, Cache: m.Cache, Deep: deep},
		generation: &generation.Service{Jobs: m.Jobs, Models: cached, Prompts: genPrompts},
		translation: &translation.Service{Jobs: m.Jobs, Models: blocks, Store: m.Store, Cache: m.Cache, ModelSet: modelSet,
			Languages: m.Config.languages(), MaxContent: m.Config.MaxContent, Prompts: trPrompts},
		suggestions: &suggest.Service{Jobs: m.Jobs, Models: cached, MaxContent: m.Config.MaxContent, Prompts: seoPrompts},
	}
	// A batch's items run through these same services and the handlers
	// registered above, inside one parent job.
	items := batch.Services{Analysis: cs.analysis, Translation: cs.translation, Generation: cs.generation, Suggestions: cs.suggestions}
	m.Jobs.Register(batch.JobKind, &batch.Handler{Services: items, Handlers: m.Jobs.Handler, Events: m.Jobs,
		Concurrency: m.Config.Batches.Concurrency, Logger: m.Logger})
	cs.batches = &batch.Service{Jobs: m.Jobs, Events: m.Jobs, Services: items, MaxItems: m.Config.Batches.MaxItems}
	return cs, nil
}
