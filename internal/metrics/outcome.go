package metrics

import (
	"context"
	"errors"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Outcomes of a provider call, a job failure or a retry: the closed
// vocabulary of the outcome and reason labels. "ok" is success; caller_*
// are the caller's fault, policy_* are Copydesk's own refusals, provider_*
// are failures of the model provider, and internal is a Copydesk bug.
const (
	OutcomeOK                   = "ok"
	OutcomeCallerInvalid        = "caller_invalid"
	OutcomeCallerCancelled      = "caller_cancelled"
	OutcomePolicyBudgetExceeded = "policy_budget_exceeded"
	OutcomePolicyRateLimited    = "policy_rate_limited"
	OutcomePolicyNoProvider     = "policy_no_provider"
	OutcomeProviderRateLimited  = "provider_rate_limited"
	OutcomeProviderOverloaded   = "provider_overloaded"
	OutcomeProviderServer       = "provider_server"
	OutcomeProviderTimeout      = "provider_timeout"
	OutcomeProviderNetwork      = "provider_network"
	OutcomeProviderAuth         = "provider_auth"
	OutcomeProviderBadRequest   = "provider_bad_request"
	OutcomeProviderTruncated    = "provider_truncated"
	OutcomeProviderInvalid      = "provider_invalid"
	OutcomeProviderUnavailable  = "provider_unavailable"
	OutcomeInternal             = "internal"
)

// Outcomes lists the whole vocabulary, in the order above.
var Outcomes = []string{
	OutcomeOK, OutcomeCallerInvalid, OutcomeCallerCancelled,
	OutcomePolicyBudgetExceeded, OutcomePolicyRateLimited, OutcomePolicyNoProvider,
	OutcomeProviderRateLimited, OutcomeProviderOverloaded, OutcomeProviderServer,
	OutcomeProviderTimeout, OutcomeProviderNetwork, OutcomeProviderAuth,
	OutcomeProviderBadRequest, OutcomeProviderTruncated, OutcomeProviderInvalid,
	OutcomeProviderUnavailable, OutcomeInternal,
}

var outcomeSet = func() map[string]bool {
	m := make(map[string]bool, len(Outcomes))
	for _, o := range Outcomes {
		m[o] = true
	}
	return m
}()

// ValidOutcome reports whether o belongs to the closed vocabulary.
func ValidOutcome(o string) bool { return outcomeSet[o] }

// Outcome classifies err into the vocabulary: nil is ok, a
// *copydesk.ProviderError anywhere in the chain is provider_<kind>, a
// *copydesk.Error maps by code, context.Canceled is caller_cancelled,
// context.DeadlineExceeded is provider_timeout, anything else internal.
func Outcome(err error) string {
	if err == nil {
		return OutcomeOK
	}
	if pe, ok := errors.AsType[*copydesk.ProviderError](err); ok {
		if o := "provider_" + string(pe.Kind); ValidOutcome(o) {
			return o
		}
		return OutcomeProviderServer
	}
	if de, ok := errors.AsType[*copydesk.Error](err); ok {
		return OutcomeOfCode(de.Code)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return OutcomeCallerCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeProviderTimeout
	}
	return OutcomeInternal
}

// OutcomeOfCode maps a domain error code, or a failure code of the form
// "provider_<kind>" (copydesk.FailureCode), to the vocabulary.
func OutcomeOfCode(code string) string {
	switch code {
	case "":
		return OutcomeOK
	case copydesk.EINVALID, copydesk.ETOOLARGE, copydesk.EUNSUPPORTED, copydesk.EUNPROCESSABLE,
		copydesk.ENOTFOUND, copydesk.EMETHOD, copydesk.ECONFLICT, copydesk.EUNAUTHORIZED, copydesk.EFORBIDDEN:
		return OutcomeCallerInvalid
	case copydesk.ECANCELLED:
		return OutcomeCallerCancelled
	case copydesk.ERATELIMITED:
		return OutcomePolicyRateLimited
	case copydesk.EBUDGETEXCEEDED:
		return OutcomePolicyBudgetExceeded
	case copydesk.ENOPROVIDER:
		return OutcomePolicyNoProvider
	case copydesk.EUNAVAILABLE:
		return OutcomeProviderUnavailable
	}
	if ValidOutcome(code) && code != OutcomeOK {
		return code
	}
	return OutcomeInternal
}
