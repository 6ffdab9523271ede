// Package envelope owns the JSON envelope of one row change, Tributary's
// native change format, and of the control record that stands for a table
// statement (AppendDDL).
package envelope
