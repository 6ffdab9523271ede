package loadgen

import "context"

// op is one kind of step in a transaction; it writes one or more rows.
type op struct {
	name   string
	weight int
	run    func(context.Context, *txn) error
}

// ops is a weighted choice of steps.
type ops struct {
	list  []op
	total int
}

func newOps(list []op) ops {
	o := ops{list: list}
	for _, op := range list {
		o.total += op.weight
	}
	return o
}

// pick returns a step chosen with probability proportional to its weight.
func (o ops) pick(g *gen) op {
	n := g.rng.IntN(o.total)
	for _, op := range o.list {
		if n < op.weight {
			return op
		}
		n -= op.weight
	}
	return o.list[len(o.list)-1]
}

// orInsert returns err when set and otherwise runs fallback: a step that
// finds no row to work on writes new ones instead, so every step writes.
func orInsert(ctx context.Context, t *txn, err error, fallback func(context.Context, *txn) error) error {
	if err != nil {
		return err
	}
	return fallback(ctx, t)
}
