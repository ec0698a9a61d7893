package sqlite

import "github.com/copydesk/copydesk/internal/copydesk"

// The access records (customers, users, API keys, sessions) are sqlstore's,
// shared with PostgreSQL; the DB embeds them.
var _ copydesk.AccessStore = (*DB)(nil)
