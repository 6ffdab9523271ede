package mapping

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a mapping file, with where it is.
type Problem struct {
	// File is the mapping file's name as given to Load.
	File string
	// Line and Column are 1-based; zero when unknown.
	Line, Column int
	// Message says what is wrong.
	Message string
}

// String formats the problem as file:line:col: message, leaving out the
// parts that are unknown.
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
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found while loading mappings, sorted by file
// and position. Load returns it as its error.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// pos is a 1-based line and column in a mapping file.
type pos struct{ line, col int }

// at returns where n starts.
func at(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// String renders the position as line:col.
func (p pos) String() string { return fmt.Sprintf("%d:%d", p.line, p.col) }

// problems gathers Problems across files.
type problems struct{ list Problems }

// add records a problem at p in file.
func (ps *problems) add(file string, p pos, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: file, Line: p.line, Column: p.col, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted, or nil when there are none.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return ps.list
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax turns a YAML parser error into a problem of file.
func (ps *problems) syntax(file string, err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	ps.list = append(ps.list, Problem{File: file, Line: line, Message: "invalid YAML: " + msg})
}
