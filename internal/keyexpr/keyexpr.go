// Package keyexpr owns the compilation of partition key expressions, so
// that the config check and the Kinesis sink accept exactly the same ones.
package keyexpr

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Compile compiles a partition key expression (expr-lang, as in the
// mappings): columns of the identifying image by name, and meta.source,
// meta.schema, meta.table, meta.op and meta.gtid. The wall clock is not
// available: a replayed change must get the key it had.
func Compile(src string) (*vm.Program, error) {
	if src == "" {
		return nil, errors.New("empty expression")
	}
	prog, err := expr.Compile(src, expr.AllowUndefinedVariables())
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s at column %d", fe.Message, fe.Column+1)
		}
		return nil, err
	}
	var clock clockFinder
	node := prog.Node()
	ast.Walk(&node, &clock)
	if clock {
		return nil, errors.New("now() is not allowed: a replayed change must get the same key")
	}
	return prog, nil
}

// clockFinder is set when an expression calls now().
type clockFinder bool

// Visit implements ast.Visitor.
func (c *clockFinder) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BuiltinNode); ok && b.Name == "now" {
		*c = true
	}
}
