package livecheck

import (
	"sort"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// Severity says whether a problem stops replication, or may lose data for
// some values only or cost the sources a scan.
type Severity = problem.Severity

const (
	// Error is a problem that makes changes fail or lose data.
	Error = problem.Error
	// Warning is a problem that may lose data for some values only, or
	// makes a search of a source scan its table.
	Warning = problem.Warning
)

// Problem is one thing wrong between a mapping and the live schemas, with
// where it is in the mapping file.
type Problem = problem.Problem

// Problems is every problem found, sorted by file and position.
type Problems = problem.List

// sortProblems orders ps by file, line, column and message.
func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		switch {
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Column != b.Column:
			return a.Column < b.Column
		}
		return a.Message < b.Message
	})
}
