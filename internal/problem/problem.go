// Package problem owns the positioned problem reports that the config,
// mapping and live checks share: every problem at once, each with its file,
// line, column and key.
package problem

import (
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a problem is an error or only a warning.
type Severity uint8

const (
	// Error makes the checked input unusable.
	Error Severity = iota
	// Warning may lose data for some values only, or costs more than it
	// should; it stops nothing.
	Warning
)

// Problem is one thing wrong with an input file, with where it is.
type Problem struct {
	// File is the file's name; empty for input built in code.
	File string
	// Line and Column are 1-based; zero when unknown.
	Line, Column int
	// Key is the dotted path of the offending key, such as
	// sources[1].server_id; empty when the position says enough.
	Key string
	// Severity is Error or Warning.
	Severity Severity
	// Message says what is wrong.
	Message string
}

// String formats the problem as file:line:col: [warning: ][key: ]message,
// leaving out the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d", p.Line)
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
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// List is every problem found, usually sorted by Sort.
type List []Problem

// Error prints one problem per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the problems by file, line and column, keeping the order of
// problems at the same place.
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
}

// Errors counts the problems of severity Error.
func (l List) Errors() int {
	n := 0
	for _, p := range l {
		if p.Severity == Error {
			n++
		}
	}
	return n
}
