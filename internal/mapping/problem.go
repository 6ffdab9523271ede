package mapping

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// Problem is one thing wrong with a mapping file, with where it is.
type Problem = problem.Problem

// Problems is every problem found while loading mappings, sorted by file
// and position. Load returns it as its error.
type Problems = problem.List

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
	ps.list.Sort()
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
