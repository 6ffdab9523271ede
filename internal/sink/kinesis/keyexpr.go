package kinesis

import (
	"fmt"
	"strconv"

	"github.com/expr-lang/expr"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/exprerr"
)

// exprKey evaluates r's expression on txn.Changes[i] identified by row, one
// of its images. The result is the key as text: numbers in decimal, NULL as
// the empty key.
func (r *route) exprKey(txn *change.Txn, i int, row change.Row) (string, error) {
	c := &txn.Changes[i]
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
		// Its message may quote the row's values, which must not reach
		// logs.
		return "", fmt.Errorf("partition key expression of %s: %s", c.Table.QualifiedName(), exprerr.Class(err, env))
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
