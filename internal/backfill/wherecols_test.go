package backfill

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenameColumns(t *testing.T) {
	cols := map[string]string{"id": "member_id", "name": "display_name", "status": "status", "date": "day", "order": "rank"}
	rename := func(col string) (string, error) {
		if to, ok := cols[strings.ToLower(col)]; ok {
			return to, nil
		}
		return "", errors.New(col + " is not copied")
	}
	for _, tc := range []struct{ where, want, err string }{
		{where: "id BETWEEN 1000 AND 1999", want: "`member_id` BETWEEN 1000 AND 1999"},
		{where: "ID > 5 and Name LIKE 'id%'", want: "`member_id` > 5 and `display_name` LIKE 'id%'"},
		{where: "`name` = 'it''s id' OR status IS NULL", want: "`display_name` = 'it''s id' OR `status` IS NULL"},
		{where: `name = "a \" id" AND id IN (1, 2, 3)`, want: "`display_name` = \"a \\\" id\" AND `member_id` IN (1, 2, 3)"},
		{where: "LOWER(name) = 'x' AND id < 1e3", want: "LOWER(`display_name`) = 'x' AND `member_id` < 1e3"},
		{where: "name = _utf8mb4'x' AND id = x'0f' AND id <> @limit", want: "`display_name` = _utf8mb4'x' AND `member_id` = x'0f' AND `member_id` <> @limit"},
		{where: "`order` > 3", want: "`rank` > 3"},
		{where: "status = 'draft' AND NOT (id >= 10)", want: "`status` = 'draft' AND NOT (`member_id` >= 10)"},
		{where: "date > DATE '2024-01-01'", err: "both an SQL keyword and a column"},
		{where: "email = 'x'", err: "email is not copied"},
		{where: "u.id = 3", err: "qualified name"},
		{where: "id = 1; DROP TABLE x", err: "holds a ';'"},
	} {
		got, err := RenameColumns(tc.where, rename)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.where)
			continue
		}
		require.NoError(t, err, tc.where)
		require.Equal(t, tc.want, got, tc.where)
	}
}
