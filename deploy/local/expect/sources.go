package expect

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
)

// What mappings/*.yaml define, restated in plain SQL and Go. Ids are
// BIGINT UNSIGNED on every side, so the server renders equal ids as equal
// text and maps below are keyed by that text.

// members: one row per user of each account shard, with bio and locale from
// the profile on the same shard; jp-accounts-2 ids move up by ShardOffset.
func members(ctx context.Context, s Servers) ([]row, error) {
	const q = "SELECT u.id, u.email, u.name, p.bio, p.locale FROM accounts.users u " +
		"LEFT JOIN accounts.user_profiles p ON p.user_id = u.id"
	shards := []struct {
		name   string
		db     *sql.DB
		offset uint64
	}{
		{"jp-accounts", s.Accounts, 0},
		{"jp-accounts-2", s.Accounts2, ShardOffset},
	}
	var all []values
	for _, sh := range shards {
		vals, err := queryAll(ctx, sh.db, q)
		if err != nil {
			return nil, fmt.Errorf("reading users of %s: %w", sh.name, err)
		}
		for _, v := range vals {
			id, err := strconv.ParseUint(v[0].String, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("reading users of %s: parsing id %q: %w", sh.name, v[0].String, err)
			}
			v[0] = text(strconv.FormatUint(id+sh.offset, 10))
		}
		all = append(all, vals...)
	}
	return rowsOf(all)
}

// recipes: one row per recipe that is not a draft, with its author's name
// from jp-accounts (NULL when the author is not there) and its step bodies
// as a JSON array in step order ([] without steps).
func recipes(ctx context.Context, s Servers) ([]row, error) {
	users, err := queryAll(ctx, s.Accounts, "SELECT id, name FROM accounts.users")
	if err != nil {
		return nil, fmt.Errorf("reading users of jp-accounts: %w", err)
	}
	names := make(map[string]sql.NullString, len(users))
	for _, u := range users {
		names[u[0].String] = u[1]
	}
	steps, err := queryAll(ctx, s.Recipes,
		"SELECT recipe_id, body FROM recipes.steps ORDER BY recipe_id, position, id")
	if err != nil {
		return nil, fmt.Errorf("reading steps: %w", err)
	}
	bodies := make(map[string][]string)
	for _, st := range steps {
		bodies[st[0].String] = append(bodies[st[0].String], st[1].String)
	}
	recs, err := queryAll(ctx, s.Recipes,
		"SELECT id, user_id, title, description, status FROM recipes.recipes WHERE status <> 'draft'")
	if err != nil {
		return nil, fmt.Errorf("reading recipes: %w", err)
	}
	vals := make([]values, 0, len(recs))
	for _, rec := range recs {
		b := bodies[rec[0].String]
		if b == nil {
			b = []string{}
		}
		js, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encoding steps of recipe %s: %w", rec[0].String, err)
		}
		// A missing author leaves the zero NullString: NULL.
		vals = append(vals, values{rec[0], rec[1], names[rec[1].String], rec[2], rec[3], rec[4],
			canonicalJSON(text(string(js)))})
	}
	return rowsOf(vals)
}

// cooksnaps: every cooksnap as it is.
func cooksnaps(ctx context.Context, s Servers) ([]row, error) {
	vals, err := queryAll(ctx, s.Recipes, "SELECT id, recipe_id, user_id, comment FROM recipes.cooksnaps")
	if err != nil {
		return nil, fmt.Errorf("reading cooksnaps: %w", err)
	}
	return rowsOf(vals)
}
