package check

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const unitPath = "deploy/systemd/tributary.service"

// parseUnit returns a unit file's settings as section.Key, every value of
// a repeated key in order.
func parseUnit(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is not KEY=VALUE in a section", unitPath, n, line)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, unitPath))
	if err != nil {
		t.Fatal(err)
	}
	u := parseUnit(t, data)
	last := func(key string) string {
		v := u[key]
		if len(v) == 0 {
			return ""
		}
		return v[len(v)-1]
	}
	for key, want := range map[string]string{
		"Service.DynamicUser":           "yes",
		"Service.StateDirectory":        "tributary",
		"Service.ProtectSystem":         "strict",
		"Service.NoNewPrivileges":       "yes",
		"Service.ProtectHome":           "yes",
		"Service.PrivateTmp":            "yes",
		"Service.KillSignal":            "SIGTERM",
		"Service.Restart":               "on-failure",
		"Service.WorkingDirectory":      "/var/lib/tributary",
		"Service.CapabilityBoundingSet": "",
		"Install.WantedBy":              "multi-user.target",
	} {
		if got, ok := u[key]; !ok || last(key) != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
	argv := strings.Fields(last("Service.ExecStart"))
	if len(argv) != 4 || filepath.Base(argv[0]) != "tributary" || argv[1] != "run" || argv[2] != "--config" ||
		!strings.HasPrefix(argv[3], "/etc/"+last("Service.ConfigurationDirectory")+"/") {
		t.Errorf("ExecStart=%s, want tributary run --config with a file of the ConfigurationDirectory", last("Service.ExecStart"))
	}
	// Longer than the default checkpoint.stop_grace and the last flush's
	// 30s after it.
	stop, err := time.ParseDuration(last("Service.TimeoutStopSec"))
	if err != nil {
		t.Fatalf("TimeoutStopSec: %v", err)
	}
	if stop <= 20*time.Second+30*time.Second {
		t.Errorf("TimeoutStopSec=%s must exceed checkpoint.stop_grace (20s by default) by more than the last flush's 30s", stop)
	}
	if last("Service.ExecReload") == "" {
		t.Error("no ExecReload: systemctl reload could not send the SIGHUP that reloads the mappings")
	}

	// systemd's own checks where it is installed.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed; the unit was checked by this test only")
		return
	}
	// verify wants the binary to exist: put /bin/true in its place.
	dir := t.TempDir()
	unit := filepath.Join(dir, "tributary.service")
	data = bytes.ReplaceAll(data, []byte("ExecStart="+argv[0]), []byte("ExecStart=/bin/true"))
	if err := os.WriteFile(unit, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), analyze, "verify", unit).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(t.Context(), analyze, "security", "--offline=true", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=true: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for tributary.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %s, want at most 2.0 (systemd-analyze security --offline=true %s)", m[1], unitPath)
	}
}
