package config_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	srcpkg "github.com/tributary-cdc/tributary/internal/source"
)

// sourceFields is the comparable part of a Source.
type sourceFields struct {
	Name, Host           string
	Port                 uint16
	User, Password       string
	PasswordEnv          string
	Flavor               string
	ServerID             uint32
	AllowPartialRowImage bool
}

func fieldsOf(sources []srcpkg.Options) []sourceFields {
	out := make([]sourceFields, len(sources))
	for i, s := range sources {
		out[i] = sourceFields{s.Name, s.Host, s.Port, s.User, s.Password, s.PasswordEnv, s.Flavor, s.ServerID, s.AllowPartialRowImage}
	}
	return out
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// unsetenv removes name from the environment until t ends.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	require.NoError(t, os.Unsetenv(name))
}
