package bench

import (
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// membersMapping is global.members from the users of jp-accounts, and with
// profiles also from their profiles, joined on the user id.
func membersMapping(profiles bool) string {
	m := `target: global.members
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    columns: {id: id, email: email, display_name: name}
`
	if profiles {
		m += `  - source: jp-accounts
    table: accounts.user_profiles
    join: {user_id: id}
    columns: {bio: bio, locale: locale}
`
	}
	return m
}

// membersSum returns the row count and the sum of the CRC32 of every
// member's columns as the target should hold them, computed on the source
// (bio and locale only with profiles), or, with src false, as the target
// holds them.
func membersSum(tb testing.TB, db *sql.DB, src, profiles bool) (n, sum int64) {
	q := `SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, email, display_name, IFNULL(bio, '~'), IFNULL(locale, '~')))), 0)
		FROM global.members`
	switch {
	case src && profiles:
		q = `SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', u.id, u.email, u.name, IFNULL(p.bio, '~'), IFNULL(p.locale, '~')))), 0)
			FROM accounts.users u LEFT JOIN accounts.user_profiles p ON p.user_id = u.id`
	case src:
		q = `SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, email, name, '~', '~'))), 0) FROM accounts.users`
	}
	require.NoError(tb, db.QueryRow(q).Scan(&n, &sum))
	return n, sum
}

// BenchmarkMergedDrain drains a backlog of users and then their profiles
// into global.members twice: from the users alone, and merged with the
// profiles as a joined contributor, whose every user write reads the
// profile from the source and whose every profile write updates the
// member. Goal: the merged drain at least 0.9 times the single-table rate,
// in target rows per second; each profile's update would write what its
// user's lookup read from the source, and is not sent. Both targets are
// verified against the source by a checksum. With TRIBUTARY_BENCH_BASELINE
// naming another tributary binary, that one drains merged too, after this
// one, into a third target.
func BenchmarkMergedDrain(b *testing.B) {
	const perStmt = 1000
	rows := 100_000
	if n, err := strconv.Atoi(os.Getenv("TRIBUTARY_BENCH_MEMBERS")); err == nil && n >= perStmt {
		rows = n / perStmt * perStmt
	}
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	baseline := os.Getenv("TRIBUTARY_BENCH_BASELINE")
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1, GTIDDomain: 1})
		require.NoError(b, schema.Apply(b.Context(), src.DB(b, ""), schema.Accounts))
		db := src.DB(b, "accounts") // seq_ tables need a current database
		from := gtidPos(b, db)
		t0 := time.Now()
		for lo := 1; lo <= rows; lo += perStmt {
			_, err := db.Exec(fmt.Sprintf(`INSERT INTO accounts.users (id, email, name, created_at)
				SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User ', seq), '2026-01-01 00:00:00'
				FROM seq_%d_to_%d`, lo, lo+perStmt-1))
			require.NoError(b, err)
		}
		for lo := 1; lo <= rows; lo += perStmt {
			_, err := db.Exec(fmt.Sprintf(`INSERT INTO accounts.user_profiles (user_id, bio, locale)
				SELECT seq, CONCAT('Cook ', seq, ': ', MD5(seq), ' ', MD5(seq + 1), ' ', LEFT(MD5(seq + 2), 20)),
					ELT(1 + seq %% 4, 'en', 'ja', 'es', 'fr')
				FROM seq_%d_to_%d`, lo, lo+perStmt-1))
			require.NoError(b, err)
		}
		load := time.Since(t0)
		to := gtidPos(b, db)
		b.Logf("backlog: %d users then %d profiles in %d statements (%s to %s) written in %.1fs",
			rows, rows, 2*rows/perStmt, from, to, load.Seconds())
		srcs := []benchSource{{name: "jp-accounts", srv: src, from: from, to: to}}

		drain := func(bin string, serverID int, profiles bool) drainResult {
			dst := migratedTarget(b, serverID)
			res := mappedDrain(b, bin, srcs, []string{membersMapping(profiles)}, dst)
			wantN, wantSum := membersSum(b, db, true, profiles)
			gotN, gotSum := membersSum(b, dst.DB(b, ""), false, profiles)
			require.EqualValues(b, rows, wantN)
			require.Equal(b, wantN, gotN, "members row count (profiles merged: %t)", profiles)
			require.Equal(b, wantSum, gotSum, "members checksum (profiles merged: %t)", profiles)
			require.NoError(b, dst.Stop())
			return res
		}
		single := drain(bin, 2, false)
		merged := drain(bin, 3, true)
		if baseline != "" {
			base := drain(baseline, 4, true)
			b.Logf("%s merged: %.1fs (CPU: tributary %.1fs, target %.1fs, source %.1fs; the workers applied runs for %.1fs, %.1fs of it reading lookups); this build %.2f times its rate",
				baseline, base.took.Seconds(), base.ourCPU, base.targetCPU, base.sourceCPU, base.applying, base.reading,
				base.took.Seconds()/merged.took.Seconds())
		}

		singleRate, mergedRate := float64(rows)/single.took.Seconds(), float64(rows)/merged.took.Seconds()
		perRow := merged.lookups / float64(rows)
		b.ReportMetric(singleRate, "single-table-rows/s")
		b.ReportMetric(mergedRate, "merged-rows/s")
		b.ReportMetric(mergedRate/singleRate, "ratio-vs-single-table")
		b.ReportMetric(perRow, "queries-per-row")
		atMost, bothBusy := ceiling(single, merged)
		b.ReportMetric(atMost, "cpu-ceiling")
		b.Logf("on %d cores the merged drain's CPU (%.1fs) allows a ratio of at most %.2f; %.2f were both drains to keep every core busy (users alone: %.1fs)",
			runtime.NumCPU(), merged.cpu(), atMost, bothBusy, single.cpu())
		b.Logf("drain of %d members: users alone %.1fs %.0f rows/s (CPU: tributary %.1fs, target %.1fs, source %.1fs; %.0f runs split, %.0f fell back); merged with profiles %.1fs %.0f rows/s (CPU: tributary %.1fs, target %.1fs, source %.1fs; %.0f runs split, %.0f fell back; %.0f updates left out as unchanged; the workers applied runs for %.1fs, %.1fs of it reading lookups), %.0f lookup queries, %.4f per row; ratio %.2f (goal >= 0.9); both targets' checksums equal the source",
			rows, single.took.Seconds(), singleRate, single.ourCPU, single.targetCPU, single.sourceCPU, single.split, single.fellBack,
			merged.took.Seconds(), mergedRate, merged.ourCPU, merged.targetCPU, merged.sourceCPU, merged.split, merged.fellBack,
			merged.unchanged, merged.applying, merged.reading, merged.lookups, perRow, mergedRate/singleRate)
		require.NoError(b, src.Stop())
	}
}
