// Package testenv starts and stops real MariaDB servers and the Kinesis
// emulator on loopback for the integration tests and the local demo stack.
package testenv
