package livecheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// entry is one "target column: expression" pair of a source entry's
// columns, with where its name is.
type entry struct {
	target string
	// copies is the source column when the expression is a plain column
	// reference; empty otherwise.
	copies    string
	line, col int
}

// place is a 1-based line and column in a mapping file.
type place struct{ line, col int }

// identifier matches an expression that is one column name.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// notColumns are identifiers that expressions do not read as columns.
var notColumns = map[string]bool{"meta": true, "nil": true, "true": true, "false": true}

// readEntries reads the columns: entries of every source entry of a mapping
// file, by the place of the source entry.
func readEntries(file string) (map[place][]entry, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading mapping file: %w", err)
	}
	out := map[place][]entry{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parsing mapping file: %w", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := resolve(doc.Content[0])
		mappings := []*yaml.Node{root}
		if root.Kind == yaml.SequenceNode {
			mappings = root.Content
		}
		for _, m := range mappings {
			sources := value(resolve(m), "sources")
			if sources == nil || sources.Kind != yaml.SequenceNode {
				continue
			}
			for _, s := range sources.Content {
				s = resolve(s)
				out[place{s.Line, s.Column}] = columnEntries(value(s, "columns"))
			}
		}
	}
}

// columnEntries decodes a columns: mapping; nil when there is none.
func columnEntries(n *yaml.Node) []entry {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		e := entry{target: k.Value, line: k.Line, col: k.Column}
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" &&
			identifier.MatchString(v.Value) && !notColumns[v.Value] {
			e.copies = v.Value
		}
		out = append(out, e)
	}
	return out
}

// value returns the value of key in mapping n, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// resolve follows aliases, a bounded number of hops.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}
