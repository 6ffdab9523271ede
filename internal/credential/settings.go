// Package credential supplies the password of a database connection at
// each new connection: a fixed one (a DSN's, an environment variable's),
// a file read every time, an AWS Secrets Manager secret kept until the
// server refuses it, or an RDS/Aurora IAM authentication token made fresh
// for every connection. It never logs or prints a password.
package credential

import (
	"fmt"
	"os"
	"strings"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// Settings say where one connection's password comes from; each stage
// copies them from its own settings block. At most one of PasswordEnv
// (resolved into Password by the stage), PasswordFile, PasswordSecret and
// IAMAuth is set.
type Settings struct {
	// Label names the connection in errors, for example `source "orders"`.
	Label string
	// User, Host and Port are those of the connection; IAM tokens are
	// signed for them.
	User string
	Host string
	Port uint16
	// Password is the fixed password (from a DSN or PasswordEnv).
	Password string
	// PasswordFile is read, and trimmed of surrounding white space, for
	// every new connection, so a rotated file is picked up.
	PasswordFile string
	// PasswordSecret is the ARN (or name) of an AWS Secrets Manager secret:
	// JSON with a "password" field, or the plain password.
	PasswordSecret string
	// IAMAuth signs an RDS IAM authentication token for every connection.
	IAMAuth bool
	// Region is the AWS region of the secret or the database; default the
	// secret ARN's region, then the environment (AWS_REGION) and the shared
	// AWS configuration.
	Region string
}

// Check reports problems of the password settings to r by their keys
// (password_env, password_file, password_secret, iam_auth); tlsSecure
// says whether the connection's tls mode refuses plaintext, which IAM
// authentication needs.
func (s Settings) Check(r problem.Reporter, passwordEnv string, tlsSecure bool) {
	var set []string
	if passwordEnv != "" {
		set = append(set, "password_env")
	}
	if s.PasswordFile != "" {
		set = append(set, "password_file")
		if _, err := readPasswordFile(s.PasswordFile); err != nil {
			r.At("password_file", err.Error())
		}
	}
	if s.PasswordSecret != "" {
		set = append(set, "password_secret")
		if strings.HasPrefix(s.PasswordSecret, "arn:") && secretRegion(s.PasswordSecret) == "" {
			r.At("password_secret", "is not a secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")
		}
	}
	if s.IAMAuth {
		set = append(set, "iam_auth")
		if !tlsSecure {
			r.At("iam_auth", "needs TLS: set tls.mode to required, verify-ca or verify-identity (the token is sent in clear text to the server)")
		}
	}
	if len(set) > 1 {
		r.At(set[1], fmt.Sprintf("cannot be combined with %s: give the password one way", strings.Join(append(set[:1:1], set[2:]...), ", ")))
	}
}

// readPasswordFile reads a password file, trimmed.
func readPasswordFile(name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("reading password file: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// secretRegion returns the region of a secret ARN, or "".
func secretRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "secretsmanager" {
		return ""
	}
	return parts[3]
}
