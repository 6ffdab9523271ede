// Package migrations holds the versioned SQL migrations of the target
// database, embedded in the binary.
package migrations

import "embed"

// FS holds the goose SQL migrations, named NNNNN_description.sql, at its root.
//
//go:embed *.sql
var FS embed.FS
