package kinesis

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/tributary-cdc/tributary/internal/change"
)

// compileKeyExpr compiles a partition key expression (expr-lang, as in the
// mappings): columns of the identifying image by name, and meta.source,
// meta.schema, meta.table, meta.op and meta.gtid. The wall clock is not
// available: a replayed change must get the key it had.
func compileKeyExpr(src string) (*vm.Program, error) {
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

// exprKey evaluates r's expression on txn.Changes[i]. The result is the key
// as text: numbers in decimal, NULL as the empty key.
func (r *route) exprKey(txn *change.Txn, i int) (string, error) {
	c := &txn.Changes[i]
	row := c.Image()
	env := make(map[string]any, len(c.Table.Columns)+1)
	for j, col := range c.Table.Columns {
		if j < len(row) {
			env[col.Name] = change.Plain(row[j])
		}
	}
	env["meta"] = map[string]any{"source": txn.Source, "schema": c.Table.Schema, "table": c.Table.Name,
		"op": c.Op.String(), "gtid": txn.GTID}
	out, err := expr.Run(r.expr, env)
	if err != nil {
		return "", fmt.Errorf("partition key expression of %s: %w", c.Table.QualifiedName(), err)
	}
	switch v := out.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("partition key expression of %s: result of type %T, want text or a number",
		c.Table.QualifiedName(), out)
}
