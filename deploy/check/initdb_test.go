package check

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestComposeInitScript runs the compose stack's user script against a
// real MariaDB server, as the MariaDB image's entrypoint does on a first
// start (root logs in on the socket with MARIADB_ROOT_PASSWORD), with a
// password that needs quoting, and checks the grants it leaves.
func TestComposeInitScript(t *testing.T) {
	script, err := filepath.Abs(filepath.Join(repoRoot, "deploy/compose/initdb/tributary-user.sh"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := exec.LookPath("mariadb")
	if err != nil {
		t.Fatalf("the mariadb client is not installed (make deps installs it): %v", err)
	}
	// In the image the client's default socket is the server's; here the
	// client is pointed at the test server's socket, past this machine's
	// option files, by a wrapper first on PATH.
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + client + " --no-defaults --socket=\"$TEST_SOCKET\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "mariadb"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	const rootPassword = "root-pw"
	const password = `it's a \ "pw"`
	for _, tc := range []struct {
		role string
		want []string
	}{
		{"source", []string{
			"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `tributary`@`%`",
			"GRANT INSERT, UPDATE, CREATE ON `tributary`.* TO `tributary`@`%`",
		}},
		{"target", []string{
			"GRANT USAGE ON *.* TO `tributary`@`%`",
			"GRANT ALL PRIVILEGES ON `global`.* TO `tributary`@`%`",
		}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			s := testenv.StartT(t, testenv.Options{})
			s.Exec(t, "ALTER USER 'root'@'localhost' IDENTIFIED BY '"+rootPassword+"'")
			cmd := exec.CommandContext(t.Context(), "bash", script)
			cmd.Env = append(os.Environ(), "MARIADB_ROOT_PASSWORD="+rootPassword, "TRIBUTARY_PASSWORD="+password,
				"TRIBUTARY_ROLE="+tc.role, "TEST_SOCKET="+filepath.Join(s.Dir, "mysqld.sock"),
				"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", script, err, out)
			}
			db, err := sql.Open("mysql", s.DSN("tributary", password, ""))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.QueryContext(t.Context(), "SHOW GRANTS")
			if err != nil {
				t.Fatalf("logging in as tributary with the password: %v", err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var g string
				if err := rows.Scan(&g); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(g, "GRANT USAGE") || tc.role == "target" {
					got = append(got, strings.TrimSpace(strings.Split(g, " IDENTIFIED BY")[0]))
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("grants\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}

	t.Run("unknown role", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), "bash", script)
		cmd.Env = append(os.Environ(), "MARIADB_ROOT_PASSWORD=x", "TRIBUTARY_PASSWORD=y", "TRIBUTARY_ROLE=replica")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "TRIBUTARY_ROLE must be source or target") {
			t.Errorf("TRIBUTARY_ROLE=replica: %v\n%s", err, out)
		}
	})
}
