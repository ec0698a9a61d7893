package sqlite

import "github.com/copydesk/copydesk/internal/copydesk"

// The batch tier's records (items and provider submissions) are
// sqlstore's, shared with PostgreSQL; the DB embeds them.
var _ copydesk.BatchStore = (*DB)(nil)
