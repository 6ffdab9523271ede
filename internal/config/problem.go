package config

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// Problem is one thing wrong with a configuration, with where it is.
type Problem = problem.Problem

// Problems is every problem found in a configuration, sorted by position.
// Load, Parse and Validate return it as their error.
type Problems = problem.List

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

// Rejected reports whether the value at key could not be decoded.
func (c *collector) Rejected(key string) bool { return c.bad[key] }

// At reports a problem at the position of key, or of its nearest ancestor
// when key is not in the file, unless key or an ancestor is bad.
func (c *collector) At(key, msg string) {
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
	c.list.Sort()
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
