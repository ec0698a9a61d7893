package copydesk

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Service tiers of a model call: how soon its answer is needed and so what
// it costs.
const (
	// TierLive is an ordinary call answered now at the list price (the
	// default; "" means TierLive).
	TierLive = "live"
	// TierBatch is a call grouped with others into a provider batch
	// submission (OpenAI Batch, Anthropic Message Batches, Gemini batch
	// mode): answered within the provider's window (24 h, usually much
	// sooner) at the batch price, about half the list price.
	TierBatch = "batch"
	// TierCached names, in reports, work a cache answered: no provider
	// call, no cost.
	TierCached = "cached"
)

// ValidateTier checks a requested service tier: "", "live" or "batch".
// Returns EINVALID naming the field otherwise.
func ValidateTier(field, tier string) error {
	switch tier {
	case "", TierLive, TierBatch:
		return nil
	}
	return Errorf(EINVALID, "%s: %q is not a service tier; use \"live\" (answered now) or \"batch\" (provider batch price, answered within hours)", field, tier)
}

// WaitError is the error of a model call that was handed to a provider
// batch and has no answer yet: the job asking it should run again after
// After, without that run counting as a failed attempt (the job service
// snoozes it). It is Retryable.
type WaitError struct {
	// After is when to look again.
	After time.Duration
	// Message says what is waited for.
	Message string
}

// Error implements error.
func (e *WaitError) Error() string { return "waiting: " + e.Message }

// IsWait reports whether err is (or wraps) a *WaitError, and returns it.
func IsWait(err error) (*WaitError, bool) {
	return errors.AsType[*WaitError](err)
}

// BatchRequest is one model request in a provider batch submission,
// named by its custom id (unique within Copydesk: the hash of what is
// asked).
type BatchRequest struct {
	CustomID string
	Request  ModelRequest
}

// BatchResult is the outcome of one request of a finished provider batch:
// a response, or an error (a *ProviderError).
type BatchResult struct {
	CustomID string
	Response *ModelResponse
	Err      *ProviderError
}

// BatchState is what a provider says of a batch submission.
type BatchState struct {
	// Done is set when the batch ended (completed, expired, cancelled or
	// failed as a whole); Results then holds every request's outcome the
	// provider returned (requests missing from it are lost: expired).
	Done    bool
	Results []BatchResult
	// Status is the provider's own word for the state, for logs.
	Status string
}

// BatchProvider is a Provider that also runs asynchronous batches through
// its provider's batch API. Implementations never retry by themselves;
// errors are *ProviderError.
type BatchProvider interface {
	// SubmitBatch creates one provider batch of requests to model and
	// returns the provider's batch id. label is Copydesk's submission id;
	// a provider that can carry it with the batch (metadata, a display
	// name) does, so that BatchFinder can find the batch again.
	SubmitBatch(ctx context.Context, label, model string, reqs []BatchRequest) (string, error)
	// PollBatch returns the state of a batch, with its results once done.
	PollBatch(ctx context.Context, id string) (*BatchState, error)
}

// BatchFinder is a BatchProvider that can find a batch again by the label
// it was submitted with. The poller asks it before it submits again the
// items of a submission whose submitter died between creating the
// provider's batch and recording its id, so that nothing goes out twice.
type BatchFinder interface {
	// FindBatch returns the id of the batch submitted with label and
	// created at or after since, or "" if there is none.
	FindBatch(ctx context.Context, label string, since time.Time) (string, error)
}

// BatchMatcher is a BatchProvider whose batches carry no label but whose
// results name their requests' custom ids: the poller asks it, as it
// asks a BatchFinder, before it submits a dead submitter's items again.
type BatchMatcher interface {
	// MatchBatch returns the id of a batch created at or after since whose
	// requests are keys (custom ids), or "" if there is none. A *WaitError
	// means the provider cannot tell yet (a batch that may be it has not
	// ended): ask again later, and submit nothing meanwhile.
	MatchBatch(ctx context.Context, keys []string, since time.Time) (string, error)
}

// States of a BatchItem.
const (
	BatchItemPending   = "pending"   // waiting to be submitted
	BatchItemSubmitted = "submitted" // in a provider batch
	BatchItemDone      = "done"      // answered; Response set
	BatchItemFailed    = "failed"    // the provider failed it (or it expired); ErrorKind set
)

// BatchItem is one model request of the batch tier, recorded durably from
// the moment a call asks for it until its answer is collected. Its Key
// (the provider batch's custom id) is the hash of the provider, model and
// request, so the same request is never submitted twice.
type BatchItem struct {
	Key        string `json:"key"`
	Provider   string `json:"provider"`
	Model      string `json:"model"`
	Kind       string `json:"kind"`
	CustomerID string `json:"customer_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	KeyID      string `json:"key_id,omitempty"`
	JobID      string `json:"job_id,omitempty"`
	// Request is the ModelRequest as JSON.
	Request json.RawMessage `json:"request"`
	// ReservationID is the budget reservation held at the batch price.
	ReservationID string `json:"reservation_id,omitempty"`
	// CompleteBy is the caller's deadline (zero: the provider's window).
	CompleteBy time.Time `json:"complete_by"`
	State      string    `json:"state"`
	// SubmissionID names the submission the item went out in.
	SubmissionID string `json:"submission_id,omitempty"`
	// Response is the ModelResponse as JSON, once done.
	Response json.RawMessage `json:"response,omitempty"`
	// Cost is the cost at the batch price, once done.
	Cost      Micros            `json:"cost"`
	ErrorKind ProviderErrorKind `json:"error_kind,omitempty"`
	Error     string            `json:"error,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	DoneAt    time.Time         `json:"done_at"`
}

// States of a BatchSubmission.
const (
	BatchSubmitting = "submitting" // items claimed, provider call under way
	BatchOpen       = "open"       // the provider holds it; polled
	BatchEnded      = "ended"      // results collected
)

// BatchSubmission is one provider batch: the items claimed for it, the
// provider's id once created, and when to poll it next.
type BatchSubmission struct {
	ID         string    `json:"id"`
	Provider   string    `json:"provider"`
	Model      string    `json:"model"`
	ProviderID string    `json:"provider_id,omitempty"`
	State      string    `json:"state"`
	Items      int       `json:"items"`
	Polls      int       `json:"polls"`
	NextPollAt time.Time `json:"next_poll_at"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// BatchStore keeps the batch tier's items and submissions durably, so that
// a restart or another instance resumes polling and nothing is submitted
// twice. Every method is safe when two pollers race: a claim or a
// completion changes a row only from the state it expects.
type BatchStore interface {
	// AddBatchItem records item as pending unless an item with its key
	// exists; it returns the stored item and whether it was added.
	AddBatchItem(ctx context.Context, item *BatchItem) (*BatchItem, bool, error)
	// FindBatchItem returns the item of key. Returns ENOTFOUND if none.
	FindBatchItem(ctx context.Context, key string) (*BatchItem, error)
	// BatchGroups lists the provider and model pairs with pending items.
	BatchGroups(ctx context.Context) ([][2]string, error)
	// ClaimBatchItems creates submission sub (state submitting) and
	// moves up to limit pending items of its provider and model into it,
	// oldest first, in one transaction; it returns the items claimed
	// (none: no submission is left behind).
	ClaimBatchItems(ctx context.Context, sub *BatchSubmission, limit int) ([]*BatchItem, error)
	// OpenBatchSubmission records the provider's id of a submission and
	// makes it open, to be polled at next. Returns ENOTFOUND if the
	// submission is not submitting.
	OpenBatchSubmission(ctx context.Context, id, providerID string, next time.Time) error
	// AbandonBatchSubmission puts a submission's items back to pending
	// and deletes it (its provider call failed). Returns ENOTFOUND if the
	// submission is not submitting.
	AbandonBatchSubmission(ctx context.Context, id string) error
	// DueBatchSubmissions returns the open submissions to poll at now,
	// and the submitting ones older than stale (their submitter died).
	DueBatchSubmissions(ctx context.Context, now, stale time.Time) ([]*BatchSubmission, error)
	// PostponeBatchSubmission counts a poll and sets the next one.
	PostponeBatchSubmission(ctx context.Context, id string, next time.Time) error
	// FinishBatchItem stores the outcome of a submitted item (State
	// BatchItemDone with Response and Cost, or BatchItemFailed with
	// ErrorKind and Error) and reports whether this call changed it: false
	// when it was already finished (another poller was first).
	FinishBatchItem(ctx context.Context, item *BatchItem) (bool, error)
	// EndBatchSubmission marks a submission ended and fails, as expired,
	// its items still submitted. It returns those items.
	EndBatchSubmission(ctx context.Context, id string) ([]*BatchItem, error)
	// BatchSubmissionItems returns the items of a submission.
	BatchSubmissionItems(ctx context.Context, id string) ([]*BatchItem, error)
}

// TierRequest is the service tier part of a content request (translation,
// and any kind whose request carries it): "service_tier": "batch", or
// "priority": "low" with a "complete_by" deadline, asks for the batch tier.
type TierRequest struct {
	// ServiceTier is "live" (default) or "batch".
	ServiceTier string `json:"service_tier,omitempty"`
	// CompleteBy is when the answer is needed at the latest (RFC 3339).
	// With the batch tier, work still waiting close to it runs live.
	CompleteBy *time.Time `json:"complete_by,omitempty"`
}

// Resolve validates t against now and the request's priority and returns
// the tier it asks for and its deadline. Returns EINVALID naming the field
// for an unknown tier or a deadline already past.
func (t TierRequest) Resolve(priority string, now time.Time) (string, time.Time, error) {
	if err := ValidateTier("service_tier", t.ServiceTier); err != nil {
		return "", time.Time{}, err
	}
	var by time.Time
	if t.CompleteBy != nil {
		by = t.CompleteBy.UTC()
		if !by.After(now) {
			return "", time.Time{}, Errorf(EINVALID, "complete_by: %s is not in the future", by.Format(time.RFC3339))
		}
	}
	tier := t.ServiceTier
	if tier == "" && priority == "low" && !by.IsZero() {
		tier = TierBatch
	}
	if tier == "" {
		tier = TierLive
	}
	return tier, by, nil
}

type tierKey struct{}

type tierValue struct {
	tier string
	by   time.Time
}

// WithTier returns a context whose model calls ask for tier, to be
// answered by completeBy (zero: no deadline). The job service sets it from
// a job's stored request.
func WithTier(ctx context.Context, tier string, completeBy time.Time) context.Context {
	return context.WithValue(ctx, tierKey{}, tierValue{tier, completeBy})
}

// TierFrom returns the tier and deadline of ctx ("" when none was set).
func TierFrom(ctx context.Context) (string, time.Time) {
	v, _ := ctx.Value(tierKey{}).(tierValue)
	return v.tier, v.by
}

// CostTierRow sums the ledger rows of one kind (the part of the task
// kind before its first dot: "analysis.grammar" counts as "analysis") and
// tier: TierLive, TierBatch, or TierCached for cache hits.
type CostTierRow struct {
	Kind  string `json:"kind"`
	Tier  string `json:"tier"`
	Calls int64  `json:"calls"`
	Cost  Micros `json:"cost"`
	Saved Micros `json:"saved"`
}

// CostTiers is what the ledger says of a date range for the cost-per-page
// report: sums per kind and tier, and the pages per kind (the distinct jobs
// with a ledger row).
type CostTiers struct {
	Rows  []CostTierRow    `json:"rows"`
	Pages map[string]int64 `json:"pages"`
}

// CostStore sums the ledger by kind and service tier.
type CostStore interface {
	// CostByTier sums the rows matching filter by kind and tier and counts
	// the distinct jobs per kind. Returns EINVALID for a bad range.
	CostByTier(ctx context.Context, filter UsageFilter) (*CostTiers, error)
}
