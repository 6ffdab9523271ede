// Package config owns loading, defaulting and validating the service
// configuration file, tributary.yaml.
package config
