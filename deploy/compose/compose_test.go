// Package compose_test loads compose.yaml with compose-go, the library
// docker compose itself loads files with (schema, interpolation, merge
// keys, paths), and checks the stack it describes. It is a module of its
// own so that compose-go stays out of Tributary's go.mod; make test runs it.
package compose_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// env is what a user exports before docker compose up.
var env = map[string]string{"MARIADB_ROOT_PASSWORD": "root-pw", "TRIBUTARY_PASSWORD": "tributary-pw"}

func load(t *testing.T, environment map[string]string) (*types.Project, error) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "compose.yaml")}},
		Environment: maps.Clone(environment), // the loader adds to it
	}, func(o *loader.Options) { o.SetProjectName("tributary", true) })
}

// tributaryConfig is the part of tributary.yaml this test reads; the
// whole file is checked by deploy/check with Tributary's own loader.
type tributaryConfig struct {
	Pebble struct {
		Dir string `yaml:"dir"`
	} `yaml:"pebble"`
	Checkpoint struct {
		StopGrace string `yaml:"stop_grace"`
	} `yaml:"checkpoint"`
	HTTP struct {
		Listen string `yaml:"listen"`
	} `yaml:"http"`
	Mappings   []string `yaml:"mappings"`
	Migrations string   `yaml:"migrations"`
	Sources    []struct {
		Name        string `yaml:"name"`
		Host        string `yaml:"host"`
		ServerID    int    `yaml:"server_id"`
		PasswordEnv string `yaml:"password_env"`
	} `yaml:"sources"`
	Sinks []struct {
		MySQL *struct {
			Host        string `yaml:"host"`
			PasswordEnv string `yaml:"password_env"`
		} `yaml:"mysql"`
		Kinesis *struct {
			Endpoint string `yaml:"endpoint"`
			Routes   []struct {
				Stream string `yaml:"stream"`
			} `yaml:"routes"`
		} `yaml:"kinesis"`
	} `yaml:"sinks"`
}

func readConfig(t *testing.T) tributaryConfig {
	t.Helper()
	data, err := os.ReadFile("tributary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c tributaryConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("tributary.yaml: %v", err)
	}
	return c
}

func TestStackLoads(t *testing.T) {
	p, err := load(t, env)
	if err != nil {
		t.Fatalf("loading compose.yaml as docker compose would: %v", err)
	}
	want := []string{"jp-accounts", "jp-accounts-2", "jp-recipes", "kinesis", "migrate", "target", "tributary"}
	if got := p.ServiceNames(); !slices.Equal(sorted(got), want) {
		t.Fatalf("services %v, want %v", sorted(got), want)
	}
	for _, name := range want {
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s mounts %s, which does not exist: %v", name, v.Source, err)
				}
			} else if _, ok := p.Volumes[v.Source]; !ok {
				t.Errorf("service %s mounts volume %s, which volumes: does not declare", name, v.Source)
			}
		}
	}
}

func TestMissingPasswordsAreRefused(t *testing.T) {
	for name := range env {
		t.Run(name, func(t *testing.T) {
			partial := map[string]string{}
			for k, v := range env {
				if k != name {
					partial[k] = v
				}
			}
			if _, err := load(t, partial); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("without %s: err = %v, want one naming it", name, err)
			}
		})
	}
}

func TestSourcesLogRowsWithGTIDs(t *testing.T) {
	p, err := load(t, env)
	if err != nil {
		t.Fatal(err)
	}
	c := readConfig(t)
	serverIDs := map[string]string{}
	domains := map[string]string{}
	for _, s := range c.Sources {
		svc, ok := p.Services[s.Host]
		if !ok {
			t.Errorf("source %s: host %s is no service of compose.yaml", s.Name, s.Host)
			continue
		}
		flags := map[string]string{}
		for _, arg := range svc.Command {
			k, v, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			flags[k] = v
		}
		for flag, want := range map[string]string{"binlog-format": "ROW", "binlog-row-image": "FULL",
			"binlog-row-metadata": "FULL", "gtid-strict-mode": "ON"} {
			if flags[flag] != want {
				t.Errorf("service %s: --%s=%q, want %s", s.Host, flag, flags[flag], want)
			}
		}
		if flags["log-bin"] == "" {
			t.Errorf("service %s: --log-bin is not set", s.Host)
		}
		for what, seen := range map[string]map[string]string{"server-id": serverIDs, "gtid-domain-id": domains} {
			v := flags[what]
			if v == "" {
				t.Errorf("service %s: --%s is not set", s.Host, what)
			} else if other, ok := seen[v]; ok {
				t.Errorf("services %s and %s have the same --%s=%s", other, s.Host, what, v)
			}
			seen[v] = s.Host
		}
		if _, ok := serverIDs[strconv.Itoa(s.ServerID)]; ok {
			t.Errorf("source %s: server_id %d is a MariaDB server's own id; the replica id must differ", s.Name, s.ServerID)
		}
	}
}

func TestTributaryService(t *testing.T) {
	p, err := load(t, env)
	if err != nil {
		t.Fatal(err)
	}
	c := readConfig(t)
	svc := p.Services["tributary"]

	// Built from the Dockerfile at the repository root.
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Build == nil || svc.Build.Context != root || svc.Build.Dockerfile != "deploy/docker/Dockerfile" {
		t.Errorf("tributary must build deploy/docker/Dockerfile with the repository root as context, got %+v", svc.Build)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("the build context %s is not the repository root: %v", root, err)
	}

	// The configuration mounted where the image's command reads it, the
	// mappings and migrations beside it, the store on a named volume.
	mounts := map[string]types.ServiceVolumeConfig{}
	for _, v := range svc.Volumes {
		mounts[v.Target] = v
	}
	for target, source := range map[string]string{
		"/etc/tributary/tributary.yaml": "deploy/compose/tributary.yaml",
		"/etc/tributary/mappings":       "mappings",
		"/etc/tributary/migrations":     "migrations",
	} {
		m, ok := mounts[target]
		if !ok || m.Source != filepath.Join(root, source) || !m.ReadOnly {
			t.Errorf("tributary must mount %s read-only at %s, got %+v", source, target, m)
		}
	}
	for _, m := range c.Mappings {
		if _, ok := mounts[filepath.Join("/etc/tributary", m)]; !ok {
			t.Errorf("mappings entry %s is not mounted under /etc/tributary", m)
		}
	}
	if m, ok := mounts[c.Pebble.Dir]; !ok || m.Type != types.VolumeTypeVolume || m.ReadOnly {
		t.Errorf("pebble.dir %s must be a writable named volume, got %+v", c.Pebble.Dir, m)
	}

	// Every password the configuration names is in the environment.
	for _, name := range passwordEnvs(c) {
		if v := svc.Environment[name]; v == nil || *v == "" {
			t.Errorf("password_env %s is not set in the tributary service's environment", name)
		}
	}

	// The HTTP port is published and listened on beyond loopback.
	host, port, _ := strings.Cut(c.HTTP.Listen, ":")
	if host == "127.0.0.1" || host == "localhost" {
		t.Errorf("http.listen %s is loopback inside the container; nothing outside could reach it", c.HTTP.Listen)
	}
	if !slices.ContainsFunc(svc.Ports, func(p types.ServicePortConfig) bool { return strconv.Itoa(int(p.Target)) == port }) {
		t.Errorf("the http port %s is not published", port)
	}

	// A stop lets the service finish: longer than checkpoint.stop_grace.
	grace, err := time.ParseDuration(c.Checkpoint.StopGrace)
	if err != nil {
		t.Fatalf("checkpoint.stop_grace: %v", err)
	}
	if svc.StopGracePeriod == nil || time.Duration(*svc.StopGracePeriod) <= grace+10*time.Second {
		t.Errorf("stop_grace_period must exceed checkpoint.stop_grace (%s) by more than 10s", grace)
	}
	if svc.StopSignal != "SIGTERM" {
		t.Errorf("stop_signal %q, want SIGTERM", svc.StopSignal)
	}

	// It starts after the servers are healthy and the target migrated.
	for _, s := range c.Sources {
		if d, ok := svc.DependsOn[s.Host]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("tributary must depend on source %s being healthy", s.Host)
		}
	}
	if d := svc.DependsOn["migrate"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("tributary must start after migrate completed successfully")
	}
	if mig := p.Services["migrate"]; !slices.Equal(mig.Command, types.ShellCommand{"migrate", "--config", "/etc/tributary/tributary.yaml"}) {
		t.Errorf("migrate runs %q", mig.Command)
	}

	// The sinks point at the stack's target and emulator, whose stream the
	// emulator creates.
	kin := p.Services["kinesis"]
	for _, s := range c.Sinks {
		if s.MySQL != nil {
			if _, ok := p.Services[s.MySQL.Host]; !ok {
				t.Errorf("mysql sink host %s is no service", s.MySQL.Host)
			}
		}
		if s.Kinesis != nil {
			if s.Kinesis.Endpoint != "http://kinesis:"+deref(kin.Environment["KINESIS_MOCK_PLAIN_PORT"]) {
				t.Errorf("kinesis sink endpoint %s is not the emulator's plain port", s.Kinesis.Endpoint)
			}
			for _, r := range s.Kinesis.Routes {
				if !strings.Contains(","+deref(kin.Environment["INITIALIZE_STREAMS"]), ","+r.Stream+":") {
					t.Errorf("stream %s is not in the emulator's INITIALIZE_STREAMS", r.Stream)
				}
			}
		}
	}
}

func passwordEnvs(c tributaryConfig) []string {
	var names []string
	for _, s := range c.Sources {
		names = append(names, s.PasswordEnv)
	}
	for _, s := range c.Sinks {
		if s.MySQL != nil {
			names = append(names, s.MySQL.PasswordEnv)
		}
	}
	return names
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
