package http

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// manageBodyLimit caps the bodies of management requests.
const manageBodyLimit = 64 << 10

func (s *Server) accessStore() (copydesk.AccessStore, error) {
	if s.Access == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "the access store is not configured on this server")
	}
	return s.Access, nil
}

// callerAndStore returns the principal and the access store, or an error.
func (s *Server) callerAndStore(r *http.Request) (copydesk.Principal, copydesk.AccessStore, error) {
	p, err := principal(r)
	if err != nil {
		return p, nil, err
	}
	st, err := s.accessStore()
	return p, st, err
}

func notFound(what, id string) error {
	return copydesk.Errorf(copydesk.ENOTFOUND, "%s %q not found", what, id)
}

// customerParam returns the customer a request is about: the query
// parameter customer_id if given (another customer's is ENOTFOUND for
// anyone but an ADMIN), else the caller's.
func customerParam(r *http.Request, p copydesk.Principal) (string, error) {
	id := r.URL.Query().Get("customer_id")
	if id == "" {
		return p.CustomerID, nil
	}
	if len(id) > copydesk.MaxIDLen {
		return "", copydesk.Errorf(copydesk.EINVALID, "customer_id is longer than %d bytes", copydesk.MaxIDLen)
	}
	if !p.CanSeeCustomer(id) {
		return "", notFound("customer", id)
	}
	return id, nil
}

func (s *Server) handleListCustomers(w http.ResponseWriter, r *http.Request) {
	_, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cs, err := st.FindCustomers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": nonNil(cs)})
}

type createCustomerRequest struct {
	Name string `json:"name"`
}

func (s *Server) handleCreateCustomer(w http.ResponseWriter, r *http.Request) {
	_, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createCustomerRequest
	if err := decodeJSON(w, r, manageBodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &copydesk.Customer{Name: req.Name}
	if err := st.CreateCustomer(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/customers/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleGetCustomer(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !p.CanSeeCustomer(id) {
		s.writeError(w, r, notFound("customer", id))
		return
	}
	c, err := st.FindCustomerByID(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := copydesk.UserFilter{}
	if q := r.URL.Query().Get("customer_id"); q != "" || p.Role != copydesk.RoleAdmin {
		if f.CustomerID, err = customerParam(r, p); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if q := r.URL.Query().Get("role"); q != "" {
		if f.Role, err = copydesk.ParseRole(q); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	us, err := st.FindUsers(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(us)})
}

type createUserRequest struct {
	CustomerID string `json:"customer_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	Password   string `json:"password"`
}

// handleCreateUser adds a user to a customer: an ADMIN to any customer and
// with any role, a CLIENT to its own customer as CLIENT or USER.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createUserRequest
	if err := decodeJSON(w, r, manageBodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	role, err := copydesk.ParseRole(req.Role)
	if req.Role == "" {
		role, err = copydesk.RoleUser, nil
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cust := req.CustomerID
	if cust == "" {
		cust = p.CustomerID
	}
	if !p.CanSeeCustomer(cust) {
		s.writeError(w, r, notFound("customer", cust))
		return
	}
	if role == copydesk.RoleAdmin && p.Role != copydesk.RoleAdmin {
		s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "only an ADMIN may create ADMIN users"))
		return
	}
	u := &copydesk.User{CustomerID: cust, Email: req.Email, Name: req.Name, Role: role}
	if req.Password != "" {
		if u.PasswordHash, err = auth.HashPassword(req.Password, auth.DefaultPasswordParams); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := st.CreateUser(r.Context(), u); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/users/"+u.ID)
	writeJSON(w, http.StatusCreated, u)
}

// visibleUser returns the user if the caller may see it, else ENOTFOUND.
func (s *Server) visibleUser(r *http.Request, p copydesk.Principal, st copydesk.AccessStore, id string) (*copydesk.User, error) {
	u, err := st.FindUserByID(r.Context(), id)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND || err == nil && !p.CanSeeUser(u.CustomerID, u.ID) {
		return nil, notFound("user", id)
	}
	return u, err
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.visibleUser(r, p, st, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

type updateUserRequest struct {
	Disabled *bool          `json:"disabled"`
	Password *string        `json:"password"`
	Role     *copydesk.Role `json:"role"`
}

// handleUpdateUser disables or enables a user, sets its password or
// changes its role. A CLIENT may not change an ADMIN nor make one; nobody
// disables themselves or changes their own role.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.visibleUser(r, p, st, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateUserRequest
	if err := decodeJSON(w, r, manageBodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Disabled == nil && req.Password == nil && req.Role == nil {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "nothing to change: send disabled, password or role"))
		return
	}
	if u.Role == copydesk.RoleAdmin && p.Role != copydesk.RoleAdmin {
		s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "only an ADMIN may change an ADMIN user"))
		return
	}
	if req.Disabled != nil && *req.Disabled && u.ID == p.UserID {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "you cannot disable your own account"))
		return
	}
	if err := checkRoleChange(p, u, req.Role); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Password != nil {
		h, err := auth.HashPassword(*req.Password, auth.DefaultPasswordParams)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := st.SetUserPassword(r.Context(), u.ID, h); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if req.Disabled != nil {
		if err := st.SetUserDisabled(r.Context(), u.ID, *req.Disabled); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if req.Role != nil && *req.Role != u.Role {
		if err := st.SetUserRole(r.Context(), u.ID, *req.Role); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if u, err = st.FindUserByID(r.Context(), u.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// keyFilter is what the caller may list: an ADMIN any customer's keys (all
// without customer_id), a CLIENT its customer's, a USER its own.
func keyFilter(r *http.Request, p copydesk.Principal) (copydesk.APIKeyFilter, error) {
	var f copydesk.APIKeyFilter
	var err error
	if r.URL.Query().Get("customer_id") != "" || p.Role != copydesk.RoleAdmin {
		if f.CustomerID, err = customerParam(r, p); err != nil {
			return f, err
		}
	}
	f.UserID = r.URL.Query().Get("user_id")
	if p.Role == copydesk.RoleUser {
		if f.UserID != "" && f.UserID != p.UserID {
			return f, notFound("user", f.UserID)
		}
		f.UserID = p.UserID
	}
	return f, nil
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := keyFilter(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ks, err := st.FindAPIKeys(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	views := make([]keyView, len(ks))
	for i, k := range ks {
		if views[i], err = s.keyView(r, k); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": views})
}

// keyView is a key with its monthly budget, if it has one.
type keyView struct {
	*copydesk.APIKey
	Budget *budgetView `json:"budget,omitempty"`
}

// keyView returns k with its budget (one store read).
func (s *Server) keyView(r *http.Request, k *copydesk.APIKey) (keyView, error) {
	v := keyView{APIKey: k}
	if s.Budgets == nil {
		return v, nil
	}
	b, err := s.Budgets.FindBudget(r.Context(), k.CustomerID, k.ID)
	switch copydesk.ErrorCode(err) {
	case "":
		v.Budget = &budgetView{Budget: b, Left: b.Left(s.Clock.Now())}
	case copydesk.ENOTFOUND:
	default:
		return v, err
	}
	return v, nil
}

type createKeyRequest struct {
	UserID    string     `json:"user_id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	Models    []string   `json:"models"`
	ExpiresAt *time.Time `json:"expires_at"`
	// Budget gives the key a monthly budget of its own (ADMIN, CLIENT).
	Budget *putBudgetRequest `json:"budget"`
	// RateLimit gives the key a rate limit of its own (ADMIN, CLIENT).
	RateLimit *copydesk.RateLimit `json:"rate_limit"`
}

// errOwnersOnly refuses a USER's attempt to set a key's budget or rate
// limit: what a CLIENT set on a key its USER must not undo.
var errOwnersOnly = copydesk.Errorf(copydesk.EFORBIDDEN, "only an ADMIN or the customer's CLIENT sets a key's budget or rate limit")

// refuseBoundKey refuses key management to a caller using a key with a
// budget or rate limit of its own (or a JWT exchanged for one): a key it
// made, or a change to its own, would escape them.
func (s *Server) refuseBoundKey(r *http.Request, p copydesk.Principal) error {
	if p.KeyID == "" {
		return nil
	}
	bound := p.KeyRateLimit != nil
	if !bound && s.Budgets != nil {
		_, err := s.Budgets.FindBudget(r.Context(), p.CustomerID, p.KeyID)
		switch copydesk.ErrorCode(err) {
		case "":
			bound = true
		case copydesk.ENOTFOUND:
		default:
			return err
		}
	}
	if bound {
		return copydesk.Errorf(copydesk.EFORBIDDEN, "this API key has a budget or rate limit of its own: it cannot make or change keys, which would escape them; use another key or a session")
	}
	return nil
}

// keyBudget validates a budget request for key k (its IDs may be empty
// before the key exists) and returns the budget to set.
func (s *Server) keyBudget(req *putBudgetRequest, customerID, keyID string) (*copydesk.Budget, error) {
	if req.Limit == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "budget.limit is required: the key's monthly hard limit in micro-units (1 unit = 1000000)")
	}
	b := &copydesk.Budget{CustomerID: customerID, KeyID: keyID, Limit: copydesk.Micros(*req.Limit),
		AlertPercent: req.AlertPercent, WarningPercent: req.WarningPercent}
	check := *b
	check.CustomerID = cmp.Or(check.CustomerID, "cus_check")
	if err := check.Prepare(s.Clock.Now()); err != nil {
		return nil, err
	}
	return b, nil
}

// knownScopes are the scopes a key may be limited to.
var knownScopes = auth.Scopes

// createKeyResponse shows the key once.
type createKeyResponse struct {
	Key    string           `json:"key"` // the secret: shown only in this answer
	APIKey *copydesk.APIKey `json:"api_key"`
	Budget *budgetView      `json:"budget,omitempty"` // the key's own budget, when asked for
}

// handleCreateKey makes an API key for the caller or, for an ADMIN or
// CLIENT, a user it may see. A scoped key can only make keys with a subset
// of its scopes, and a key limited to some models only keys limited to a
// subset of them.
func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createKeyRequest
	if err := decodeJSON(w, r, manageBodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.refuseBoundKey(r, p); err != nil {
		s.writeError(w, r, err)
		return
	}
	uid := req.UserID
	if uid == "" {
		uid = p.UserID
	}
	u, err := s.visibleUser(r, p, st, uid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if u.Role == copydesk.RoleAdmin && p.Role != copydesk.RoleAdmin {
		s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "only an ADMIN may create keys for an ADMIN user"))
		return
	}
	for _, sc := range req.Scopes {
		if !slices.Contains(knownScopes, sc) {
			s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "scope %q is not one of %v", sc, knownScopes))
			return
		}
	}
	if len(p.Scopes) > 0 {
		if len(req.Scopes) == 0 {
			req.Scopes = slices.Clone(p.Scopes)
		}
		for _, sc := range req.Scopes {
			if !slices.Contains(p.Scopes, sc) {
				s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "this API key lacks the scope %q it would grant", sc))
				return
			}
		}
	}
	if len(p.Models) > 0 {
		// A key limited to some models makes keys limited to those or fewer.
		if len(req.Models) == 0 {
			req.Models = slices.Clone(p.Models)
		}
		for _, m := range req.Models {
			if !slices.Contains(p.Models, m) {
				s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "this API key may not use the model %q it would grant", m))
				return
			}
		}
	}
	var kb *copydesk.Budget
	if req.Budget != nil || req.RateLimit != nil {
		if p.Role == copydesk.RoleUser {
			s.writeError(w, r, errOwnersOnly)
			return
		}
		if req.RateLimit != nil {
			if err := req.RateLimit.Validate(); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if req.Budget != nil {
			if kb, err = s.keyBudget(req.Budget, u.CustomerID, ""); err != nil {
				s.writeError(w, r, err)
				return
			}
			if _, err := s.budgetStore(); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
	}
	key, k, err := auth.CreateAPIKey(r.Context(), st, s.Clock.Now(), u.CustomerID, u.ID,
		auth.KeyOptions{Name: req.Name, Scopes: req.Scopes, Models: req.Models, ExpiresAt: req.ExpiresAt, RateLimit: req.RateLimit})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if kb != nil {
		kb.KeyID = k.ID
		if err := s.Budgets.SetBudget(r.Context(), kb); err != nil {
			// A key must not work without the budget it was asked with.
			if _, rerr := st.RevokeAPIKey(context.WithoutCancel(r.Context()), k.ID); rerr != nil {
				s.Logger.Error("revoke a key whose budget could not be set", "key_id", k.ID, "err", rerr)
			}
			s.writeError(w, r, err)
			return
		}
	}
	view, err := s.keyView(r, k)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createKeyResponse{Key: key, APIKey: k, Budget: view.Budget})
}

// updateKeyRequest changes a key's budget and rate limit: an object sets
// one, null removes it, a missing field leaves it.
type updateKeyRequest struct {
	Budget    json.RawMessage `json:"budget"`
	RateLimit json.RawMessage `json:"rate_limit"`
}

// handleUpdateKey sets or removes a key's own budget and rate limit
// (ADMIN, or the CLIENT of the key's customer).
func (s *Server) handleUpdateKey(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := s.visibleKey(r, p, st, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateKeyRequest
	if err := decodeJSON(w, r, manageBodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Budget == nil && req.RateLimit == nil {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "nothing to change: send budget or rate_limit (an object sets it, null removes it)"))
		return
	}
	if p.Role == copydesk.RoleUser {
		s.writeError(w, r, errOwnersOnly)
		return
	}
	if err := s.refuseBoundKey(r, p); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Check everything before changing anything.
	var kb *copydesk.Budget
	removeBudget := isNull(req.Budget)
	if req.Budget != nil && !removeBudget {
		var br putBudgetRequest
		if err := decodeStrict(req.Budget, &br, "budget"); err != nil {
			s.writeError(w, r, err)
			return
		}
		if kb, err = s.keyBudget(&br, k.CustomerID, k.ID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	var rate *copydesk.RateLimit
	if req.RateLimit != nil && !isNull(req.RateLimit) {
		rate = &copydesk.RateLimit{}
		if err := decodeStrict(req.RateLimit, rate, "rate_limit"); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := rate.Validate(); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if req.Budget != nil {
		bs, err := s.budgetStore()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if removeBudget {
			err = bs.DeleteBudget(r.Context(), k.CustomerID, k.ID)
			if copydesk.ErrorCode(err) == copydesk.ENOTFOUND {
				err = nil // no budget: nothing to remove
			}
		} else {
			err = bs.SetBudget(r.Context(), kb)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if req.RateLimit != nil {
		if k, err = st.SetAPIKeyRateLimit(r.Context(), k.ID, rate); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	view, err := s.keyView(r, k)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// visibleKey returns the key id if p may see it (its customer's for a
// CLIENT, its own for a USER, any for the ADMIN), else ENOTFOUND.
func (s *Server) visibleKey(r *http.Request, p copydesk.Principal, st copydesk.AccessStore, id string) (*copydesk.APIKey, error) {
	k, err := st.FindAPIKeyByID(r.Context(), id)
	if copydesk.ErrorCode(err) == copydesk.ENOTFOUND || err == nil && !p.CanSeeUser(k.CustomerID, k.UserID) {
		return nil, notFound("API key", id)
	}
	return k, err
}

// isNull reports whether raw is the JSON null.
func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// decodeStrict decodes the JSON object raw, the value of field, into v,
// refusing unknown fields and anything but an object.
func decodeStrict(raw json.RawMessage, v any, field string) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return copydesk.Errorf(copydesk.EINVALID, "%s must be an object or null", field)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return copydesk.Errorf(copydesk.EINVALID, "%s: %s", field, copydesk.ErrorMessage(jsonError(err)))
	}
	return nil
}

// handleRevokeKey revokes a key the caller may see.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	p, st, err := s.callerAndStore(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	var f copydesk.APIKeyFilter
	if p.Role != copydesk.RoleAdmin {
		f.CustomerID = p.CustomerID
	}
	ks, err := st.FindAPIKeys(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	i := slices.IndexFunc(ks, func(k *copydesk.APIKey) bool { return k.ID == id })
	if i < 0 || !p.CanSeeUser(ks[i].CustomerID, ks[i].UserID) {
		s.writeError(w, r, notFound("API key", id))
		return
	}
	if p.Role != copydesk.RoleAdmin && ks[i].UserID != p.UserID {
		owner, err := st.FindUserByID(r.Context(), ks[i].UserID)
		if err == nil && owner.Role == copydesk.RoleAdmin {
			s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "only an ADMIN may revoke an ADMIN user's key"))
			return
		}
	}
	k, err := st.RevokeAPIKey(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
