package http

import "github.com/copydesk/copydesk/internal/copydesk"

// checkRoleChange says whether p may give u the role (nil: no change
// asked). It is checked before anything of the request is written, so a
// refused role leaves the user as it was.
func checkRoleChange(p copydesk.Principal, u *copydesk.User, role *copydesk.Role) error {
	if role == nil {
		return nil
	}
	switch {
	case !role.Valid():
		return copydesk.Errorf(copydesk.EINVALID, "role %q is not one of ADMIN, CLIENT, USER", *role)
	case u.ID == p.UserID && *role != u.Role:
		return copydesk.Errorf(copydesk.EINVALID, "you cannot change your own role; ask another ADMIN")
	case *role == copydesk.RoleAdmin && p.Role != copydesk.RoleAdmin:
		return copydesk.Errorf(copydesk.EFORBIDDEN, "only an ADMIN may make a user ADMIN")
	}
	return nil
}
