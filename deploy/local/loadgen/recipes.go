package loadgen

import (
	"context"
	"fmt"
	"strings"
)

// Tables of the recipes cluster.
const (
	tRecipes   = "recipes.recipes"
	tSteps     = "recipes.steps"
	tCooksnaps = "recipes.cooksnaps"
)

// recipeOps is the workload of the recipes cluster.
var recipeOps = newOps([]op{
	{"insert recipe", 18, insertRecipe},
	{"insert cooksnap", 15, insertCooksnap},
	{"edit recipe", 10, editRecipe},
	{"change status", 10, changeStatus},
	{"edit step", 10, editStep},
	{"move step", 4, moveStep},
	{"reorder steps", 3, reorderSteps},
	{"edit cooksnap", 8, editCooksnap},
	{"delete cooksnap", 5, deleteCooksnap},
	{"delete step", 4, deleteStep},
	{"delete recipe", 3, deleteRecipe},
})

// insertRecipe inserts a recipe and some steps, in one multi-row statement
// or one statement each.
func insertRecipe(ctx context.Context, t *txn) error {
	status, published := "draft", "NULL"
	switch r := t.g.rng.Float64(); {
	case r < 0.25:
		status, published = "published", "NOW(6) - INTERVAL ? MICROSECOND"
	case r < 0.3:
		status, published = "hidden", "NOW(6) - INTERVAL ? MICROSECOND"
	}
	args := []any{t.w.userID(), t.g.short(200), t.g.lobText(mediumTextMax, 0.15), status}
	if published != "NULL" {
		args = append(args, t.g.agoMicros())
	}
	id, err := t.insert(ctx, tRecipes,
		"INSERT INTO recipes.recipes (user_id, title, description, status, published_at) VALUES (?, ?, ?, ?, "+published+")",
		args...)
	if err != nil {
		return err
	}
	n := min(t.g.between(0, 6), t.left())
	if n <= 0 {
		return nil
	}
	if n > 1 && t.g.chance(0.5) {
		rows := make([]string, n)
		args = args[:0]
		for i := range rows {
			rows[i] = "(?, ?, ?, ?)"
			args = append(args, id, i+1, t.g.lobText(textMax, 0), t.g.blob(0.6))
		}
		_, err = t.exec(ctx, tSteps, OpInsert,
			"INSERT INTO recipes.steps (recipe_id, position, body, photo) VALUES "+strings.Join(rows, ", "), args...)
		return err
	}
	for i := range n {
		if _, err := t.exec(ctx, tSteps, OpInsert, "INSERT INTO recipes.steps (recipe_id, position, body, photo) VALUES (?, ?, ?, ?)",
			id, i+1, t.g.lobText(textMax, 0), t.g.blob(0.6)); err != nil {
			return err
		}
	}
	return nil
}

func insertCooksnap(ctx context.Context, t *txn) error {
	recipe, ok, err := t.pick(ctx, tRecipes)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	_, err = t.exec(ctx, tCooksnaps, OpInsert,
		"INSERT INTO recipes.cooksnaps (recipe_id, user_id, comment, metadata, created_at) VALUES (?, ?, ?, ?, NOW(6))",
		recipe, t.w.userID(), t.comment(), t.g.metadata())
	return err
}

// comment returns a cooksnap comment: NULL, empty or up to 1024 characters.
func (t *txn) comment() any {
	switch r := t.g.rng.Float64(); {
	case r < 0.15:
		return nil
	case r < 0.2:
		return ""
	}
	return t.g.short(1024)
}

func editRecipe(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tRecipes)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	switch t.g.rng.IntN(3) {
	case 0:
		_, err = t.exec(ctx, tRecipes, OpUpdate, "UPDATE recipes.recipes SET title = ? WHERE id = ?", t.g.short(200), id)
	case 1:
		_, err = t.exec(ctx, tRecipes, OpUpdate, "UPDATE recipes.recipes SET description = ? WHERE id = ?",
			t.g.lobText(mediumTextMax, 0.2), id)
	default:
		_, err = t.exec(ctx, tRecipes, OpUpdate, "UPDATE recipes.recipes SET title = ?, description = ? WHERE id = ?",
			t.g.short(200), t.g.lobText(mediumTextMax, 0.2), id)
	}
	return err
}

// statusChanges lists the next statuses of each status and what happens to
// published_at on the way.
var statusChanges = map[string][]struct{ to, publishedAt string }{
	"draft":     {{"published", "NOW(6)"}},
	"published": {{"hidden", "published_at"}, {"draft", "NULL"}},
	"hidden":    {{"published", "NOW(6)"}, {"draft", "NULL"}},
}

// changeStatus moves a recipe to another status, to and from 'draft'.
func changeStatus(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tRecipes)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	var status string
	if err := t.tx.QueryRowContext(ctx, "SELECT status FROM recipes.recipes WHERE id = ?", id).Scan(&status); err != nil {
		return fmt.Errorf("reading status of a recipe: %w", err)
	}
	next := statusChanges[status]
	if len(next) == 0 {
		return fmt.Errorf("changing status of a recipe: unknown status %q", status)
	}
	c := next[t.g.rng.IntN(len(next))]
	_, err = t.exec(ctx, tRecipes, OpUpdate,
		"UPDATE recipes.recipes SET status = ?, published_at = "+c.publishedAt+" WHERE id = ?", c.to, id)
	return err
}

func editStep(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tSteps)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	if t.g.chance(0.5) {
		_, err = t.exec(ctx, tSteps, OpUpdate, "UPDATE recipes.steps SET body = ? WHERE id = ?", t.g.lobText(textMax, 0), id)
	} else {
		_, err = t.exec(ctx, tSteps, OpUpdate, "UPDATE recipes.steps SET body = ?, photo = ? WHERE id = ?",
			t.g.lobText(textMax, 0), t.g.blob(0.4), id)
	}
	return err
}

// moveStep gives a step a new primary key.
func moveStep(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tSteps)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	newID, err := t.unusedID(ctx, tSteps)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, tSteps, OpKeyUpdate, "UPDATE recipes.steps SET id = ? WHERE id = ?", newID, id)
	return err
}

// reorderSteps updates every step of a recipe in one statement.
func reorderSteps(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tRecipes)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	_, err = t.exec(ctx, tSteps, OpUpdate, "UPDATE recipes.steps SET position = position + 1 WHERE recipe_id = ?", id)
	return err
}

func editCooksnap(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tCooksnaps)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertCooksnap)
	}
	switch t.g.rng.IntN(3) {
	case 0:
		_, err = t.exec(ctx, tCooksnaps, OpUpdate, "UPDATE recipes.cooksnaps SET comment = ? WHERE id = ?", t.comment(), id)
	case 1:
		_, err = t.exec(ctx, tCooksnaps, OpUpdate, "UPDATE recipes.cooksnaps SET metadata = ? WHERE id = ?", t.g.metadata(), id)
	default:
		_, err = t.exec(ctx, tCooksnaps, OpUpdate, "UPDATE recipes.cooksnaps SET comment = ?, metadata = ? WHERE id = ?",
			t.comment(), t.g.metadata(), id)
	}
	return err
}

func deleteCooksnap(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tCooksnaps)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertCooksnap)
	}
	_, err = t.exec(ctx, tCooksnaps, OpDelete, "DELETE FROM recipes.cooksnaps WHERE id = ?", id)
	return err
}

func deleteStep(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tSteps)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	_, err = t.exec(ctx, tSteps, OpDelete, "DELETE FROM recipes.steps WHERE id = ?", id)
	return err
}

// deleteRecipe deletes a recipe with its steps and cooksnaps.
func deleteRecipe(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tRecipes)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertRecipe)
	}
	if _, err := t.exec(ctx, tCooksnaps, OpDelete, "DELETE FROM recipes.cooksnaps WHERE recipe_id = ?", id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, tSteps, OpDelete, "DELETE FROM recipes.steps WHERE recipe_id = ?", id); err != nil {
		return err
	}
	_, err = t.exec(ctx, tRecipes, OpDelete, "DELETE FROM recipes.recipes WHERE id = ?", id)
	return err
}
