// Package admin owns the offline commands: checkpoint, failed, status, migrate and mappings check.
package admin
