package check

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-cdc/tributary/internal/admin"
	"github.com/tributary-cdc/tributary/internal/config"
)

// mount is a file or folder of the repository placed at a path of the
// configuration's folder, as a container engine would mount it.
type mount struct{ from, to string }

// checkConfig lays out the mounts in a temporary folder, as the
// deployment does under /etc/tributary, sets every password variable the
// configuration names, and runs Tributary's configuration and offline
// mapping checks on it.
func checkConfig(t *testing.T, file string, mounts []mount) *config.Config {
	t.Helper()
	dir := t.TempDir()
	for _, m := range mounts {
		copyTree(t, filepath.Join(repoRoot, m.from), filepath.Join(dir, m.to))
	}
	path := filepath.Join(dir, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range passwordEnvs(t, data) {
		t.Setenv(name, "secret")
	}
	// The store's folder is the container's; make it relative to here.
	data = bytes.ReplaceAll(data, []byte("dir: /var/lib/tributary"), []byte("dir: "+filepath.Join(dir, "pebble")))
	cfg, err := config.Parse(path, data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if err := admin.CheckMappings(cfg, nil, io.Discard); err != nil {
		t.Fatalf("%s: mappings: %v", file, err)
	}
	return cfg
}

// passwordEnvs returns the values of every password_env key in a
// configuration.
func passwordEnvs(t *testing.T, data []byte) []string {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var names []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "password_env" {
					names = append(names, n.Content[i+1].Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return names
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestComposeConfig(t *testing.T) {
	// compose.yaml mounts these at /etc/tributary.
	cfg := checkConfig(t, "tributary.yaml", []mount{
		{"deploy/compose/tributary.yaml", "tributary.yaml"},
		{"mappings", "mappings"},
		{"migrations", "migrations"},
	})
	if len(cfg.Sources) != 3 {
		t.Errorf("want the three demo sources, got %d", len(cfg.Sources))
	}
}

// generatedFiles returns the files of the configMapGenerator entry named
// tributary of a kustomization.
func generatedFiles(t *testing.T, kustomization string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, kustomization))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		ConfigMapGenerator []struct {
			Name  string   `yaml:"name"`
			Files []string `yaml:"files"`
		} `yaml:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("%s: %v", kustomization, err)
	}
	for _, g := range k.ConfigMapGenerator {
		if g.Name == "tributary" {
			return g.Files
		}
	}
	t.Fatalf("%s: no configMapGenerator named tributary", kustomization)
	return nil
}

func TestKubernetesConfigs(t *testing.T) {
	sources := map[string]string{}
	for _, dir := range []string{"deploy/kubernetes/base", "deploy/kubernetes/scale-out/kr"} {
		t.Run(dir, func(t *testing.T) {
			// The ConfigMap's keys are files side by side in /etc/tributary.
			var mounts []mount
			for _, f := range generatedFiles(t, filepath.Join(dir, "kustomization.yaml")) {
				mounts = append(mounts, mount{filepath.Join(dir, f), f})
			}
			cfg := checkConfig(t, "tributary.yaml", mounts)
			for _, s := range cfg.Sources {
				if other, ok := sources[s.Name]; ok {
					t.Errorf("source %s is in both %s and %s", s.Name, other, dir)
				}
				sources[s.Name] = dir
			}
		})
	}
}

// TestKubernetesMappingsAreTheRepositorys keeps the ConfigMap's copies of
// the demo mappings equal to mappings/ (kustomize reads no file outside
// the kustomization's folder).
func TestKubernetesMappingsAreTheRepositorys(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "mappings", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no mappings/*.yaml: %v", err)
	}
	listed := generatedFiles(t, "deploy/kubernetes/base/kustomization.yaml")
	for _, f := range files {
		name := filepath.Base(f)
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		copyPath := filepath.Join(repoRoot, "deploy/kubernetes/base", name)
		got, err := os.ReadFile(copyPath)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("deploy/kubernetes/base/%s differs from mappings/%s: copy it (cp mappings/%s deploy/kubernetes/base/)", name, name, name)
		}
		if !strings.Contains(" "+strings.Join(listed, " ")+" ", " "+name+" ") {
			t.Errorf("mappings/%s is not in the configMapGenerator of deploy/kubernetes/base/kustomization.yaml", name)
		}
	}
}
