package http

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
)

func (s *Server) budgetStore() (BudgetAdmin, error) {
	if s.Budgets == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "budgets are not configured on this server")
	}
	return s.Budgets, nil
}

// budgetView is a budget with the fraction left.
type budgetView struct {
	*copydesk.Budget
	Left float64 `json:"left"` // fraction of the limit neither spent nor reserved
}

// handleGetBudget answers the budget of a customer (?customer_id, default
// the caller's), of one of its users (?user_id) or of one of its API keys
// (?key_id).
func (s *Server) handleGetBudget(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.budgetStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cust, err := customerParam(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	uid, kid := r.URL.Query().Get("user_id"), r.URL.Query().Get("key_id")
	for name, v := range map[string]string{"user_id": uid, "key_id": kid} {
		if len(v) > copydesk.MaxIDLen {
			s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "%s is longer than %d bytes", name, copydesk.MaxIDLen))
			return
		}
	}
	if uid != "" && kid != "" {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "send user_id or key_id, not both: a budget is a user's or a key's"))
		return
	}
	if kid != "" && !strings.HasPrefix(kid, copydesk.APIKeyIDPrefix) || uid != "" && strings.HasPrefix(uid, copydesk.APIKeyIDPrefix) {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "key_id must be an API key's ID (%s…) and user_id a user's", copydesk.APIKeyIDPrefix))
		return
	}
	scope := cmp.Or(kid, uid)
	b, err := st.FindBudget(r.Context(), cust, scope)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
		err = copydesk.Errorf(copydesk.ENOTFOUND, "no budget is set for customer %q%s; it is not limited", cust, scopeSuffix(uid, kid))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, budgetView{Budget: b, Left: b.Left(s.Clock.Now())})
}

func scopeSuffix(uid, kid string) string {
	switch {
	case kid != "":
		return " key " + kid
	case uid != "":
		return " user " + uid
	}
	return ""
}

// putBudgetRequest sets a monthly budget. Limit is in micro-units of the
// configured currency (1 EUR = 1000000).
type putBudgetRequest struct {
	Limit          *int64 `json:"limit"`
	AlertPercent   int    `json:"alert_percent"`
	WarningPercent int    `json:"warning_percent"`
}

func (s *Server) putBudget(w http.ResponseWriter, r *http.Request, cust, uid string) {
	st, err := s.budgetStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req putBudgetRequest
	if err := decodeJSON(w, r, manageBodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Limit == nil {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "limit is required: the monthly hard limit in micro-units (1 unit = 1000000)"))
		return
	}
	b := &copydesk.Budget{CustomerID: cust, UserID: uid, Limit: copydesk.Micros(*req.Limit),
		AlertPercent: req.AlertPercent, WarningPercent: req.WarningPercent}
	if err := b.Prepare(s.Clock.Now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := st.SetBudget(r.Context(), b); err != nil {
		s.writeError(w, r, err)
		return
	}
	if got, err := st.FindBudget(r.Context(), cust, uid); err == nil {
		b = got
	}
	writeJSON(w, http.StatusOK, budgetView{Budget: b, Left: b.Left(s.Clock.Now())})
}

// handlePutCustomerBudget sets a customer's monthly budget (ADMIN).
func (s *Server) handlePutCustomerBudget(w http.ResponseWriter, r *http.Request) {
	cust := r.PathValue("customer_id")
	if s.Access != nil {
		if _, err := s.Access.FindCustomerByID(r.Context(), cust); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.putBudget(w, r, cust, "")
}

// handlePutUserBudget sets a budget for one user of a customer (ADMIN, or
// the customer's CLIENT).
func (s *Server) handlePutUserBudget(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cust, uid := r.PathValue("customer_id"), r.PathValue("user_id")
	if !p.CanSeeCustomer(cust) {
		s.writeError(w, r, notFound("customer", cust))
		return
	}
	u, err := st.FindUserByID(r.Context(), uid)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND || err == nil && u.CustomerID != cust {
		err = notFound("user", uid)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.putBudget(w, r, cust, uid)
}

// usageGroups are the dimensions a usage report may be grouped by.
var usageGroups = []string{"day", "customer", "user", "key", "model", "kind"}

// usageQuery reads a usage request: from and to (dates 2006-01-02, to
// inclusive, or RFC 3339 times, to exclusive; default the current calendar
// month), customer_id and user_id (scoped to what the caller may see) and
// group (a comma-separated subset of usageGroups; default all).
func (s *Server) usageQuery(r *http.Request) (copydesk.UsageFilter, []string, error) {
	var f copydesk.UsageFilter
	p, err := principal(r)
	if err != nil {
		return f, nil, err
	}
	q := r.URL.Query()
	now := s.Clock.Now().UTC()
	f.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	f.To = f.From.AddDate(0, 1, 0)
	if v := q.Get("from"); v != "" {
		if f.From, err = parseWhen("from", v, false); err != nil {
			return f, nil, err
		}
	}
	if v := q.Get("to"); v != "" {
		if f.To, err = parseWhen("to", v, true); err != nil {
			return f, nil, err
		}
	}
	f.CustomerID, f.UserID = q.Get("customer_id"), q.Get("user_id")
	if len(f.CustomerID) > copydesk.MaxIDLen || len(f.UserID) > copydesk.MaxIDLen {
		return f, nil, copydesk.Errorf(copydesk.EINVALID, "customer_id and user_id are at most %d bytes", copydesk.MaxIDLen)
	}
	if f, err = scopeUsage(p, f); err != nil {
		return f, nil, err
	}
	if err := f.Validate(); err != nil {
		return f, nil, err
	}
	var groups []string
	if v := q.Get("group"); v != "" {
		for _, g := range strings.Split(v, ",") {
			g = strings.TrimSpace(g)
			if !slices.Contains(usageGroups, g) {
				return f, nil, copydesk.Errorf(copydesk.EINVALID, "group %q is not one of %s", g, strings.Join(usageGroups, ", "))
			}
			groups = append(groups, g)
		}
	}
	return f, groups, nil
}

// parseWhen parses a date (2006-01-02) or an RFC 3339 time. A date as the
// end of a range includes that day.
func parseWhen(name, v string, end bool) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, copydesk.Errorf(copydesk.EINVALID, "%s %q is neither a date (2006-01-02) nor an RFC 3339 time", name, v)
	}
	return t.UTC(), nil
}

// regroup sums the rows of a report over the dimensions not in groups.
func regroup(rows []copydesk.UsageRow, groups []string) []copydesk.UsageRow {
	if len(groups) == 0 {
		return rows
	}
	type key [6]string
	idx := map[key]int{}
	var out []copydesk.UsageRow
	for _, row := range rows {
		var k key
		var g copydesk.UsageRow
		for _, name := range groups {
			switch name {
			case "day":
				k[0], g.Day = row.Day, row.Day
			case "customer":
				k[1], g.CustomerID = row.CustomerID, row.CustomerID
			case "user":
				k[2], g.UserID = row.UserID, row.UserID
			case "key":
				k[3], g.KeyID = row.KeyID, row.KeyID
			case "model":
				k[4], g.Model = row.Model, row.Model
			case "kind":
				k[5], g.Kind = row.Kind, row.Kind
			}
		}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, g)
		}
		out[i].Add(row)
	}
	return out
}

func (s *Server) usageReport(r *http.Request) (*copydesk.UsageReport, error) {
	if s.Ledger == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "the cost ledger is not configured on this server")
	}
	f, groups, err := s.usageQuery(r)
	if err != nil {
		return nil, err
	}
	rep, err := s.Ledger.UsageReport(r.Context(), f)
	if err != nil {
		return nil, err
	}
	rep.Rows = nonNil(regroup(rep.Rows, groups))
	return rep, nil
}

// handleUsage answers the usage report of a date range as JSON, with
// totals.
func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	rep, err := s.usageReport(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	writeJSON(w, http.StatusOK, struct {
		*copydesk.UsageReport
		Currency string `json:"currency"`
	}{rep, s.currency()})
}

// currency is the ISO 4217 code costs are counted in (Server.Currency,
// default USD).
func (s *Server) currency() string {
	if s.Currency == "" {
		return "USD"
	}
	return strings.ToUpper(s.Currency)
}

// handleUsageCSV answers the same report as CSV, one row per group and a
// totals row.
func (s *Server) handleUsageCSV(w http.ResponseWriter, r *http.Request) {
	rep, err := s.usageReport(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="copydesk-usage.csv"`)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := budget.WriteUsageCSV(w, rep); err != nil {
		s.logger(r).Warn("write usage csv", "err", err)
	}
}
