package loadgen

import (
	"context"
	"fmt"
)

// Tables of the account shards.
const (
	tUsers    = "accounts.users"
	tProfiles = "accounts.user_profiles"
)

// accountOps is the workload of an account shard.
var accountOps = newOps([]op{
	{"insert user", 30, insertUser},
	{"rename user", 15, renameUser},
	{"write profile", 15, writeProfile},
	{"change e-mail", 6, changeEmail},
	{"swap e-mails", 3, swapEmails},
	{"change user id", 3, changeUserID},
	{"delete user", 3, deleteUser},
})

func insertUser(ctx context.Context, t *txn) error {
	id, err := t.insert(ctx, tUsers,
		"INSERT INTO accounts.users (email, name, created_at) VALUES (?, ?, NOW(6) - INTERVAL ? MICROSECOND)",
		t.w.email(t.c.shard), t.g.short(100), t.g.agoMicros())
	if err != nil {
		return err
	}
	t.c.sawUser(id)
	if t.left() <= 0 || !t.g.chance(0.8) {
		return nil
	}
	_, err = t.exec(ctx, tProfiles, OpInsert,
		"INSERT INTO accounts.user_profiles (user_id, bio, locale, avatar) VALUES (?, ?, ?, ?)",
		id, t.g.lobText(mediumTextMax, 0.2), t.g.locale(), t.g.blob(0.4))
	return err
}

func renameUser(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tUsers)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertUser)
	}
	_, err = t.exec(ctx, tUsers, OpUpdate, "UPDATE accounts.users SET name = ? WHERE id = ?", t.g.short(100), id)
	return err
}

// writeProfile upserts a whole profile or changes one of its columns.
func writeProfile(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tUsers)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertUser)
	}
	switch r := t.g.rng.IntN(4); r {
	case 0:
		_, err = t.exec(ctx, tProfiles, OpUpdate, "UPDATE accounts.user_profiles SET bio = ? WHERE user_id = ?",
			t.g.lobText(mediumTextMax, 0.3), id)
	case 1:
		_, err = t.exec(ctx, tProfiles, OpUpdate, "UPDATE accounts.user_profiles SET avatar = ?, locale = ? WHERE user_id = ?",
			t.g.blob(0.3), t.g.locale(), id)
	default:
		err = t.upsert(ctx, tProfiles,
			"INSERT INTO accounts.user_profiles (user_id, bio, locale, avatar) VALUES (?, ?, ?, ?) "+
				"ON DUPLICATE KEY UPDATE bio = VALUES(bio), locale = VALUES(locale), avatar = VALUES(avatar)",
			id, t.g.lobText(mediumTextMax, 0.2), t.g.locale(), t.g.blob(0.4))
	}
	return err
}

// changeEmail changes a user's secondary unique key.
func changeEmail(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tUsers)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertUser)
	}
	_, err = t.exec(ctx, tUsers, OpUpdate, "UPDATE accounts.users SET email = ? WHERE id = ?", t.w.email(t.c.shard), id)
	return err
}

// swapEmails exchanges the unique e-mails of two users in one transaction,
// through a third value, as an application would.
func swapEmails(ctx context.Context, t *txn) error {
	a, okA, err := t.pick(ctx, tUsers)
	if err != nil || !okA {
		return orInsert(ctx, t, err, insertUser)
	}
	b, okB, err := t.pick(ctx, tUsers)
	if err != nil || !okB || a == b {
		return orInsert(ctx, t, err, renameUser)
	}
	var ea, eb string
	q := "SELECT email FROM accounts.users WHERE id = ?"
	if err := t.tx.QueryRowContext(ctx, q, a).Scan(&ea); err != nil {
		return fmt.Errorf("reading e-mail of a user: %w", err)
	}
	if err := t.tx.QueryRowContext(ctx, q, b).Scan(&eb); err != nil {
		return fmt.Errorf("reading e-mail of a user: %w", err)
	}
	set := "UPDATE accounts.users SET email = ? WHERE id = ?"
	for _, st := range []struct {
		email string
		id    uint64
	}{{t.w.email(t.c.shard), a}, {ea, b}, {eb, a}} {
		if _, err := t.exec(ctx, tUsers, OpUpdate, set, st.email, st.id); err != nil {
			return err
		}
	}
	return nil
}

// changeUserID moves a user and its profile to a new primary key.
func changeUserID(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tUsers)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertUser)
	}
	newID, err := t.unusedID(ctx, tUsers)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, tUsers, OpKeyUpdate, "UPDATE accounts.users SET id = ? WHERE id = ?", newID, id); err != nil {
		return err
	}
	t.c.sawUser(newID)
	_, err = t.exec(ctx, tProfiles, OpKeyUpdate, "UPDATE accounts.user_profiles SET user_id = ? WHERE user_id = ?", newID, id)
	return err
}

func deleteUser(ctx context.Context, t *txn) error {
	id, ok, err := t.pick(ctx, tUsers)
	if err != nil || !ok {
		return orInsert(ctx, t, err, insertUser)
	}
	if _, err := t.exec(ctx, tProfiles, OpDelete, "DELETE FROM accounts.user_profiles WHERE user_id = ?", id); err != nil {
		return err
	}
	_, err = t.exec(ctx, tUsers, OpDelete, "DELETE FROM accounts.users WHERE id = ?", id)
	return err
}
