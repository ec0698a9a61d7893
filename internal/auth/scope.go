package auth

// Scopes an API key may be limited to. A key without scopes may do all its
// user's role allows. Which routes need which scope is declared where the
// http package registers them.
const (
	ScopeAnalyses  = "analyses:write" // start analyses, generation, translation
	ScopeChat      = "chat:write"     // the model gateway: chat completions, messages, embeddings, the model list
	ScopeJobsRead  = "jobs:read"      // read jobs and their events
	ScopeJobsWrite = "jobs:write"     // cancel jobs
	ScopeUsageRead = "usage:read"     // usage reports
	ScopeManage    = "manage"         // customers, users, keys, budgets
	ScopeMetrics   = "metrics:read"   // Prometheus metrics
)

// Scopes lists every scope a key may be limited to.
var Scopes = []string{ScopeAnalyses, ScopeChat, ScopeJobsRead, ScopeJobsWrite, ScopeUsageRead, ScopeManage, ScopeMetrics}
