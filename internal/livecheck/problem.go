package livecheck

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem stops replication or may lose data only
// for some values.
type Severity uint8

const (
	// Error is a problem that makes changes fail or lose data.
	Error Severity = iota
	// Warning is a problem that may lose data for some values only.
	Warning
)

// Problem is one thing wrong between a mapping and the live schemas, with
// where it is in the mapping file.
type Problem struct {
	// File is the mapping file; Line and Column are 1-based, zero when
	// unknown.
	File         string
	Line, Column int
	// Severity is Error or Warning.
	Severity Severity
	// Message says what is wrong.
	Message string
}

// String formats the problem as file:line:col: [warning: ]message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found, sorted by file and position.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Errors counts the problems of severity Error.
func (ps Problems) Errors() int {
	n := 0
	for _, p := range ps {
		if p.Severity == Error {
			n++
		}
	}
	return n
}

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
