package config

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration, with where it is.
type Problem struct {
	// File is the configuration file's name; empty for a Config built in code.
	File string
	// Line and Column are 1-based; zero when unknown.
	Line, Column int
	// Key is the dotted path of the offending key, such as
	// sources[1].server_id; empty for the whole file.
	Key string
	// Message says what is wrong.
	Message string
}

// String formats the problem as file:line:col: key: message, leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	var prefix []string
	if p.File != "" {
		prefix = append(prefix, p.File)
	}
	if p.Line > 0 {
		prefix = append(prefix, fmt.Sprint(p.Line))
		if p.Column > 0 {
			prefix = append(prefix, fmt.Sprint(p.Column))
		}
	}
	if len(prefix) > 0 {
		b.WriteString(strings.Join(prefix, ":"))
		b.WriteString(": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a configuration, sorted by position.
// Load, Parse and Validate return it as their error.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// position is a 1-based line and column in the configuration file.
type position struct{ line, col int }

// nodePos returns where n starts.
func nodePos(n *yaml.Node) position { return position{n.Line, n.Column} }

// collector gathers problems. A key whose value could not be decoded is
// marked bad so that the semantic checks do not report it, or anything
// under it, a second time.
type collector struct {
	file  string
	where map[string]position
	bad   map[string]bool
	list  Problems
}

func newCollector(file string, where map[string]position) *collector {
	return &collector{file: file, where: where, bad: map[string]bool{}}
}

// node reports a problem at n.
func (c *collector) node(n *yaml.Node, key, msg string) {
	c.list = append(c.list, Problem{File: c.file, Line: n.Line, Column: n.Column, Key: key, Message: msg})
}

// reject reports that the value at key, n, could not be decoded.
func (c *collector) reject(n *yaml.Node, key, msg string) {
	c.bad[key] = true
	c.node(n, key, msg)
}

// rejected reports whether the value at key could not be decoded.
func (c *collector) rejected(key string) bool { return c.bad[key] }

// at reports a problem at the position of key, or of its nearest ancestor
// when key is not in the file, unless key or an ancestor is bad.
func (c *collector) at(key, msg string) {
	var pos position
	found := false
	for k := key; ; k = parentKey(k) {
		if c.bad[k] {
			return
		}
		if p, ok := c.where[k]; ok && !found {
			pos, found = p, true
		}
		if k == "" {
			break
		}
	}
	c.list = append(c.list, Problem{File: c.file, Line: pos.line, Column: pos.col, Key: key, Message: msg})
}

// err returns the problems sorted by position, or nil when there are none.
func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := c.list[i], c.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return c.list
}

// parentKey returns the key that contains key: "sources[1]" for
// "sources[1].name", "sources" for "sources[1]", "" for "sources".
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// childKey joins a mapping key to its parent's path.
func childKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
