// Package kubernetes_test builds the kustomizations of deploy/kubernetes as
// kubectl apply -k would and decodes every object they produce strictly
// into its real API type, then checks what the deployment depends on. It
// is a module of its own so that the Kubernetes libraries stay out of
// Tributary's go.mod; make test runs it.
package kubernetes_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// objects is the output of one kustomization, decoded.
type objects struct {
	statefulSets    []*appsv1.StatefulSet
	services        []*corev1.Service
	serviceAccounts []*corev1.ServiceAccount
	configMaps      []*corev1.ConfigMap
	serviceMonitors []*monitoringv1.ServiceMonitor
}

// build runs kustomize on dir and decodes every object strictly: a field
// the API type does not have fails the test.
func build(t *testing.T, dir string) objects {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var out objects
	for _, r := range resources.Resources() {
		data, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
		var target any
		switch kind := r.GetKind(); kind {
		case "StatefulSet":
			o := &appsv1.StatefulSet{}
			out.statefulSets, target = append(out.statefulSets, o), o
		case "Service":
			o := &corev1.Service{}
			out.services, target = append(out.services, o), o
		case "ServiceAccount":
			o := &corev1.ServiceAccount{}
			out.serviceAccounts, target = append(out.serviceAccounts, o), o
		case "ConfigMap":
			o := &corev1.ConfigMap{}
			out.configMaps, target = append(out.configMaps, o), o
		case "ServiceMonitor":
			o := &monitoringv1.ServiceMonitor{}
			out.serviceMonitors, target = append(out.serviceMonitors, o), o
		default:
			t.Fatalf("%s: %s: kind %s has no decoder in this test; add its API type", dir, r.CurId(), kind)
		}
		if err := yaml.UnmarshalStrict(data, target); err != nil {
			t.Errorf("%s: %s does not decode strictly into its API type: %v", dir, r.CurId(), err)
		}
	}
	return out
}

func TestSingleInstance(t *testing.T) {
	o := build(t, ".")
	if len(o.statefulSets) != 1 || len(o.services) != 1 || len(o.configMaps) != 1 ||
		len(o.serviceAccounts) != 1 || len(o.serviceMonitors) != 1 {
		t.Fatalf("want one StatefulSet, Service, ConfigMap, ServiceAccount and ServiceMonitor, got %d, %d, %d, %d, %d",
			len(o.statefulSets), len(o.services), len(o.configMaps), len(o.serviceAccounts), len(o.serviceMonitors))
	}
	checkInstance(t, o, o.statefulSets[0])
	checkMonitored(t, o)
}

func TestScaleOut(t *testing.T) {
	o := build(t, "scale-out")
	if len(o.statefulSets) < 2 {
		t.Fatalf("want several instances, got %d StatefulSets", len(o.statefulSets))
	}
	owner := map[string]string{} // source name -> StatefulSet
	targets := map[string]string{}
	for _, sts := range o.statefulSets {
		c := checkInstance(t, o, sts)
		for _, s := range c.Sources {
			if other, ok := owner[s.Name]; ok {
				t.Errorf("source %s is streamed by both %s and %s; each source belongs to one instance", s.Name, other, sts.Name)
			}
			owner[s.Name] = sts.Name
		}
		for _, s := range c.Sinks {
			if s.MySQL == nil {
				continue
			}
			key := s.MySQL.Host + "/" + s.MySQL.Database
			if other, ok := targets[key]; ok {
				t.Errorf("target database %s is written by both %s and %s", key, other, sts.Name)
			}
			targets[key] = sts.Name
		}
	}
	checkMonitored(t, o)
}

// config is the part of tributary.yaml this test reads; the whole file is
// checked by deploy/check with Tributary's own loader.
type config struct {
	Pebble struct {
		Dir string `json:"dir"`
	} `json:"pebble"`
	Checkpoint struct {
		StopGrace string `json:"stop_grace"`
	} `json:"checkpoint"`
	HTTP struct {
		Listen string `json:"listen"`
	} `json:"http"`
	Mappings []string `json:"mappings"`
	Sources  []struct {
		Name        string `json:"name"`
		PasswordEnv string `json:"password_env"`
	} `json:"sources"`
	Sinks []struct {
		MySQL *struct {
			Host        string `json:"host"`
			Database    string `json:"database"`
			PasswordEnv string `json:"password_env"`
		} `json:"mysql"`
	} `json:"sinks"`
}

// checkInstance checks one StatefulSet against the configuration it
// mounts, and returns that configuration.
func checkInstance(t *testing.T, o objects, sts *appsv1.StatefulSet) config {
	t.Helper()
	name := sts.Name
	errorf := func(format string, args ...any) { t.Errorf("%s: "+format, append([]any{name}, args...)...) }
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
		errorf("replicas must be 1: an instance owns its sources and its store")
	}
	pod := sts.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", name, len(pod.Containers))
	}
	ctr := pod.Containers[0]

	// The configuration: --config names a file of a mounted ConfigMap.
	i := slices.Index(ctr.Args, "--config")
	if i < 0 || i+1 >= len(ctr.Args) || ctr.Args[0] != "run" {
		t.Fatalf("%s: args %q, want run --config FILE", name, ctr.Args)
	}
	file := ctr.Args[i+1]
	cm := mountedConfigMap(t, o, sts, filepath.Dir(file))
	data, ok := cm.Data[filepath.Base(file)]
	if !ok {
		t.Fatalf("%s: ConfigMap %s has no key %s", name, cm.Name, filepath.Base(file))
	}
	var c config
	if err := yaml.Unmarshal([]byte(data), &c); err != nil {
		t.Fatalf("%s: %s: %v", name, file, err)
	}
	for _, m := range c.Mappings {
		if _, ok := cm.Data[m]; !ok {
			errorf("mapping %s is not a key of ConfigMap %s", m, cm.Name)
		}
	}

	// Passwords: every password_env comes from the Secret.
	if len(ctr.EnvFrom) == 0 || ctr.EnvFrom[0].SecretRef == nil || ctr.EnvFrom[0].SecretRef.Name != "tributary-passwords" {
		errorf("the passwords must come from envFrom secretRef tributary-passwords")
	}
	for _, s := range c.Sources {
		if s.PasswordEnv == "" {
			errorf("source %s has no password_env", s.Name)
		}
	}

	// The store on the claim template's volume.
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		errorf("want one volume claim template (the Pebble store), got %d", len(sts.Spec.VolumeClaimTemplates))
	} else if claim := sts.Spec.VolumeClaimTemplates[0].Name; !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == claim && m.MountPath == c.Pebble.Dir && !m.ReadOnly
	}) {
		errorf("pebble.dir %s is not the writable mount of the claim %s", c.Pebble.Dir, claim)
	}

	// HTTP: the probes and the port.
	_, port, err := splitListen(c.HTTP.Listen)
	if err != nil {
		t.Fatalf("%s: http.listen: %v", name, err)
	}
	if len(ctr.Ports) != 1 || ctr.Ports[0].ContainerPort != int32(port) || ctr.Ports[0].Name != "http" {
		errorf("want one container port named http on %d (http.listen), got %+v", port, ctr.Ports)
	}
	for _, p := range []struct {
		what  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", ctr.StartupProbe, "/healthz"},
		{"livenessProbe", ctr.LivenessProbe, "/healthz"},
		{"readinessProbe", ctr.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			errorf("%s must GET %s on the http port", p.what, p.path)
		}
	}

	// Stopping: the pod's grace is longer than the service's own.
	grace := 20 * time.Second
	if c.Checkpoint.StopGrace != "" {
		if grace, err = time.ParseDuration(c.Checkpoint.StopGrace); err != nil {
			t.Fatalf("%s: checkpoint.stop_grace: %v", name, err)
		}
	}
	if pod.TerminationGracePeriodSeconds == nil || time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second <= grace+10*time.Second {
		errorf("terminationGracePeriodSeconds must exceed checkpoint.stop_grace (%s) by more than 10s, for the flush and the checkpoint", grace)
	}

	// Non-root, read-only root file system, nothing extra.
	psc, sc := pod.SecurityContext, ctr.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		errorf("the pod must run as a non-root user")
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		errorf("the container must have a read-only root file system, no privilege escalation and drop ALL capabilities")
	}
	if ctr.Resources.Requests.Memory().IsZero() || ctr.Resources.Limits.Memory().IsZero() {
		errorf("the container must request and limit memory")
	}

	// The governing Service exists and selects the pod.
	svc := findService(o, sts.Spec.ServiceName)
	if svc == nil {
		errorf("serviceName %s names no Service", sts.Spec.ServiceName)
	} else if !selects(svc.Spec.Selector, sts.Spec.Template.Labels) {
		errorf("Service %s selector %v does not select the pod labels %v", svc.Name, svc.Spec.Selector, sts.Spec.Template.Labels)
	}
	if pod.ServiceAccountName == "" || !slices.ContainsFunc(o.serviceAccounts, func(sa *corev1.ServiceAccount) bool {
		return sa.Name == pod.ServiceAccountName
	}) {
		errorf("serviceAccountName %q names no ServiceAccount", pod.ServiceAccountName)
	}
	return c
}

// mountedConfigMap returns the ConfigMap mounted at dir.
func mountedConfigMap(t *testing.T, o objects, sts *appsv1.StatefulSet, dir string) *corev1.ConfigMap {
	t.Helper()
	ctr := sts.Spec.Template.Spec.Containers[0]
	i := slices.IndexFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir })
	if i < 0 {
		t.Fatalf("%s: nothing is mounted at %s, the folder of --config", sts.Name, dir)
	}
	vol := ctr.VolumeMounts[i].Name
	j := slices.IndexFunc(sts.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == vol })
	if j < 0 || sts.Spec.Template.Spec.Volumes[j].ConfigMap == nil {
		t.Fatalf("%s: volume %s mounted at %s is not a ConfigMap", sts.Name, vol, dir)
	}
	name := sts.Spec.Template.Spec.Volumes[j].ConfigMap.Name
	for _, cm := range o.configMaps {
		if cm.Name == name {
			return cm
		}
	}
	t.Fatalf("%s: ConfigMap %s is not in the build", sts.Name, name)
	return nil
}

// checkMonitored checks that the ServiceMonitor scrapes /metrics on a port
// of every Service.
func checkMonitored(t *testing.T, o objects) {
	t.Helper()
	for _, svc := range o.services {
		scraped := false
		for _, sm := range o.serviceMonitors {
			if !selects(sm.Spec.Selector.MatchLabels, svc.Labels) {
				continue
			}
			for _, ep := range sm.Spec.Endpoints {
				if ep.Path == "/metrics" && slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
					scraped = true
				}
			}
		}
		if !scraped {
			t.Errorf("Service %s (labels %v): no ServiceMonitor scrapes /metrics on one of its ports", svc.Name, svc.Labels)
		}
	}
}

func findService(o objects, name string) *corev1.Service {
	for _, s := range o.services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// selects reports whether every label of selector is in labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func splitListen(listen string) (string, int, error) {
	i := strings.LastIndex(listen, ":")
	if i < 0 {
		return "", 0, fmt.Errorf("%q has no port", listen)
	}
	port, err := strconv.Atoi(listen[i+1:])
	return listen[:i], port, err
}
