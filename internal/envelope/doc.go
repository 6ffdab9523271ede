// Package envelope owns the JSON envelope of one row change, Tributary's
// native change format.
package envelope
