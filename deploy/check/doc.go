// Package check holds the tests of the deployment files under deploy/
// that need nothing beyond Tributary's own module: every YAML file parses,
// the configurations of the compose stack and of the Kubernetes
// instances pass Tributary's own configuration and mapping checks, the
// Kubernetes copies of the mappings equal mappings/, every metric the
// Grafana dashboard and the alert rules query is one Tributary exports,
// the IAM policy names exactly the AWS calls the code makes, the
// Dockerfile builds cmd/tributary as a static binary for a non-root user,
// and the systemd unit is hardened (and verified by systemd-analyze where
// it is installed). deploy/compose, deploy/kubernetes and
// deploy/monitoring are modules of their own with the checks that need
// compose, Kubernetes and Prometheus libraries. No container engine runs
// any of these files here.
package check
