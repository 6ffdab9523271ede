package mapping

import (
	"slices"

	"github.com/expr-lang/expr/ast"
)

// metaCollector gathers the metadata fields an expression reads.
type metaCollector struct{ fields []string }

// Visit implements ast.Visitor.
func (m *metaCollector) Visit(node *ast.Node) {
	n, ok := (*node).(*ast.MemberNode)
	if !ok || n.Method {
		return
	}
	id, ok := n.Node.(*ast.IdentifierNode)
	if !ok || id.Value != metaName {
		return
	}
	if s, ok := n.Property.(*ast.StringNode); ok && !slices.Contains(m.fields, s.Value) {
		m.fields = append(m.fields, s.Value)
	}
}

// metaFields returns the metadata fields node reads (meta.source ...),
// sorted.
func metaFields(node *ast.Node) []string {
	m := &metaCollector{}
	ast.Walk(node, m)
	slices.Sort(m.fields)
	return m.fields
}

// keyMeta returns the metadata fields that a driving contributor's
// target key expressions read.
func (c *contributor) keyMeta() []string {
	var out []string
	for _, k := range c.target.table.Key {
		if p := c.keyProgram(k); p != nil {
			for _, f := range p.meta {
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	return out
}
