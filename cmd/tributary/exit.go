package main

import (
	"errors"

	"github.com/tributary-cdc/tributary/internal/admin"
	"github.com/tributary-cdc/tributary/internal/config"
)

// Exit codes that scripts can branch on.
const (
	exitOK = 0
	// exitFound: a check ran and found problems (config check, mappings
	// check, status --wait that timed out, verify that found differences).
	exitFound = 1
	// exitError: anything else (bad usage, a server that cannot be
	// reached, a stream that stopped on an error).
	exitError = 2
)

// checked marks err, returned by a check command, as a finding when it
// lists the problems of its input or says that the check found something.
func checked(err error) error {
	var problems config.Problems
	if err != nil && (errors.As(err, &problems) || errors.Is(err, admin.ErrFound)) {
		return &finding{err}
	}
	return err
}

// finding is an error of a check that found what it looks for.
type finding struct{ error }

func (f *finding) Unwrap() error { return f.error }

// exitCode returns the process's exit code for the error a command returned.
func exitCode(err error) int {
	var f *finding
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &f):
		return exitFound
	}
	return exitError
}
