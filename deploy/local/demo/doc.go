// Package demo owns the local demo stack: its MariaDB servers and Kinesis
// emulator, how they are started, provisioned and stopped, and the env file
// that describes them.
package demo
