package providertest

import (
	"net/http/httptest"
	"testing"

	"github.com/copydesk/copydesk/internal/simulator"
)

// The simulator's names, for tests.
type (
	Server            = simulator.Server
	Options           = simulator.Options
	Request           = simulator.Request
	Behaviour         = simulator.Behaviour
	Kind              = simulator.Kind
	PromptSegment     = simulator.PromptSegment
	TranslationPrompt = simulator.TranslationPrompt
	BatchBehaviour    = simulator.BatchBehaviour
)

// The simulator's constants, for tests.
const (
	FormatOpenAI          = simulator.FormatOpenAI
	FormatAnthropic       = simulator.FormatAnthropic
	FormatGemini          = simulator.FormatGemini
	OK                    = simulator.OK
	RateLimited           = simulator.RateLimited
	ServerError           = simulator.ServerError
	Unavailable           = simulator.Unavailable
	Overloaded            = simulator.Overloaded
	Unauthorized          = simulator.Unauthorized
	BadRequest            = simulator.BadRequest
	MidStreamError        = simulator.MidStreamError
	Truncated             = simulator.Truncated
	SimulatedPrefix       = simulator.SimulatedPrefix
	SimulatedHeader       = simulator.SimulatedHeader
	TranslationSchemaName = simulator.TranslationSchemaName
	DefaultDimensions     = simulator.DefaultDimensions
)

// The simulator's functions, for tests.
var (
	NewServer              = simulator.NewServer
	DefaultResponder       = simulator.DefaultResponder
	ParseTranslationPrompt = simulator.ParseTranslationPrompt
	SchemaExample          = simulator.SchemaExample
	TranslationAnswer      = simulator.TranslationAnswer
	Tokens                 = simulator.Tokens
	Embedding              = simulator.Embedding
	EmbeddingTokens        = simulator.EmbeddingTokens
)

// NewTestServer starts a Server on an httptest server closed at the end of
// the test, and sets its URL.
func NewTestServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := simulator.NewServer(opts)
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}
